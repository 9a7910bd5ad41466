import { describe, expect, it } from 'vitest';
import { createOpenAIClient, estimateCostUsd, isStandInModel } from './openai.js';

describe('estimateCostUsd', () => {
  it('prices by the longest matching model prefix', () => {
    expect(estimateCostUsd('gpt-4o-mini-2024-07-18', 1_000_000, 1_000_000)).toBe(0.75);
    expect(estimateCostUsd('gpt-4o-2024-08-06', 1_000, 100)).toBe(0.0035);
    expect(estimateCostUsd('local-stand-in', 5_000, 5_000)).toBe(0);
  });

  it('is null for a model without a known price', () => {
    expect(estimateCostUsd('llama3.1:8b', 1_000, 1_000)).toBeNull();
  });
});

describe('OpenAI client', () => {
  it('leaves retries to Temporal and works without a key for local endpoints', () => {
    const client = createOpenAIClient({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' });
    expect(client.maxRetries).toBe(0);
    expect(client.timeout).toBe(90_000);
    expect(client.baseURL).toBe('http://127.0.0.1:11434/v1');
    expect(client.apiKey).toBe('not-needed-for-local-endpoints');
  });

  it('recognises the local stand-in by its model name', () => {
    expect(isStandInModel('local-stand-in')).toBe(true);
    expect(isStandInModel('gpt-4o-mini')).toBe(false);
  });
});
