import type OpenAI from 'openai';
import type { Config } from '../src/config.js';
import type { Db } from '../src/database.js';
import type { Logger } from '../src/logger.js';
import type { InsightKind, StepName, StepState } from '../src/domain/analysis.js';

/** What every activity factory receives; tests pass real or local instances. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  openai: OpenAI;
  config: Pick<Config, 'OPENAI_MODEL' | 'SCRAPE_ALLOW_PRIVATE_NETWORKS' | 'CACHE_TTL_HOURS'>;
}

export interface AnalysisRef {
  analysisId: string;
}

export interface ValidationResult {
  url: string;
  domain: string;
}

export interface ExtractionResult {
  pageCount: number;
  fetched: number;
  fromCache: number;
}

export interface ProcessingResult {
  pageCount: number;
  language: string;
  tokenEstimate: number;
}

export interface InsightInput extends AnalysisRef {
  version: number;
  kind: InsightKind;
  instructions?: string;
}

/** Row IDs of the stored insight responses, one per kind. */
export type InsightIds = Record<InsightKind, string>;

export interface GenerateReportInput extends AnalysisRef {
  version: number;
  insightIds: InsightIds;
  instructions?: string;
}

export interface QualityIssue {
  /** Which part failed: 'summary', 'offering', or `personas[i]` (a persona index). */
  section: string;
  rule: 'required_section' | 'placeholder' | 'evidence_not_found' | 'distinct_personas';
  message: string;
}

export interface QualityResult {
  passed: boolean;
  issues: QualityIssue[];
}

export interface RepairInput {
  reportId: string;
  issues: QualityIssue[];
  /** The insights the report was generated from: a repair must build on the same ones. */
  insightIds: InsightIds;
}

export interface FinalizeInput extends AnalysisRef {
  version: number;
  reportId: string;
}

export interface RecordStepInput extends AnalysisRef {
  version: number;
  step: StepName;
  state: StepState;
  error?: string;
}

export interface FinishAnalysisInput extends AnalysisRef {
  status: 'failed' | 'cancelled' | 'completed';
  version: number;
  error?: { code: string; message: string };
}
