import { ApplicationFailure, Context } from '@temporalio/activity';
import { INSIGHT_KINDS, regenerationScope, type RewritablePart } from '../src/domain/analysis.js';
import { pageContextTexts, type CleanPage } from '../src/domain/corpus.js';
import { pagesRead } from '../src/domain/corpus-summary.js';
import { FailureType } from '../src/domain/failures.js';
import { PROMPT_MARKERS, PROMPT_SCAFFOLDING, PROMPT_TERMS, instructionsLines, languageLine, notesLines } from '../src/domain/prompts.js';
import { checkReportQuality, failingParts, type QualityResult } from '../src/domain/quality.js';
import { assembleOffering, assemblePersona } from '../src/domain/report-assembly.js';
import { partLabel, samePart, type ReportContent } from '../src/domain/report.js';
import type { Logger } from '../src/logger.js';
import { aiResponsesRepository, type AiResponseRow } from '../src/repositories/ai-responses.js';
import { contentRepository } from '../src/repositories/content.js';
import { reportsRepository, type StoredReport } from '../src/repositories/reports.js';
import { analysisForPrompt, withResolvedEvidence, type AnalysisForPrompt } from './ai-analysis.js';
import { loadAnalysis, type LoadedAnalysis } from './load-analysis.js';
import { withinOutageDeadline } from './model-call.js';
import type { Conversation } from './report-ask.js';
import { carried, repairParts } from './report-repair.js';
import { synthesize } from './report-synthesis.js';
import { stepWithin, withAttemptLog } from './tracking.js';
import type { ActivityDeps, CheckedReport, GenerateReportInput, InsightIds, RepairInput } from './types.js';

/** The home page's title names the site best; fall back to the first page, then the domain. */
function siteTitle(analysis: AnalysisForPrompt): string {
  const home = analysis.corpus.pages.find((p) => p.url === analysis.url) ?? analysis.corpus.pages[0];
  const title = home?.title.replace(/\s+/g, ' ').trim() ?? '';
  return title ? title.slice(0, 160) : analysis.domain;
}

/** Checked first, like the analysis: the report names the analysis the attempt is recorded on. */
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

/** Research notes for the prompt: the insights, citing only passages that exist. */
function researchNotes(analysis: AnalysisForPrompt, rows: readonly AiResponseRow[]): string[] {
  return notesLines(rows.map((r) => ({ kind: r.kind, parsed: withResolvedEvidence(r.parsed, analysis.passages) })));
}

/** Cleaned text of the analysis's pages by URL: what evidence is re-checked against. */
async function loadPageTexts(deps: ActivityDeps, contentIds: readonly string[]): Promise<Map<string, string>> {
  const rows = await contentRepository.byIds(deps.db, contentIds);
  const pages = new Map<string, string>();
  for (const row of rows) {
    const cleaned = row.cleaned as CleanPage | null;
    if (!cleaned) continue;
    pages.set(cleaned.url, cleaned.text);
    if (!pages.has(row.url)) pages.set(row.url, cleaned.text);
  }
  return pages;
}

/** The quality rules on report content, against the analysis's stored passages and cleaned pages. */
async function runRules(deps: ActivityDeps, analysis: AnalysisForPrompt, contentIds: readonly string[], content: ReportContent): Promise<QualityResult> {
  const pageTexts = await loadPageTexts(deps, contentIds);
  return checkReportQuality(content, {
    passages: analysis.passages,
    pageTexts,
    siteContext: pageContextTexts(analysis.corpus),
    siteLanguage: analysis.corpus.language,
    scaffolding: PROMPT_SCAFFOLDING,
    markers: PROMPT_MARKERS,
    terms: PROMPT_TERMS,
  });
}

/**
 * `quality_check`: the rules on the report as stored, recorded on it as passed / degraded. The one
 * check, whether its own activity (checkQuality) or the end of generateReport / repairReport runs it.
 */
