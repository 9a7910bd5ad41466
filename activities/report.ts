import { ApplicationFailure, Context } from '@temporalio/activity';
import type OpenAI from 'openai';
import { INSIGHT_KINDS, regenerationScope, type RewritablePart } from '../src/domain/analysis.js';
import type { CleanPage } from '../src/domain/corpus.js';
import { pagesRead } from '../src/domain/corpus-summary.js';
import { FailureType } from '../src/domain/failures.js';
import {
  CURRENT_PART_LABEL,
  PART_TASKS,
  PROMPT_MARKERS,
  PROMPT_SCAFFOLDING,
  instructionsLines,
  languageLine,
  notesLines,
  repairProblem,
  repairTask,
  synthesisTask,
} from '../src/domain/prompts.js';
import { INVALID_OUTPUT_ATTEMPTS } from '../src/domain/model-outage.js';
import { checkReportQuality, failingParts, type QualityIssue, type QualityResult } from '../src/domain/quality.js';
import { assembleOffering, assemblePersona } from '../src/domain/report-assembly.js';
import {
  offeringRepairSchemas,
  partLabel,
  personaRepairSchemas,
  samePart,
  summaryRepairSchemas,
  synthesisSchemas,
  type ReportContent,
  type ReportPart,
} from '../src/domain/report.js';
import type { Logger } from '../src/logger.js';
import { aiResponsesRepository, type AiResponseRow } from '../src/repositories/ai-responses.js';
import { contentRepository } from '../src/repositories/content.js';
import { reportsRepository, type StoredReport } from '../src/repositories/reports.js';
import { analysisForPrompt, promptTokens, sitePrompt, withResolvedEvidence, type AnalysisForPrompt } from './ai-analysis.js';
import { loadAnalysis } from './load-analysis.js';
import { callModel, withinOutageDeadline } from './model-call.js';
import { withAttemptLog } from './tracking.js';
import type { ActivityDeps, GenerateReportInput, InsightIds, RepairInput } from './types.js';

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

interface Conversation {
  deps: ActivityDeps;
  log: Logger;
  analysis: AnalysisForPrompt;
  analysisId: string;
  version: number;
  repair?: boolean;
}

/** The prompt of a report call: system rules and passages (the shared prefix), then the task. */
function messages(c: Conversation, maxTokens: number, task: readonly string[]) {
  const site = sitePrompt(c.analysis, maxTokens);
  return { ids: site.ids, messages: [...site.prefix, { role: 'user' as const, content: task.join('\n') }] as OpenAI.Chat.ChatCompletionMessageParam[] };
}

/**
 * One answer for a report part, asked on the full passages, retried once on half of them when
 * refused or cut off. A repair (`c.repair`) gives up on unusable answers sooner than the synthesis.
 */
async function ask<T>(c: Conversation, kind: string, schemaName: string, schemasFor: (ids: string[]) => Parameters<typeof callModel<T>>[2]['schemas'], task: readonly string[]) {
  const full = messages(c, promptTokens(c.deps), task);
  return callModel(c.deps, c.log, {
    ...(c.repair ? { invalidOutputAttempts: INVALID_OUTPUT_ATTEMPTS.repair } : {}),
    analysisId: c.analysisId,
    version: c.version,
    kind,
    schemaName,
    schemas: schemasFor(full.ids),
    messages: full.messages,
    smaller: () => messages(c, Math.floor(promptTokens(c.deps) / 2), task).messages,
  });
}

function replaceDrops(content: ReportContent, part: ReportPart, drops: ReportContent['droppedEvidence']): ReportContent['droppedEvidence'] {
  return [...content.droppedEvidence.filter((d) => !(samePart(d.part, part) || (part.kind === 'personas' && d.part.kind === 'persona'))), ...drops];
}

