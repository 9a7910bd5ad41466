import { z } from 'zod';

/**
 * What a model call costs, estimated from its token usage and a price table. Pure: the table comes
 * from the built-in defaults below merged with `AI_PRICES` (read by config.ts).
 *
 * Prices are USD per million tokens, keyed by a model-name prefix: the longest matching prefix
 * wins, so `gpt-4o-mini` prices `gpt-4o-mini-2024-07-18` and `gpt-4o` does not. A model no key
 * matches has no price: its cost is unknown (null), never 0.
 */

export const modelPriceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  /** Input tokens the endpoint served from its prompt cache; priced as `input` when absent. */
  cachedInput: z.number().nonnegative().optional(),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;

export const priceTableSchema = z.record(z.string().trim().min(1), modelPriceSchema);
export type PriceTable = Record<string, ModelPrice>;

/** Known OpenAI models (USD per million tokens), and the local stand-in, which costs nothing. */
export const DEFAULT_PRICES: PriceTable = {
  'local-stand-in': { input: 0, output: 0 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
};

export interface TokenUsage {
  /** All input tokens, cached ones included (OpenAI's `prompt_tokens`). */
  inputTokens: number;
  /** The part of `inputTokens` served from the prompt cache. */
  cachedTokens: number;
  outputTokens: number;
}

/** Parses a price table from JSON text; throws an Error saying what is wrong. */
export function parsePriceTable(text: string): PriceTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('is not valid JSON');
  }
  const parsed = priceTableSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
    throw new Error(`${issue.message}${where}`);
  }
  return parsed.data;
}

/** The defaults with `overrides` on top; keys are compared case-insensitively. */
export function mergePrices(overrides: PriceTable = {}, defaults: PriceTable = DEFAULT_PRICES): PriceTable {
  const merged: PriceTable = {};
  for (const [prefix, price] of [...Object.entries(defaults), ...Object.entries(overrides)]) merged[prefix.toLowerCase()] = price;
  return merged;
}

function longestPrefix(table: PriceTable, name: string): ModelPrice | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    if (name.startsWith(prefix.toLowerCase()) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : table[best];
}

/**
 * The price of `model`: the longest matching prefix of its name, else of its name without a
 * provider part (`openai/gpt-4o-mini` as routers spell it), else undefined.
 */
export function priceFor(table: PriceTable, model: string): ModelPrice | undefined {
  const name = model.trim().toLowerCase();
  const slash = name.indexOf('/');
  return longestPrefix(table, name) ?? (slash >= 0 ? longestPrefix(table, name.slice(slash + 1)) : undefined);
}

/** Estimated USD cost of one call (6 decimals, as stored), or null when the model has no price. */
export function estimateCost(table: PriceTable, model: string, usage: TokenUsage): number | null {
  const price = priceFor(table, model);
  if (!price) return null;
  const input = Math.max(0, usage.inputTokens);
  const cached = Math.min(Math.max(0, usage.cachedTokens), input);
  const usd =
    ((input - cached) * price.input + cached * (price.cachedInput ?? price.input) + Math.max(0, usage.outputTokens) * price.output) /
    1_000_000;
  return Number(usd.toFixed(6));
}
