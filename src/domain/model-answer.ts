import type OpenAI from 'openai';
import type { z } from 'zod';
import { ANSWER_PROBLEMS } from './prompts.js';

/**
 * Reading a model's answer, whatever the endpoint enforced: JSON from prose, fences or after a
 * reasoning block, validated with the lenient schema; a refusal or an empty answer named as such.
 * Pure.
 */


/** Reasoning models (DeepSeek-R1, Qwen3, ...) served locally often put their thinking in the content. */
function withoutThinking(text: string): string {
  return text.replace(/<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi, '').trim();
}

/** Index of the `}` closing the object opened at `start`, or -1 when the text ends first. */
function balancedEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * The JSON value in a model's answer: the whole answer when it is JSON, else the first fenced
 * ```json block that parses, else the first balanced {...} that parses. Throws a SyntaxError when
 * there is none.
 */
export function extractJson(answer: string): unknown {
  const text = withoutThinking(answer);
  try {
    return JSON.parse(text);
  } catch {
    // Prose around it, or a fence: look inside.
  }
  for (const fence of text.matchAll(/```[ \t]*(?:json5?|jsonc|javascript|js)?[ \t]*\r?\n([\s\S]*?)```/gi)) {
    try {
      return JSON.parse(fence[1]!.trim());
    } catch {
      // Not this block.
    }
  }
  for (let start = text.indexOf('{'); start >= 0; ) {
    const end = balancedEnd(text, start);
    if (end < 0) break;
    try {
      return JSON.parse(text.slice(start, end + 1));
    } catch {
      start = text.indexOf('{', end + 1);
    }
  }
  throw new SyntaxError('no JSON object found');
}

const REFUSAL = /^\W*(?:I['’]m sorry|I am sorry|sorry\b|I apologi[sz]e|I can(?:not|['’]t)\b|I won['’]t|I will not|I['’]m (?:not able|unable)|I am (?:not able|unable)|As an AI\b|I must decline)/i;

export type Reading<T> = { ok: true; parsed: T } | { ok: false; parsed: null; problem: string; repair: 'invalid' | 'shorter' };

function schemaProblem(err: z.ZodError): string {
  const issues = err.issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '$'}: ${clip(i.message, 160)}`);
  return ANSWER_PROBLEMS.schema(`${issues.join('; ')}${err.issues.length > 3 ? `; ${err.issues.length - 3} more` : ''}`);
}

function clip(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** What a completion holds: a usable answer, or what is wrong with it and which repair fits. */
export function readAnswer<T>(completion: OpenAI.Chat.ChatCompletion, accept: z.ZodType<T>): Reading<T> {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  if (message?.refusal) return { ok: false, parsed: null, problem: ANSWER_PROBLEMS.declined(clip(message.refusal)), repair: 'shorter' };
  const content = message?.content ?? '';
  let json: unknown;
  let found = true;
  try {
    json = extractJson(content);
  } catch {
    found = false;
  }
  if (found) {
    const checked = accept.safeParse(json);
    if (checked.success) return { ok: true, parsed: checked.data };
    if (choice?.finish_reason !== 'length') return { ok: false, parsed: null, problem: schemaProblem(checked.error), repair: 'invalid' };
  }
  if (choice?.finish_reason === 'length') return { ok: false, parsed: null, problem: ANSWER_PROBLEMS.cutOff, repair: 'shorter' };
  if (choice?.finish_reason === 'content_filter') return { ok: false, parsed: null, problem: ANSWER_PROBLEMS.filtered, repair: 'shorter' };
  const prose = withoutThinking(content);
  if (prose === '') return { ok: false, parsed: null, problem: ANSWER_PROBLEMS.empty, repair: 'invalid' };
  if (REFUSAL.test(prose)) return { ok: false, parsed: null, problem: ANSWER_PROBLEMS.declined(clip(prose)), repair: 'shorter' };
  return { ok: false, parsed: null, problem: ANSWER_PROBLEMS.notJson, repair: 'invalid' };
}