async function checkStored(deps: ActivityDeps, log: Logger, report: Pick<StoredReport, 'id' | 'content'>, loaded: LoadedAnalysis): Promise<QualityResult> {
  const result = await runRules(deps, analysisForPrompt(loaded), loaded.contentIds, report.content);
  await reportsRepository.setQuality(deps.db, report.id, result.passed ? 'passed' : 'degraded', result);
  log.info('report quality checked', { reportId: report.id, passed: result.passed, issues: result.issues.length, parts: failingParts(result.issues).map(partLabel) });
  return result;
}

/** Where a report activity that checks what it wrote records the check (activities/tracking.ts). */
const qualityStep = (report: { analysisId: string; version: number }) => ({ analysisId: report.analysisId, version: report.version, step: 'quality_check' as const });

export function createReportActivities(deps: ActivityDeps) {
  /**
   * `report_generation`: writes the parts this version asks for from the insights; a
   * regeneration of some sections carries the other parts over from the latest report unchanged.
   * With `check`, the same attempt then runs `quality_check`'s rules on the stored report and
   * records that step (running, and completed when it passed: no repair follows).
   */
  async function generateReport(input: GenerateReportInput & { check: true }): Promise<CheckedReport>;
  async function generateReport(input: GenerateReportInput): Promise<string>;
  async function generateReport(input: GenerateReportInput): Promise<string | CheckedReport> {
    const loaded = await loadAnalysis(deps, input.analysisId);
    return withAttemptLog(deps, { analysisId: input.analysisId, version: input.version, step: 'report_generation' }, (log) => withinOutageDeadline(deps, async () => {
      const reportId = await writeReport(deps, log, loaded, input);
      if (!input.check) return reportId;
      // Checked as stored: a late retry of a finalized version is handed the finalized report.
      const quality = await checkStored(deps, log, await loadReport(deps, reportId), loaded);
      await stepWithin(deps, qualityStep(input), quality.passed);
      return { reportId, quality };
    }));
  }

  /**
   * `quality_check`: re-asks the model for the failing parts only, all at once (repairParts).
   * Parts carried over from an earlier version are left alone. The updated report is a draft again
   * until the next check; with `check`, that check ends this attempt and is returned (the step is
   * completed when it passed).
   *
   * A retried attempt asks only what still fails: it checks the stored report again (an earlier
   * attempt may have written its repairs and lost only its acknowledgement), and a part an
   * earlier attempt already got an answer for reuses that answer (callModel). A part whose
   * answers stay unusable is left as it is; the next check says it still fails.
   */
  async function repairReport(input: RepairInput & { check: true }): Promise<QualityResult>;
  async function repairReport(input: RepairInput): Promise<void>;
  async function repairReport({ reportId, issues, insightIds, check }: RepairInput): Promise<QualityResult | void> {
    const report = await loadReport(deps, reportId);
    const loaded = await loadAnalysis(deps, report.analysisId);
    return withAttemptLog(deps, { analysisId: report.analysisId, version: report.version, step: 'quality_check' }, (log) => withinOutageDeadline(deps, async () => {
      const analysis = analysisForPrompt(loaded);
      // The insights this version was generated from, as the workflow passed them; never "the latest".
      const notes = researchNotes(analysis, await loadInsights(deps, log, report.analysisId, insightIds));
      const content = structuredClone(report.content);
      const c: Conversation = { deps, log, analysis, analysisId: report.analysisId, version: report.version, repair: true };
      let current = issues;
      if (Context.current().info.attempt > 1) {
        const now = await runRules(deps, analysis, loaded.contentIds, report.content);
        // Only the parts this repair was asked for, as they stand now.
        current = now.issues.filter((i) => issues.some((asked) => samePart(asked.part, i.part)));
      }
      const parts = failingParts(current).filter((p) => !carried(content, p));
      const { repaired, standIn } = await repairParts(c, content, parts, current, notes);
      if (parts.length > 0 && repaired.length === 0) {
        throw ApplicationFailure.create({
          type: FailureType.InvalidModelOutput,
          message: `The model gave no usable repair for ${parts.map(partLabel).join(', ')}; the report stands as last checked.`,
          nonRetryable: true,
        });
      }
      if (repaired.length > 0) {
        content.generatedBy = { ...content.generatedBy, standIn: standIn || content.generatedBy.standIn };
        await reportsRepository.updateContent(deps.db, reportId, content);
      }
      log.info('report repaired', { reportId, parts: repaired.map(partLabel), asked: issues.length, stillFailing: parts.length });
      if (!check) return;
      const quality = await checkStored(deps, log, { id: reportId, content: repaired.length > 0 ? content : report.content }, loaded);
      if (quality.passed) await stepWithin(deps, qualityStep(report), true);
      return quality;
    }));
  }

  return {
    generateReport,

    /** `quality_check` as an activity of its own: what runs recorded before the check moved into generateReport and repairReport call. */
    async checkQuality({ reportId }: { reportId: string }): Promise<QualityResult> {
      const report = await loadReport(deps, reportId);
      const analysis = await loadAnalysis(deps, report.analysisId);
      return withAttemptLog(deps, { analysisId: report.analysisId, version: report.version, step: 'quality_check' }, (log) => checkStored(deps, log, report, analysis));
    },

    repairReport,
  };
}

