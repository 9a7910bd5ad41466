import { ApplicationFailure } from '@temporalio/activity';
import type { RewritablePart } from '../src/domain/analysis.js';
import { FailureType } from '../src/domain/failures.js';
import { foldForMatching } from '../src/domain/passages.js';
import { CURRENT_PART_LABEL, PART_TASKS, instructionsLines, languageLine, repairProblem, repairTask, synthesisTask } from '../src/domain/prompts.js';
import type { QualityIssue } from '../src/domain/quality.js';
import { assembleOffering, assemblePersona } from '../src/domain/report-assembly.js';
import {
  offeringRepairSchemas,
  partLabel,
  personaRepairSchemas,
  samePart,
  summaryRepairSchemas,
  synthesisSchemas,
  type Persona,
  type ReportContent,
  type ReportPart,
} from '../src/domain/report.js';
import { ask, type Conversation } from './report-ask.js';

/** A part's new text, applied to the report once every part asked at the same time has answered. */
interface PartRepair {
  standIn: boolean;
  apply: (content: ReportContent) => void;
}

function replaceDrops(content: ReportContent, part: ReportPart, drops: ReportContent['droppedEvidence']): ReportContent['droppedEvidence'] {
  return [...content.droppedEvidence.filter((d) => !(samePart(d.part, part) || (part.kind === 'personas' && d.part.kind === 'persona'))), ...drops];
}

/** Re-asks the model for one part of `content` as it stands; the answer is applied later (PartRepair). */
async function repairPart(c: Conversation, content: ReportContent, part: ReportPart, issues: readonly QualityIssue[], notes: string[]): Promise<PartRepair> {
  const problems = [...new Set(issues.map((i) => repairProblem(i.field, i.rule, i.item)))];
  const common = [languageLine(c.analysis.language), ...instructionsLines(content.instructions), ...notes];
  const kind = `repair:${partLabel(part).replace(' ', '_')}`;
  if (part.kind === 'summary') {
    const result = await ask(c, kind, 'repair_summary', () => summaryRepairSchemas(), [
      ...repairTask(PART_TASKS.summary, problems),
      `${CURRENT_PART_LABEL} ${JSON.stringify(content.summary)}`,
      ...common,
    ]);
    return { standIn: result.standIn, apply: (r) => void (r.summary = result.parsed.summary.trim()) };
  }
  if (part.kind === 'offering') {
    const result = await ask(c, kind, 'repair_offering', offeringRepairSchemas, [
      ...repairTask(PART_TASKS.offering, problems),
      `${CURRENT_PART_LABEL} ${JSON.stringify(content.offering)}`,
      ...common,
    ]);
    const { value, dropped } = assembleOffering(result.parsed.offering, c.analysis.passages);
    return {
      standIn: result.standIn,
      apply: (r) => {
        r.offering = value;
        r.droppedEvidence = replaceDrops(r, part, dropped);
      },
    };
  }
  if (part.kind === 'persona') {
    if (part.index >= content.personas.length) return { standIn: false, apply: () => undefined };
    // The others as they stand before this round; names two repairs both chose are told apart after (distinctNames).
    const others = content.personas.filter((_, i) => i !== part.index);
    const result = await ask(c, kind, 'repair_persona', personaRepairSchemas, [
      ...repairTask(PART_TASKS.persona(part.index + 1, content.personas.length), problems, { names: others.map((p) => p.name), roles: others.map((p) => p.role) }),
      `${CURRENT_PART_LABEL} ${JSON.stringify(content.personas[part.index])}`,
      ...common,
    ]);
    const { value, dropped } = assemblePersona(result.parsed.persona, part.index, c.analysis);
    return {
      standIn: result.standIn,
      apply: (r) => {
        r.personas[part.index] = value;
        r.droppedEvidence = replaceDrops(r, part, dropped);
      },
    };
  }
  // The report has no personas: write them again.
  const count = c.analysis.personaCount;
  const result = await ask(c, kind, 'persona_report', (ids) => synthesisSchemas({ summary: false, offering: false, personaCount: count }, ids), [
    synthesisTask({ summary: false, offering: false, personaCount: count }),
    ...common,
  ]);
  const assembled = (result.parsed.personas ?? []).slice(0, count).map((p, i) => assemblePersona(p, i, c.analysis));
  return {
    standIn: result.standIn,
    apply: (r) => {
      r.personas = assembled.map((a) => a.value);
      r.droppedEvidence = replaceDrops(r, part, assembled.flatMap((a) => a.dropped));
    },
  };
}

/** Parts carried over from the version a regeneration builds on: never rewritten by its repairs. */
export function carried(content: ReportContent, part: ReportPart): boolean {
  const kind: RewritablePart = part.kind === 'persona' ? 'personas' : part.kind;
  return content.basedOn?.carriedOver.includes(kind) ?? false;
}

/** The model's answers stayed unusable for a part: that part is left as it was. */
function unusable(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === FailureType.InvalidModelOutput && err.nonRetryable === true;
}

/**
 * Repairs `parts` of `content` (in place), asking the model for all of them at once. Every answer
 * is awaited before anything is applied, so no paid call is left running behind a failure and the
 * result does not depend on which answer came first; answers are applied in report order. A part
 * whose answers stay unusable is left as it was; any other failure (an outage, a cancel) fails the
 * whole attempt, and its retry reuses the answers already stored (callModel's call keys).
 */
export async function repairParts(
  c: Conversation,
  content: ReportContent,
  parts: readonly ReportPart[],
  issues: readonly QualityIssue[],
  notes: string[],
): Promise<{ repaired: ReportPart[]; standIn: boolean }> {
  const settled = await Promise.allSettled(parts.map((part) => repairPart(c, content, part, issues.filter((i) => samePart(i.part, part)), notes)));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !unusable(s.reason));
  if (failure) throw failure.reason;
  const repaired: ReportPart[] = [];
  let standIn = false;
  settled.forEach((s, i) => {
    const part = parts[i]!;
    if (s.status === 'fulfilled') {
      s.value.apply(content);
      standIn ||= s.value.standIn;
      repaired.push(part);
    } else {
      c.log.warn('repair answers unusable; the part stays as it was', { part: partLabel(part), error: (s.reason as Error).message });
    }
  });
  const renamed = distinctNames(content.personas, repaired.flatMap((p) => (p.kind === 'persona' ? [p.index] : [])));
  if (renamed.length > 0) c.log.info('repaired personas renamed apart', { personas: renamed.map((i) => i + 1) });
  return { repaired, standIn };
}

/**
 * Personas repaired at the same time may pick the same name, or one another persona keeps: each
 * repaired persona whose name is taken (by one not repaired, or by a repaired one before it) gets
 * its role added, "Dana (Operations Lead)". Returns the indexes renamed. A clash this cannot settle
 * (the roles clash too) is left for the next check, which reports it as a distinct_personas issue.
 */
export function distinctNames(personas: Persona[], repaired: readonly number[]): number[] {
  const key = (name: string) => foldForMatching(name).trim();
  const taken = new Set(personas.filter((_, i) => !repaired.includes(i)).map((p) => key(p.name)));
  const renamed: number[] = [];
  for (const i of [...repaired].sort((a, b) => a - b)) {
    const persona = personas[i];
    if (!persona || !key(persona.name)) continue;
    if (taken.has(key(persona.name))) {
      const apart = `${persona.name} (${persona.role.trim()})`;
      if (persona.role.trim() && !taken.has(key(apart))) {
        personas[i] = { ...persona, name: apart };
        renamed.push(i);
      }
    }
    taken.add(key(personas[i]!.name));
  }
  return renamed;
}
