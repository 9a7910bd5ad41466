import { Kysely, PostgresDialect, type ColumnType, type Compilable, type CompiledQuery, type Generated, type JSONColumnType } from 'kysely';
import pg from 'pg';
import type { AnalysisStatus, StepName, StepState } from './domain/analysis.js';
import type { CorpusOutline } from './domain/corpus-summary.js';
import type { CrawlReport } from './domain/site-links.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface AnalysesTable {
  id: string;
  url: string;
  input_url: string;
  domain: string;
  status: AnalysisStatus;
  options: JSONColumnType<Record<string, unknown>>;
  idempotency_key: string | null;
  /** Hash of the start request, to tell a retried request from a different one reusing its key. */
  request_hash: string;
  workflow_id: string;
  current_step: StepName | null;
  latest_version: ColumnType<number, number | undefined, number>;
  /** Highest version handed out by the API (start = 1, each regenerate +1). */
  requested_version: ColumnType<number, number | undefined, number>;
  /** Pages this analysis read: website_content ids in crawl order. */
  content_ids: ColumnType<string[], string[] | undefined, string[]>;
  /** The cleaned text the insight calls read, fitted to the token budget. */
  corpus: JSONColumnType<object> | null;
  /** The corpus's outline (corpus-summary.ts), written with it (migration 0011); null on rows written before. */
  corpus_outline: ColumnType<CorpusOutline | null, string | null | undefined, string | null>;
  language: string | null;
  /** What content_extraction read and skipped, each with why; null before it finished. */
  crawl: ColumnType<CrawlReport | null, string | null | undefined, string | null>;
  error: JSONColumnType<{ code: string; message: string; version?: number }> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  completed_at: NullableTimestamp;
}

