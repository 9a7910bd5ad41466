import { ApplicationFailure } from '@temporalio/activity';
import type OpenAI from 'openai';
import { corpusPassages, type Corpus } from '../src/domain/corpus.js';
import { resolveEvidence, type CitedEvidence } from '../src/domain/evidence.js';
import { FailureType } from '../src/domain/failures.js';
import { insightSchemas, outputLanguage } from '../src/domain/insights.js';
import type { LocatablePassage } from '../src/domain/passages.js';
import { ANALYST_SYSTEM_PROMPT, INSIGHT_TASKS, instructionsLines, languageLine, promptPassages, siteMessage } from '../src/domain/prompts.js';
import { loadAnalysis, type LoadedAnalysis } from './load-analysis.js';
import { callModel, withinOutageDeadline } from './model-call.js';
import { withAttemptLog } from './tracking.js';
import type { ActivityDeps, InsightInput } from './types.js';

/** What one prompt may spend on the site's passages, in tokens, unless configured. */
export const DEFAULT_PROMPT_TOKENS = 10_000;

export interface AnalysisForPrompt {
  id: string;
  url: string;
  domain: string;
  language: string;
  personaCount: number;
  corpus: Corpus;
  /** Every passage of the corpus: what citations resolve against. */
  passages: LocatablePassage[];
}

/** What the prompts need from an analysis; one without cleaned content cannot be analysed (not retryable). */
export function analysisForPrompt(analysis: LoadedAnalysis): AnalysisForPrompt {
  const { corpus } = analysis;
  if (!corpus || corpus.pages.length === 0) {
    throw ApplicationFailure.nonRetryable(`Analysis ${analysis.id} has no cleaned content to analyse.`, FailureType.NoContent);
  }
  return {
    id: analysis.id,
    url: analysis.url,
    domain: analysis.domain,
    // The requested language wins over the detected one.
    language: outputLanguage(analysis.options.language ?? analysis.language ?? corpus.language),
    personaCount: analysis.options.personaCount,
    corpus,
    passages: corpusPassages(corpus),
  };
}

export interface SitePrompt {
  /** System rules and the site's passages: the same for every call of the analysis (a cacheable prefix). */
  prefix: OpenAI.Chat.ChatCompletionMessageParam[];
  /** The IDs shown, for the answer schema's enum. */
  ids: string[];
}

/** The prompt's fixed part, with at most `maxTokens` of passages (half as many for a smaller retry). */
export function sitePrompt(analysis: AnalysisForPrompt, maxTokens: number): SitePrompt {
  const corpus = { ...analysis.corpus, pages: analysis.corpus.pages.map((p, i) => ({ ...p, passages: analysis.passages.filter((x) => x.id.startsWith(`p${i + 1}.`)) })) };
  const chosen = promptPassages(corpus, maxTokens);
  return {
    prefix: [
      { role: 'system', content: ANALYST_SYSTEM_PROMPT },
      { role: 'user', content: siteMessage(analysis, corpus, chosen) },
    ],
    ids: [...chosen.values()].flat().map((p) => p.id),
  };
}

/** The passages budget of one prompt (AI_PROMPT_TOKENS): a small local model has a small context window. */
export function promptTokens(deps: ActivityDeps): number {
  return deps.config.AI_PROMPT_TOKENS ?? DEFAULT_PROMPT_TOKENS;
}

/**
 * Replaces every `evidence` list in an insight answer by the IDs it resolves to, so research
 * notes handed to the synthesis cite only passages that exist.
 */
export function withResolvedEvidence(value: unknown, passages: readonly LocatablePassage[]): unknown {
  if (Array.isArray(value)) return value.map((v) => withResolvedEvidence(v, passages));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === 'evidence' && Array.isArray(v) ? [k, resolveEvidence(v as CitedEvidence[], passages).refs.map((r) => r.passageId)] : [k, withResolvedEvidence(v, passages)],
    ),
  );
}

export function createAiAnalysisActivities(deps: ActivityDeps) {
  return {
    /** One insight call of `ai_analysis`; returns the ai_responses id for the report step. */
    async analyzeInsight(input: InsightInput): Promise<string> {
      const loaded = await loadAnalysis(deps, input.analysisId);
      return withAttemptLog(deps, { analysisId: input.analysisId, version: input.version, step: 'ai_analysis' }, (log) => withinOutageDeadline(deps, async () => {
        const analysis = analysisForPrompt(loaded);
        const build = (maxTokens: number) => {
          const site = sitePrompt(analysis, maxTokens);
          const task = [INSIGHT_TASKS[input.kind], languageLine(analysis.language), ...instructionsLines(input.instructions)].join('\n');
          return { site, messages: [...site.prefix, { role: 'user' as const, content: task }] };
        };
        const full = build(promptTokens(deps));
        const result = await callModel(deps, log, {
          analysisId: input.analysisId,
          version: input.version,
          kind: input.kind,
          schemaName: `insight_${input.kind}`,
          schemas: insightSchemas(input.kind, full.site.ids),
          messages: full.messages,
          smaller: () => build(Math.floor(promptTokens(deps) / 2)).messages,
        });
        return result.responseId;
      }));
    },
  };
}
