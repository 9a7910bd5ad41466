import OpenAI from 'openai';
import { DEFAULT_PRICES, estimateCost } from './domain/pricing.js';

/**
 * An OpenAI client for any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio,
 * llama.cpp, the local stand-in); local ones take any key, so a missing key is not an error here
 * but a 401 from OpenAI itself, reported as AiNotConfigured by the activity. Workers make theirs
 * through `createModelClient` (src/model-client.ts), which adds the time limit per request, the
 * concurrency limit and the structured-output mode.
 */
export function createOpenAIClient(
  config: { OPENAI_API_KEY?: string | undefined; OPENAI_BASE_URL?: string | undefined },
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): OpenAI {
  return new OpenAI({
    apiKey: config.OPENAI_API_KEY ?? 'not-needed-for-local-endpoints',
    baseURL: config.OPENAI_BASE_URL,
    // Temporal owns retries, so each one is visible (attempts, last error) in the Web UI.
    maxRetries: 0,
    timeout: options.timeoutMs ?? 90_000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** For the health route: the endpoint answers its model list quickly (no retries: health must be fast). */
export async function aiEndpointAnswers(openai: OpenAI): Promise<boolean> {
  await openai.models.list({ timeout: 3000, maxRetries: 0 });
  return true;
}

/** Estimated cost of one call at the built-in prices, or null for a model without a known price (see src/domain/pricing.ts). */
export function estimateCostUsd(model: string, promptTokens: number, completionTokens: number, cachedTokens = 0): number | null {
  return estimateCost(DEFAULT_PRICES, model, { inputTokens: promptTokens, cachedTokens, outputTokens: completionTokens });
}

export function isStandInModel(model: string): boolean {
  return model.startsWith('local-stand-in');
}
