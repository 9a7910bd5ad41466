import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, estimateCost, mergePrices, parsePriceTable, priceFor } from './pricing.js';

const usage = (inputTokens: number, outputTokens: number, cachedTokens = 0) => ({ inputTokens, outputTokens, cachedTokens });

describe('priceFor', () => {
  it('picks the longest matching prefix, so dated snapshots and longer names match their own entry', () => {
    expect(priceFor(DEFAULT_PRICES, 'gpt-4o-mini-2024-07-18')).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceFor(DEFAULT_PRICES, 'gpt-4o-2024-08-06')).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(priceFor(DEFAULT_PRICES, 'gpt-4.1-mini')).toEqual(DEFAULT_PRICES['gpt-4.1-mini']);
  });

  it('ignores case and a provider part in front of the name', () => {
    expect(priceFor(DEFAULT_PRICES, 'GPT-4o-Mini')).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceFor(DEFAULT_PRICES, 'openai/gpt-4o-mini')).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
  });

  it('has no price for a model it does not know', () => {
    expect(priceFor(DEFAULT_PRICES, 'llama3.1:8b')).toBeUndefined();
    expect(priceFor(DEFAULT_PRICES, '')).toBeUndefined();
  });
});

describe('estimateCost', () => {
  it('prices input and output per million tokens', () => {
    expect(estimateCost(DEFAULT_PRICES, 'gpt-4o-mini-2024-07-18', usage(1_000_000, 1_000_000))).toBe(0.75);
    expect(estimateCost(DEFAULT_PRICES, 'gpt-4o-2024-08-06', usage(1_000, 100))).toBe(0.0035);
  });

  it('prices cached input at the cached rate, and at the input rate when none is given', () => {
    // 600k uncached at 0.15 + 400k cached at 0.075 + 0 output.
    expect(estimateCost(DEFAULT_PRICES, 'gpt-4o-mini', usage(1_000_000, 0, 400_000))).toBe(0.12);
    const table = { mine: { input: 1, output: 2 } };
    expect(estimateCost(table, 'mine', usage(1_000_000, 0, 400_000))).toBe(1);
  });

  it('never counts more cached tokens than input tokens', () => {
    expect(estimateCost({ m: { input: 1, output: 0, cachedInput: 0 } }, 'm', usage(100, 0, 1_000))).toBe(0);
  });

  it('is null, not 0, for an unknown model; the stand-in is free', () => {
    expect(estimateCost(DEFAULT_PRICES, 'llama3.1:8b', usage(1_000, 1_000))).toBeNull();
    expect(estimateCost(DEFAULT_PRICES, 'local-stand-in', usage(5_000, 5_000))).toBe(0);
  });

  it('rounds to the 6 decimals the database stores', () => {
    expect(estimateCost({ m: { input: 0.15, output: 0 } }, 'm', usage(1, 0))).toBe(0);
    expect(estimateCost({ m: { input: 0.15, output: 0 } }, 'm', usage(7, 0))).toBe(0.000001);
  });
});

describe('mergePrices', () => {
  it('lays configured prices over the defaults, adding new prefixes', () => {
    const merged = mergePrices({ 'gpt-4o-mini': { input: 1, output: 2 }, 'Llama3.1': { input: 0.01, output: 0.02 } });
    expect(merged['gpt-4o-mini']).toEqual({ input: 1, output: 2 });
    expect(merged['gpt-4o']).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(estimateCost(merged, 'llama3.1:8b', usage(1_000_000, 1_000_000))).toBe(0.03);
  });

  it('lets a longer configured prefix win over a default one', () => {
    const merged = mergePrices({ 'gpt-4o-mini-2024': { input: 0, output: 0 } });
    expect(estimateCost(merged, 'gpt-4o-mini-2024-07-18', usage(1_000, 1_000))).toBe(0);
    expect(estimateCost(merged, 'gpt-4o-mini', usage(1_000_000, 0))).toBe(0.15);
  });
});

describe('parsePriceTable', () => {
  it('reads a JSON object of prices', () => {
    expect(parsePriceTable('{"qwen": {"input": 0.1, "output": 0.2, "cachedInput": 0.05}}')).toEqual({
      qwen: { input: 0.1, output: 0.2, cachedInput: 0.05 },
    });
    expect(parsePriceTable('{}')).toEqual({});
  });

  it('says what is wrong with a bad table', () => {
    expect(() => parsePriceTable('{nope')).toThrow(/not valid JSON/);
    expect(() => parsePriceTable('{"m": {"input": -1, "output": 1}}')).toThrow(/m\.input/);
    expect(() => parsePriceTable('{"m": {"input": 1}}')).toThrow(/m\.output/);
    expect(() => parsePriceTable('{"m": {"input": 1, "output": 1, "typo": 1}}')).toThrow(/m/);
    expect(() => parsePriceTable('[1]')).toThrow();
  });
});
