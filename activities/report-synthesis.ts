import { Context } from '@temporalio/activity';
import { onePersonaTask, synthesisTask } from '../src/domain/prompts.js';
import { synthesisSchemas, type ModelPersona, type SynthesisAnswer, type SynthesisParts } from '../src/domain/report.js';
import { aiResponsesRepository } from '../src/repositories/ai-responses.js';
import { answerCutOff, callKey } from './model-call.js';
import { ask, type Conversation } from './report-ask.js';

/** The synthesis as the report is written from it: the answer, and who gave it. */
export interface Synthesis {
  parsed: SynthesisAnswer;
  model: string;
  standIn: boolean;
}

/** The call kinds of the parts asked one at a time (the progress counts them under report_generation). */
const PART_KINDS = { overview: 'personas:overview', persona: (n: number) => `personas:persona_${n}` };

/**
 * The synthesis: every part this version writes, in one request. When that answer is cut off at
 * the model's token limit, also when asked again smaller (a small model's output limit, or one
 * that repeats itself until the limit), the parts are asked one at a time: the summary and
 * offering together, then each persona, told the names and roles the earlier ones took. Each
 * answer is a fraction as long. Every call has a key of its own, so a retried attempt reuses the
 * answers already stored, and one after an attempt that went part by part goes so at once.
 */
export async function synthesize(c: Conversation, parts: SynthesisParts, context: readonly string[]): Promise<Synthesis> {
  const split = (parts.summary || parts.offering ? 1 : 0) + parts.personaCount;
  if (split >= 2 && (await wentPartByPart(c))) return partByPart(c, parts, context);
  try {
    return await ask(c, 'personas', 'persona_report', (ids) => synthesisSchemas(parts, ids), [synthesisTask(parts), ...context]);
  } catch (err) {
    if (!answerCutOff(err) || split < 2) throw err;
    c.log.warn('the answer for every part at once was cut off at the token limit; asking a part at a time', { parts: split });
    return partByPart(c, parts, context);
  }
}

/** Whether an earlier attempt of this activity stored an answer for a part asked on its own. */
async function wentPartByPart(c: Conversation): Promise<boolean> {
  const info = Context.current().info;
  if (info.attempt <= 1) return false;
  const stored = await Promise.all(
    [PART_KINDS.overview, PART_KINDS.persona(1)].map((kind) => aiResponsesRepository.storedAnswer(c.deps.db, { analysisId: c.analysisId, version: c.version, callKey: callKey(info, kind) })),
  );
  return stored.some(Boolean);
}

async function partByPart(c: Conversation, parts: SynthesisParts, context: readonly string[]): Promise<Synthesis> {
  const answers: Synthesis[] = [];
  let overview: SynthesisAnswer = {};
  if (parts.summary || parts.offering) {
    const only = { ...parts, personaCount: 0 };
    const answer = await ask(c, PART_KINDS.overview, 'persona_report', (ids) => synthesisSchemas(only, ids), [synthesisTask(only), ...context]);
    overview = answer.parsed;
    answers.push(answer);
  }
  const personas: ModelPersona[] = [];
  const one = { summary: false, offering: false, personaCount: 1 };
  for (let n = 1; n <= parts.personaCount; n++) {
    const others = { names: personas.map((p) => p.name), roles: personas.map((p) => p.role) };
    const answer = await ask(c, PART_KINDS.persona(n), 'persona_report', (ids) => synthesisSchemas(one, ids), [...onePersonaTask(n, parts.personaCount, others), ...context]);
    personas.push(...(answer.parsed.personas ?? []).slice(0, 1));
    answers.push(answer);
  }
  return {
    parsed: { ...overview, ...(parts.personaCount > 0 ? { personas } : {}) },
    model: answers[0]?.model ?? '',
    standIn: answers.some((a) => a.standIn),
  };
}
