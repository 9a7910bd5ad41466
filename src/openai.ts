import OpenAI from 'openai';

/**
 * The one OpenAI client of a worker. Any OpenAI-compatible endpoint works (OpenAI, Ollama, vLLM,
 * LM Studio, llama.cpp, the local stand-in); local ones take any key, so a missing key is not an
 * error here but a 401 from OpenAI itself, reported as AiNotConfigured by the activity.
 */
export function createOpenAIClient(config: { OPENAI_API_KEY?: string; OPENAI_BASE_URL?: string }): OpenAI {
  return new OpenAI({
    apiKey: config.OPENAI_API_KEY ?? 'not-needed-for-local-endpoints',
    baseURL: config.OPENAI_BASE_URL,
    // Temporal owns retries, so each one is visible (attempts, last error) in the Web UI.
    maxRetries: 0,
    timeout: 90_000,
  });
}

/** USD per million tokens, by model name prefix (longest prefix wins, so dated snapshots match). */
const PRICES_PER_MILLION: Record<string, { input: number; output: number }> = {
  'local-stand-in': { input: 0, output: 0 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5': { input: 1.25, output: 10 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'o3-mini': { input: 1.1, output: 4.4 },
};

/** Estimated cost of one call, or null for a model without a known price (local models, new names). */
/** For the health route: the endpoint answers its model list quickly (no retries: health must be fast). */
export async function aiEndpointAnswers(openai: OpenAI): Promise<boolean> {
  await openai.models.list({ timeout: 3000, maxRetries: 0 });
  return true;
}

export function estimateCostUsd(model: string, promptTokens: number, completionTokens: number): number | null {
  const name = model.toLowerCase().replace(/^openai\//, '');
  const prefix = Object.keys(PRICES_PER_MILLION)
    .filter((p) => name.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return null;
  const price = PRICES_PER_MILLION[prefix]!;
  return Number(((promptTokens * price.input + completionTokens * price.output) / 1_000_000).toFixed(6));
}

export function isStandInModel(model: string): boolean {
  return model.startsWith('local-stand-in');
}