/** Re-asks the model for one part and writes the answer into `content`; returns whether a stand-in answered. */
async function repairPart(c: Conversation, content: ReportContent, part: ReportPart, issues: readonly QualityIssue[], notes: string[]): Promise<boolean> {
  const problems = [...new Set(issues.map((i) => repairProblem(i.field, i.rule, i.item)))];
  const common = [languageLine(c.analysis.language), ...instructionsLines(content.instructions), ...notes];
  const kind = `repair:${partLabel(part).replace(' ', '_')}`;
  if (part.kind === 'summary') {
    const result = await ask(c, kind, 'repair_summary', () => summaryRepairSchemas(), [
      ...repairTask(PART_TASKS.summary, problems),
      `${CURRENT_PART_LABEL} ${JSON.stringify(content.summary)}`,
      ...common,
    ]);
    content.summary = result.parsed.summary.trim();
    return result.standIn;
  }
  if (part.kind === 'offering') {
    const result = await ask(c, kind, 'repair_offering', offeringRepairSchemas, [
      ...repairTask(PART_TASKS.offering, problems),
      `${CURRENT_PART_LABEL} ${JSON.stringify(content.offering)}`,
      ...common,
    ]);
    const { value, dropped } = assembleOffering(result.parsed.offering, c.analysis.passages);
    content.offering = value;
    content.droppedEvidence = replaceDrops(content, part, dropped);
    return result.standIn;
  }
  if (part.kind === 'persona') {
    if (part.index >= content.personas.length) return false;
    const others = content.personas.filter((_, i) => i !== part.index);
    const result = await ask(c, kind, 'repair_persona', personaRepairSchemas, [
      ...repairTask(PART_TASKS.persona(part.index + 1, content.personas.length), problems, { names: others.map((p) => p.name), roles: others.map((p) => p.role) }),
      `${CURRENT_PART_LABEL} ${JSON.stringify(content.personas[part.index])}`,
      ...common,
    ]);
    const { value, dropped } = assemblePersona(result.parsed.persona, part.index, c.analysis.passages);
    content.personas[part.index] = value;
    content.droppedEvidence = replaceDrops(content, part, dropped);
    return result.standIn;
  }
  // The report has no personas: write them again.
  const count = c.analysis.personaCount;
  const result = await ask(c, kind, 'persona_report', (ids) => synthesisSchemas({ summary: false, offering: false, personaCount: count }, ids), [
    synthesisTask({ summary: false, offering: false, personaCount: count }),
    ...common,
  ]);
  const assembled = (result.parsed.personas ?? []).slice(0, count).map((p, i) => assemblePersona(p, i, c.analysis.passages));
  content.personas = assembled.map((a) => a.value);
  content.droppedEvidence = replaceDrops(content, part, assembled.flatMap((a) => a.dropped));
  return result.standIn;
}

/** Parts carried over from the version a regeneration builds on: never rewritten by its repairs. */
function carried(content: ReportContent, part: ReportPart): boolean {
  const kind: RewritablePart = part.kind === 'persona' ? 'personas' : part.kind;
  return content.basedOn?.carriedOver.includes(kind) ?? false;
}

