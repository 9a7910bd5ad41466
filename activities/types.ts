import type { Config } from '../src/config.js';
import type { Db } from '../src/database.js';
import type { Logger } from '../src/logger.js';
import type { ModelClient } from '../src/model-client.js';
import type { InsightKind, ReportSection, StepName, StepState } from '../src/domain/analysis.js';
import type { QualityIssue, QualityResult } from '../src/domain/quality.js';

/** What every activity factory receives; tests pass real or local instances. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  /** The AI endpoint: one per worker process (concurrency limit, detected output mode); `ai.openai` is the client. */
  ai: ModelClient;
  /** Required: what every test must decide; optional: what has a sensible default when a test leaves it out. */
  config: Pick<Config, 'OPENAI_MODEL' | 'SCRAPE_ALLOW_PRIVATE_NETWORKS' | 'CACHE_TTL_HOURS'> &
    Partial<Pick<Config, 'AI_PROMPT_TOKENS' | 'SCRAPE_USER_AGENT' | 'SCRAPE_ALLOWED_PORTS' | 'CRAWL_MAX_DEPTH' | 'CRAWL_MAX_BYTES' | 'CRAWL_MAX_SECONDS' | 'CRAWL_CONCURRENCY'>>;
  /** How host names become addresses; the system resolver when absent. Tests pass one so no test asks the machine's DNS. */
  resolve?: (hostname: string) => Promise<string[]>;
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
  /** What the regeneration asked to redo; absent: everything. Parts it does not touch carry over from the latest report. */
  sections?: ReportSection[];
  /**
   * Also run the quality check on the stored report and return it (CheckedReport): the check is
   * part of the attempt, with no activity of its own. Absent in runs recorded before this existed.
   */
  check?: boolean;
}

/** What generateReport returns when asked to check: the report and its quality verdict. */
export interface CheckedReport {
  reportId: string;
  quality: QualityResult;
}

export interface RepairInput {
  reportId: string;
  issues: QualityIssue[];
  /** The insights the report was generated from: a repair must build on the same ones. */
  insightIds: InsightIds;
  /** Also check the repaired report and return the QualityResult (see GenerateReportInput.check). */
  check?: boolean;
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