export interface AnalysisStepsTable {
  id: Generated<string>;
  analysis_id: string;
  version: number;
  step: StepName;
  state: StepState;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export interface WebsiteContentTable {
  id: Generated<string>;
  url: string;
  content_hash: string;
  status_code: number;
  content_type: string | null;
  html: string;
  fetched_at: Timestamp;
  /** The page after cleanPage; null until content_processing has seen it. */
  cleaned: JSONColumnType<object> | null;
  language: string | null;
  /** CLEANER_VERSION that produced `cleaned`; another version cleans the page again. */
  cleaner_version: ColumnType<number | null, number | null | undefined, number | null>;
  /** Validators for a conditional request once the copy is stale. */
  etag: ColumnType<string | null, string | null | undefined, string | null>;
  last_modified: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AiResponsesTable {
  id: Generated<string>;
  analysis_id: string;
  version: number;
  kind: string;
  attempt: number;
  /** The call this answers, the same for every attempt (migration 0008); null on older rows. */
  call_key: ColumnType<string | null, string | null | undefined, string | null>;
  model: string;
  stand_in: boolean;
  raw_output: string;
  parsed: JSONColumnType<object> | null;
  /** All input tokens, cached ones included. */
  prompt_tokens: number;
  /** The part of prompt_tokens the endpoint served from its prompt cache. */
  cached_tokens: ColumnType<number, number | undefined, number>;
  completion_tokens: number;
  total_tokens: number;
  /** Estimated from the price table; null when the model has no known price. */
  cost_usd: ColumnType<string | null, number | null | undefined, number | null>;
  /** How the JSON was asked for; null on rows written before modes existed. */
  output_mode: ColumnType<'json_schema' | 'json_object' | 'text' | null, 'json_schema' | 'json_object' | 'text' | null | undefined, 'json_schema' | 'json_object' | 'text' | null>;
  created_at: Timestamp;
}

export interface ReportsTable {
  id: Generated<string>;
  analysis_id: string;
  version: number;
  status: 'draft' | 'passed' | 'degraded';
  content: JSONColumnType<object>;
  quality: JSONColumnType<object> | null;
  instructions: string | null;
  model: string;
  stand_in: boolean;
  /** The ai_responses ids (by insight kind) this version was built from. */
  insight_ids: JSONColumnType<Record<string, string>> | null;
  created_at: Timestamp;
  finalized_at: NullableTimestamp;
}

export interface ProcessingEventsTable {
  id: Generated<string>;
  analysis_id: string;
  version: number | null;
  step: StepName | null;
  type: string;
  attempt: number | null;
  message: string | null;
  details: JSONColumnType<object> | null;
  created_at: Timestamp;
}

/** API keys managed with `npm run keys`; only a SHA-256 hash of each key is stored. */
export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
}

/** The notification outbox (migration 0006): one row per analysis, version and channel; its id is the message's id on every send. */
export interface NotificationsTable {
  id: Generated<string>;
  analysis_id: string;
  version: number;
  channel: 'webhook' | 'email';
  event: string;
  /** The webhook URL or email address it goes to. */
  target: string;
  /** What every send of it carries, the same each time. */
  payload: JSONColumnType<object>;
  state: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | 'delivered' | 'failed' | undefined, 'pending' | 'delivered' | 'failed'>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  delivered_at: NullableTimestamp;
}

export interface Database {
  analyses: AnalysesTable;
  analysis_steps: AnalysisStepsTable;
  website_content: WebsiteContentTable;
  ai_responses: AiResponsesTable;
  reports: ReportsTable;
  processing_events: ProcessingEventsTable;
  api_keys: ApiKeysTable;
  notifications: NotificationsTable;
}

export type Db = Kysely<Database>;

// int8 (bigserial ids, counts) as strings by default; numeric too. Keep pg's safe defaults.
/**
 * A pooled connection that PostgreSQL closes (a restart, a shutdown: 57P01) emits 'error'; without
 * a listener that kills the process. An idle one emits it on the pool; one that is checked out
 * (kysely holds a connection through a transaction, between its statements) emits it on the
 * client itself, so every client gets a listener when the pool opens it. The statement in flight
 * fails on its own; the pool drops the broken connection and opens a new one when next asked, so
 * the error is only reported.
 */
export function createDatabase(databaseUrl: string, max = 10, onConnectionError: (err: Error) => void = reportConnectionError): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, Client: PreparingClient });
  // pool.end() (db.destroy) resolves once it has asked its connections to close, not once they
  // have: a server stopped right after (npm run dev's Ctrl-C) may still cut one off. That is our
  // own shutdown, not a lost connection.
  const report = (err: Error) => {
    if (!pool.ending) onConnectionError(err);
  };
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Statement texts that run as prepared statements, each under a name of its own. PostgreSQL parses
 * and plans an unnamed statement on every run; a named one once per connection (after a few runs
 * it keeps a generic plan). Marked with prepared(): what runs on every status read (the read, the
 * rate-limit upsert) and the step bookkeeping every activity attempt does; measured, PostgreSQL's
 * CPU per status read 1.46 ms -> 0.45-0.54 and per analysis 0.033-0.038 s -> 0.026-0.028. Only for
 * statements with one text and their result columns listed (not `select *`): PostgreSQL refuses a
 * prepared statement whose result columns a migration changed. Past MAX_PREPARED texts (a mistake:
 * a text built per call) they run unnamed, as every other statement does.
 */
const preparedNames = new Map<string, string>();
const MAX_PREPARED = 32;

/** The query compiled, its text marked to run as a prepared statement on every pooled connection. */
export function prepared<R>(query: Compilable<R> | CompiledQuery<R>): CompiledQuery<R> {
  const compiled = 'compile' in query ? query.compile() : query;
  if (!preparedNames.has(compiled.sql) && preparedNames.size < MAX_PREPARED) preparedNames.set(compiled.sql, `persona_${preparedNames.size + 1}`);
  return compiled;
}

/** pg's Client, naming the statements prepared() marked (pg prepares a name once per connection). */
class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    const name = typeof text === 'string' ? preparedNames.get(text) : undefined;
    const call = super.query as (...a: unknown[]) => never;
    return name && args.length === 2 ? call.call(this, { name, text, values }) : call.apply(this, args);
  }
}

function reportConnectionError(err: Error): void {
  console.warn(JSON.stringify({ level: 'warn', message: 'database connection lost; it will be replaced', error: err.message, timestamp: new Date().toISOString() }));
}

/** PostgreSQL ended the transaction to break a deadlock (40P01) or a serialization conflict (40001): running it again is the cure. */
function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '40P01' || code === '40001';
}

/**
 * Runs a transaction, again when PostgreSQL chose it as the victim of a deadlock (a delete of an
 * analysis meeting its activities' writes to the same rows in the other order): such a conflict is
 * resolved by the other side finishing, so a second run succeeds. Other errors pass through.
 */
export async function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
    }
  }
}