export function createReportActivities(deps: ActivityDeps) {
  return {
    /**
     * `report_generation`: writes the parts this version asks for from the insights; a
     * regeneration of some sections carries the other parts over from the latest report unchanged.
     */
    async generateReport(input: GenerateReportInput): Promise<string> {
      const loaded = await loadAnalysis(deps, input.analysisId);
      return withAttemptLog(deps, { analysisId: input.analysisId, version: input.version, step: 'report_generation' }, (log) => withinOutageDeadline(deps, async () => {
        const analysis = analysisForPrompt(loaded);
        const insights = await loadInsights(deps, log, input.analysisId, input.insightIds);
        const base = input.sections ? await reportsRepository.latest(deps.db, input.analysisId) : undefined;
        const scope = regenerationScope(base ? input.sections : undefined).parts;
        const parts = { summary: scope.includes('summary'), offering: scope.includes('offering'), personaCount: scope.includes('personas') ? analysis.personaCount : 0 };
        const c: Conversation = { deps, log, analysis, analysisId: input.analysisId, version: input.version };
        const synthesis = await ask(c, 'personas', 'persona_report', (ids) => synthesisSchemas(parts, ids), [
          synthesisTask(parts),
          languageLine(analysis.language),
          ...instructionsLines(input.instructions),
          ...researchNotes(analysis, insights),
        ]);
        const answer = synthesis.parsed;
        const offering = answer.offering ? assembleOffering(answer.offering, analysis.passages) : undefined;
        const personas = (answer.personas ?? []).slice(0, parts.personaCount).map((p, i) => assemblePersona(p, i, analysis.passages));
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
      }));
    },

    /** `quality_check`: runs the rules against the stored passages and pages and records passed / degraded. */
    async checkQuality({ reportId }: { reportId: string }): Promise<QualityResult> {
      const report = await loadReport(deps, reportId);
      const analysis = await loadAnalysis(deps, report.analysisId);
      return withAttemptLog(deps, { analysisId: report.analysisId, version: report.version, step: 'quality_check' }, async (log) => {
        const passages = analysisForPrompt(analysis).passages;
        const pageTexts = await loadPageTexts(deps, analysis.contentIds);
        const result = checkReportQuality(report.content, { passages, pageTexts, scaffolding: PROMPT_SCAFFOLDING, markers: PROMPT_MARKERS });
        await reportsRepository.setQuality(deps.db, reportId, result.passed ? 'passed' : 'degraded', result);
        log.info('report quality checked', { reportId, passed: result.passed, issues: result.issues.length, parts: failingParts(result.issues).map(partLabel) });
        return result;
      });
    },

    /**
     * `quality_check`: re-asks the model for the failing parts only, one at a time so that a
     * repaired persona's new name is taken before the next one is repaired. Parts carried over
     * from an earlier version are left alone. The updated report is a draft again until the next
     * checkQuality.
     *
     * A retried attempt asks only what still fails: it checks the stored report again (an earlier
     * attempt may have written its repairs and lost only its acknowledgement), and a part an
     * earlier attempt already got an answer for reuses that answer (callModel). A part whose
     * answers stay unusable is left as it is; the next check says it still fails.
     */
    async repairReport({ reportId, issues, insightIds }: RepairInput): Promise<void> {
      const report = await loadReport(deps, reportId);
      const loaded = await loadAnalysis(deps, report.analysisId);
      return withAttemptLog(deps, { analysisId: report.analysisId, version: report.version, step: 'quality_check' }, (log) => withinOutageDeadline(deps, async () => {
        const analysis = analysisForPrompt(loaded);
        // The insights this version was generated from, as the workflow passed them; never "the latest".
        const notes = researchNotes(analysis, await loadInsights(deps, log, report.analysisId, insightIds));
        const content = structuredClone(report.content);
        const c: Conversation = { deps, log, analysis, analysisId: report.analysisId, version: report.version, repair: true };
        let standIn = content.generatedBy.standIn;
        let current = issues;
        if (Context.current().info.attempt > 1) {
          const pageTexts = await loadPageTexts(deps, loaded.contentIds);
          const now = checkReportQuality(report.content, { passages: analysis.passages, pageTexts, scaffolding: PROMPT_SCAFFOLDING, markers: PROMPT_MARKERS });
          // Only the parts this repair was asked for, as they stand now.
          current = now.issues.filter((i) => issues.some((asked) => samePart(asked.part, i.part)));
        }
        const parts = failingParts(current).filter((p) => !carried(content, p));
        const repaired: ReportPart[] = [];
        for (const part of parts) {
          const partIssues = current.filter((i) => samePart(i.part, part));
          try {
            standIn = (await repairPart(c, content, part, partIssues, notes)) || standIn;
            repaired.push(part);
          } catch (err) {
            // This part's answers stayed unusable: keep the others' repairs, the next check reports it.
            if (!(err instanceof ApplicationFailure && err.type === FailureType.InvalidModelOutput && err.nonRetryable)) throw err;
            log.warn('repair answers unusable; the part stays as it was', { reportId, part: partLabel(part), error: err.message });
          }
        }
        if (parts.length > 0 && repaired.length === 0) {
          throw ApplicationFailure.create({
            type: FailureType.InvalidModelOutput,
            message: `The model gave no usable repair for ${parts.map(partLabel).join(', ')}; the report stands as last checked.`,
            nonRetryable: true,
          });
        }
        if (repaired.length > 0) {
          content.generatedBy = { ...content.generatedBy, standIn };
          await reportsRepository.updateContent(deps.db, reportId, content);
        }
        log.info('report repaired', { reportId, parts: repaired.map(partLabel), asked: issues.length, stillFailing: parts.length });
      }));
    },
  };
}