/** The synthesis: asks the model for this version's parts and stores the draft; returns its id. */
async function writeReport(deps: ActivityDeps, log: Logger, loaded: LoadedAnalysis, input: GenerateReportInput): Promise<string> {
  const analysis = analysisForPrompt(loaded);
  const insights = await loadInsights(deps, log, input.analysisId, input.insightIds);
  const base = input.sections ? await reportsRepository.latest(deps.db, input.analysisId) : undefined;
  const scope = regenerationScope(base ? input.sections : undefined).parts;
  const parts = { summary: scope.includes('summary'), offering: scope.includes('offering'), personaCount: scope.includes('personas') ? analysis.personaCount : 0 };
  const c: Conversation = { deps, log, analysis, analysisId: input.analysisId, version: input.version };
  const synthesis = await synthesize(c, parts, [languageLine(analysis.language), ...instructionsLines(input.instructions), ...researchNotes(analysis, insights)]);
  const answer = synthesis.parsed;
  const offering = answer.offering ? assembleOffering(answer.offering, analysis.passages) : undefined;
  const personas = (answer.personas ?? []).slice(0, parts.personaCount).map((p, i) => assemblePersona(p, i, analysis));
  if (parts.personaCount > 0 && (answer.personas?.length ?? 0) !== parts.personaCount) {
    log.warn('model returned a different number of personas', { requested: parts.personaCount, returned: answer.personas?.length ?? 0 });
  }
  const carriedOver = (['summary', 'offering', 'personas'] as const).filter((p) => !scope.includes(p));
  const fromBase = (p: RewritablePart) => (base ? base.content.droppedEvidence.filter((d) => (d.part.kind === 'persona' ? 'personas' : d.part.kind) === p) : []);
  const content: ReportContent = {
    format: 2,
    site: { url: analysis.url, domain: analysis.domain, title: siteTitle(analysis) },
    language: analysis.language,
    summary: parts.summary ? (answer.summary?.trim() ?? '') : (base?.content.summary ?? null),
    offering: offering ? offering.value : (base?.content.offering ?? null),
    personas: parts.personaCount > 0 ? personas.map((p) => p.value) : (base?.content.personas ?? []),
    droppedEvidence: [...(offering?.dropped ?? []), ...personas.flatMap((p) => p.dropped), ...carriedOver.flatMap(fromBase)],
    withheld: base ? base.content.withheld.filter((w) => carriedOver.includes(w.part.kind === 'persona' ? 'personas' : (w.part.kind as RewritablePart))) : [],
    generatedBy: { model: synthesis.model, standIn: synthesis.standIn || insights.some((r) => r.stand_in) || (base?.content.generatedBy.standIn ?? false) },
    version: input.version,
    ...(input.instructions ? { instructions: input.instructions } : {}),
    ...(base && carriedOver.length > 0 ? { basedOn: { version: base.version, carriedOver } } : {}),
    pages: pagesRead(loaded.corpus, loaded.crawl),
  };
  return reportsRepository.create(deps.db, { analysisId: input.analysisId, version: input.version, content, instructions: input.instructions, insightIds: input.insightIds });
}
