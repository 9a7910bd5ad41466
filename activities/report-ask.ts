import type OpenAI from 'openai';
import { INVALID_OUTPUT_ATTEMPTS } from '../src/domain/model-outage.js';
import type { Logger } from '../src/logger.js';
import { promptTokens, sitePrompt, type AnalysisForPrompt } from './ai-analysis.js';
import { callModel } from './model-call.js';
import type { ActivityDeps } from './types.js';

/** What every model call of a report activity (synthesis, repairs) shares. */
export interface Conversation {
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
 * `kind` names the call (its call key): a retried attempt reuses the answer stored under it.
 */
export async function ask<T>(
  c: Conversation,
  kind: string,
  schemaName: string,
  schemasFor: (ids: string[]) => Parameters<typeof callModel<T>>[2]['schemas'],
  task: readonly string[],
) {
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
