/**
 * The part of node-llama-cpp 3.21.1 the local model server uses, typed by hand. The package is
 * installed on demand into `.dev/llama` (see install.ts), not a dependency of the project, so its
 * own types are not there for `tsc`; it is loaded with a dynamic import of its absolute path.
 * Names and shapes follow its .d.ts files (dist/bindings/getLlama.d.ts, dist/evaluator/...).
 */
import { pathToFileURL } from 'node:url';

export type LlamaLogLevel = 'disabled' | 'fatal' | 'error' | 'warn' | 'info' | 'log' | 'debug';

export interface NodeLlamaCpp {
  getLlama(options: {
    gpu: false;
    /** 'never': use the prebuilt binary or fail; building llama.cpp offline cannot work anyway. */
    build: 'never';
    logLevel?: LlamaLogLevel;
    logger?: (level: LlamaLogLevel, message: string) => void;
    progressLogs?: boolean;
  }): Promise<Llama>;
  LlamaChat: new (options: { contextSequence: LlamaContextSequence }) => LlamaChat;
}

export interface Llama {
  loadModel(options: { modelPath: string }): Promise<LlamaModel>;
  /** Takes node-llama-cpp's GbnfJsonSchema; see grammar-schema.ts for what that is. */
  createGrammarForJsonSchema(schema: object): Promise<LlamaGrammar>;
  getGrammarFor(type: 'json'): Promise<LlamaGrammar>;
  dispose(): Promise<void>;
}

export interface LlamaModel {
  readonly trainContextSize: number;
  readonly tokenizer: unknown;
  createContext(options: { contextSize: number; threads: number; sequences: 1 }): Promise<LlamaContext>;
}

export interface LlamaContext {
  readonly contextSize: number;
  getSequence(): LlamaContextSequence;
}

export interface LlamaContextSequence {
  /** Cumulative counts for this sequence: tokens evaluated (prompt) and generated. */
  readonly tokenMeter: { readonly usedInputTokens: number; readonly usedOutputTokens: number };
}

/** A branded object in the library; only passed through. */
export type LlamaGrammar = object;

export type ChatHistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: string[] };

export interface LlamaChat {
  readonly chatWrapper: {
    readonly wrapperName?: string;
    generateContextState(options: { chatHistory: ChatHistoryItem[] }): {
      contextText: { tokenize(tokenizer: unknown): unknown[] };
    };
  };
  generateResponse(
    history: ChatHistoryItem[],
    options: {
      maxTokens?: number;
      temperature?: number;
      seed?: number;
      grammar?: LlamaGrammar;
      signal?: AbortSignal;
      stopOnAbortSignal?: boolean;
      onToken?: (tokens: unknown[]) => void;
    },
  ): Promise<{
    response: string;
    metadata: { stopReason: 'eogToken' | 'stopGenerationTrigger' | 'functionCalls' | 'maxTokens' | 'abort' | 'customStopTrigger' };
  }>;
}

export async function importNodeLlamaCpp(llamaModulePath: string): Promise<NodeLlamaCpp> {
  return (await import(pathToFileURL(llamaModulePath).href)) as NodeLlamaCpp;
}
