import { ApplicationFailure } from '@temporalio/activity';
import { INSIGHT_KINDS } from '../src/domain/analysis.js';
import type { CleanPage } from '../src/domain/corpus.js';
import { FailureType } from '../src/domain/failures.js';
import { ANALYST_SYSTEM_PROMPT } from '../src/domain/insights.js';
import { checkReportQuality, failingSections } from '../src/domain/quality.js';
import {
  offeringRepairSchema,
  personaRepairSchema,
  reportSynthesisRequestSchema,
  reportSynthesisSchema,
  summaryRepairSchema,
  type ReportContent,
} from '../src/domain/report.js';
import type { Logger } from '../src/logger.js';
import { aiResponsesRepository, type AiResponseRow } from '../src/repositories/ai-responses.js';
import { contentRepository } from '../src/repositories/content.js';
import { reportsRepository, type StoredReport } from '../src/repositories/reports.js';
import { analysisForPrompt, pagesSection, requestStructured, siteHeader, type AnalysisForPrompt } from './ai-analysis.js';
import { loadAnalysis } from './load-analysis.js';
import { trackAttempt } from './tracking.js';
import type { ActivityDeps, GenerateReportInput, InsightIds, QualityIssue, QualityResult, RepairInput } from './types.js';

const SYNTHESIS_TASK = (count: number) =>
  [
    `Task: from the research notes and the pages below, write a customer persona report with exactly ${count} distinct persona(s).`,
    'Each persona is a realistic individual buyer or user of this company (a human name, a role, goals, pain points,',
    'objections, buying triggers, channels and the messages that resonate), clearly different from the others in role and',
    'situation. Also write an executive summary and a description of the offering. Back every persona and the offering',
    'with verbatim quotes from the pages.',
  ].join(' ');

function researchNotes(rows: readonly Pick<AiResponseRow, 'kind' | 'parsed'>[]): string[] {
  if (rows.length === 0) return [];
  return ['', 'Research notes (earlier analysis of the same pages, as JSON):', ...rows.map((r) => `--- ${r.kind} ---\n${JSON.stringify(r.parsed)}`)];
}

/** The home page's title names the site best; fall back to the first page, then the domain. */
function siteTitle(analysis: AnalysisForPrompt): string {
  const home = analysis.corpus.pages.find((p) => p.url === analysis.url) ?? analysis.corpus.pages[0];
  const title = home?.title.replace(/\s+/g, ' ').trim() ?? '';
  return title ? title.slice(0, 160) : analysis.domain;
}

/** Checked before trackAttempt, like the analysis: the report names the analysis the attempt is recorded on. */
async function loadReport(deps: ActivityDeps, reportId: string): Promise<StoredReport> {
  const report = await reportsRepository.byId(deps.db, reportId);
  if (!report) {
    throw ApplicationFailure.create({
      type: FailureType.ReportNotFound,
      message: `Report ${reportId} does not exist (it may have been deleted with its analysis).`,
      nonRetryable: true,
    });
  }
  return report;
}

/**
 * The insight responses a report builds on, in INSIGHT_KINDS order. The IDs come from the
 * workflow, so generation and every repair of a version read the same rows. A row that is gone,
 * unparsed or of another analysis cannot be replaced by guessing: not retryable.
 */
async function loadInsights(deps: ActivityDeps, log: Logger, analysisId: string, insightIds: InsightIds): Promise<AiResponseRow[]> {
  const rows = await aiResponsesRepository.byIds(deps.db, Object.values(insightIds));
  return INSIGHT_KINDS.map((kind) => {
    const row = rows.find((r) => r.id === insightIds[kind]);
    if (!row?.parsed || row.analysis_id !== analysisId) {
      log.warn('insight response missing, unparsed or of another analysis', { kind, responseId: insightIds[kind] });
      throw ApplicationFailure.create({
        type: FailureType.InsightMissing,
        message: `The "${kind}" insight this report builds on is missing or unreadable; request a new version to analyse the site again.`,
        nonRetryable: true,
      });
    }
    return row;
  });
}

/** Cleaned text of the analysis's pages by URL: what evidence quotes are checked against. */
async function loadCleanedPages(deps: ActivityDeps, contentIds: readonly string[]): Promise<Map<string, string>> {
  const rows = await contentRepository.byIds(deps.db, contentIds);
  const pages = new Map<string, string>();
  for (const row of rows) {
    const cleaned = row.cleaned as CleanPage | null;
    if (!cleaned) continue;
    // The cleaned URL is the one prompts show; the fetched URL may differ after redirects.
    pages.set(cleaned.url, cleaned.text);
    if (!pages.has(row.url)) pages.set(row.url, cleaned.text);
  }
  return pages;
}

const SECTION_TASKS: Record<'summary' | 'offering', string> = {
  summary: 'the executive summary: who buys from this company and why',
  offering: 'the offering section: what the company sells, its value propositions, with verbatim evidence',
};

function repairPrompt(analysis: AnalysisForPrompt, report: ReportContent, section: string, issues: readonly QualityIssue[], current: unknown, notes: string[]): string {
  const personaIndex = /^personas\[(\d+)\]$/.exec(section)?.[1];
  const others = report.personas.filter((_, i) => String(i) !== personaIndex);
  const what = personaIndex !== undefined ? `persona ${Number(personaIndex) + 1} of ${report.personas.length}` : SECTION_TASKS[section as 'summary' | 'offering'];
  return [
    `Task: rewrite ${what} of a customer persona report. It failed the quality check for these reasons:`,
    ...issues.map((i) => `- ${i.message}`),
    'Keep what is right and fix every problem listed. Every evidence quote must be copied character for character from the',
    'text of the page it cites, and its sourceUrl must be that page\'s URL from the "=== PAGE <url> ===" header.',
    ...(personaIndex !== undefined
      ? [
          'The persona must differ from the other personas of the report in name and role.',
          `Names already taken: ${others.map((p) => p.name).join('; ')}`,
          `Roles already taken: ${others.map((p) => p.role).join('; ')}`,
        ]
      : []),
    '',
    `The current text of this part (JSON): ${JSON.stringify(current)}`,
    ...siteHeader(analysis, report.instructions),
    ...notes,
    ...pagesSection(analysis),
  ].join('\n');
}

interface RepairContext {
  deps: ActivityDeps;
  log: Logger;
  analysis: AnalysisForPrompt;
  report: StoredReport;
  notes: string[];
}

/** Re-asks the model for one section and writes the answer into `content`; returns whether a stand-in answered. */
async function repairSection(rc: RepairContext, content: ReportContent, section: string, issues: readonly QualityIssue[]): Promise<boolean> {
  const { deps, log, analysis, report } = rc;
  const base = { analysisId: report.analysisId, version: report.version, kind: `repair:${section}` };
  const system = { role: 'system' as const, content: ANALYST_SYSTEM_PROMPT };
  const personaIndex = /^personas\[(\d+)\]$/.exec(section)?.[1];

  if (section === 'summary') {
    const user = repairPrompt(analysis, content, section, issues, content.summary, rc.notes);
    const result = await requestStructured(deps, log, { ...base, schemaName: 'repair_summary', schema: summaryRepairSchema, messages: [system, { role: 'user', content: user }] });
    content.summary = result.parsed.summary;
    return result.standIn;
  }
  if (section === 'offering') {
    const user = repairPrompt(analysis, content, section, issues, content.offering, rc.notes);
    const result = await requestStructured(deps, log, { ...base, schemaName: 'repair_offering', schema: offeringRepairSchema, messages: [system, { role: 'user', content: user }] });
    content.offering = result.parsed.offering;
    return result.standIn;
  }
  if (personaIndex !== undefined) {
    const index = Number(personaIndex);
    if (index >= content.personas.length) return false;
    const user = repairPrompt(analysis, content, section, issues, content.personas[index], rc.notes);
    const result = await requestStructured(deps, log, {
      ...base,
      schemaName: 'repair_persona',
      schema: personaRepairSchema,
      messages: [system, { role: 'user', content: user }],
    });
    content.personas[index] = result.parsed.persona;
    return result.standIn;
  }
  // 'personas': the report has none; synthesize them again.
  const user = [SYNTHESIS_TASK(analysis.personaCount), ...siteHeader(analysis, content.instructions), ...rc.notes, ...pagesSection(analysis)].join('\n');
  const result = await requestStructured(deps, log, {
    ...base,
    schemaName: 'persona_report',
    schema: reportSynthesisSchema,
    requestSchema: reportSynthesisRequestSchema(analysis.personaCount),
    messages: [system, { role: 'user', content: user }],
  });
  content.personas = result.parsed.personas.slice(0, analysis.personaCount);
  return result.standIn;
}

export function createReportActivities(deps: ActivityDeps) {
  return {
    /** `report_generation`: synthesizes the personas from the insights and stores the draft report. */
    async generateReport(input: GenerateReportInput): Promise<string> {
      const loaded = await loadAnalysis(deps, input.analysisId);
      return trackAttempt(deps, { analysisId: input.analysisId, version: input.version, step: 'report_generation' }, async (log) => {
        const analysis = analysisForPrompt(loaded);
        const insights = await loadInsights(deps, log, input.analysisId, input.insightIds);
        const count = analysis.personaCount;
        const user = [SYNTHESIS_TASK(count), ...siteHeader(analysis, input.instructions), ...researchNotes(insights), ...pagesSection(analysis)].join('\n');
        const synthesis = await requestStructured(deps, log, {
          analysisId: input.analysisId,
          version: input.version,
          kind: 'personas',
          schemaName: 'persona_report',
          schema: reportSynthesisSchema,
          requestSchema: reportSynthesisRequestSchema(count),
          messages: [
            { role: 'system', content: ANALYST_SYSTEM_PROMPT },
            { role: 'user', content: user },
          ],
        });
        const content: ReportContent = {
          site: { url: analysis.url, domain: analysis.domain, title: siteTitle(analysis) },
          language: analysis.language,
          summary: synthesis.parsed.summary,
          offering: synthesis.parsed.offering,
          personas: synthesis.parsed.personas.slice(0, count),
          generatedBy: { model: synthesis.model, standIn: synthesis.standIn || insights.some((r) => r.stand_in) },
          version: input.version,
          ...(input.instructions ? { instructions: input.instructions } : {}),
        };
        if (synthesis.parsed.personas.length !== count) {
          log.warn('model returned a different number of personas', { requested: count, returned: synthesis.parsed.personas.length });
        }
        return reportsRepository.create(deps.db, { analysisId: input.analysisId, version: input.version, content, instructions: input.instructions });
      });
    },

    /** `quality_check`: runs the rules against the cleaned pages and records passed / degraded. */
    async checkQuality({ reportId }: { reportId: string }): Promise<QualityResult> {
      const report = await loadReport(deps, reportId);
      const analysis = await loadAnalysis(deps, report.analysisId);
      return trackAttempt(deps, { analysisId: report.analysisId, version: report.version, step: 'quality_check' }, async (log) => {
        const pages = await loadCleanedPages(deps, analysis.contentIds);
        const result = checkReportQuality(report.content, pages);
        await reportsRepository.setQuality(deps.db, reportId, result.passed ? 'passed' : 'degraded', result);
        log.info('report quality checked', { reportId, passed: result.passed, issues: result.issues.length, sections: failingSections(result.issues) });
        return result;
      });
    },

    /**
     * `quality_check`: re-asks the model for the failing sections only, one at a time so that a
     * repaired persona's new name is taken before the next one is repaired. The updated report is
     * a draft again until the next checkQuality.
     */
    async repairReport({ reportId, issues, insightIds }: RepairInput): Promise<void> {
      const report = await loadReport(deps, reportId);
      const loaded = await loadAnalysis(deps, report.analysisId);
      return trackAttempt(deps, { analysisId: report.analysisId, version: report.version, step: 'quality_check' }, async (log) => {
        const analysis = analysisForPrompt(loaded);
        // The insights this version was generated from, as the workflow passed them; never "the latest".
        const notes = researchNotes(await loadInsights(deps, log, report.analysisId, insightIds));
        const content = structuredClone(report.content);
        let standIn = content.generatedBy.standIn;
        for (const section of failingSections(issues)) {
          const sectionIssues = issues.filter((i) => i.section === section);
          standIn = (await repairSection({ deps, log, analysis, report, notes }, content, section, sectionIssues)) || standIn;
        }
        content.generatedBy = { ...content.generatedBy, standIn };
        await reportsRepository.updateContent(deps.db, reportId, content);
        log.info('report repaired', { reportId, sections: failingSections(issues) });
      });
    },
  };
}
