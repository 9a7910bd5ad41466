import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_TASK_QUEUE } from '../workflows/definitions.js';
import { parsePriceTable, type PriceTable } from './domain/pricing.js';
import { checkTemporalSecurity, pemFile } from './temporal-config.js';
import packageJson from '../package.json' with { type: 'json' };

/** Crawl limits when CRAWL_* are unset. */
export const CRAWL_DEFAULTS = { maxDepth: 3, maxBytes: 20_000_000, maxSeconds: 240, concurrency: 2 } as const;

/** Who the crawler says it is, in robots.txt matching and on every request: the product, its version, a contact URL. */
export const DEFAULT_USER_AGENT = `PersonaAnalyzer/${packageJson.version} (+https://github.com/persona-analyzer)`;

/** Where a Temporal server is looked for when TEMPORAL_ADDRESS is unset (the dev server's default). */
export const LOCAL_TEMPORAL_ADDRESS = '127.0.0.1:7233';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** How the model is asked for JSON: `auto` probes json_schema, then json_object, then text. */
export const STRUCTURED_OUTPUT_SETTINGS = ['auto', 'json_schema', 'json_object', 'text'] as const;

/** AI_PRICES: a JSON object of prices, or the path of a file holding one. */
const priceTable = z.string().transform((value, ctx): PriceTable => {
  const inline = value.trim().startsWith('{');
  try {
    return parsePriceTable(inline ? value : readFileSync(value, 'utf8'));
  } catch (err) {
    const problem = err instanceof Error ? err.message : String(err);
    const what = inline ? problem : /ENOENT|EACCES|EISDIR/.test(problem) ? `cannot read the file ${value}` : `the file ${value}: ${problem}`;
    const expected = '{"model-prefix": {"input": usdPerMTok, "output": usdPerMTok, "cachedInput"?: usdPerMTok}} or the path of a JSON file holding it';
    ctx.addIssue({ code: 'custom', message: `${what}; expected ${expected}` });
    return z.NEVER;
  }
});

const optionalUrl = z.url({ protocol: /^(https?|postgres(ql)?)$/ }).optional();

/** Every environment variable the service reads, validated once at start-up. */
export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optionalUrl,
  /** Connections each API or worker process may hold (README, Scaling: the connection budget). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[\w.-]+:\d+$/, 'must look like host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_STRUCTURED_OUTPUT: z.enum(STRUCTURED_OUTPUT_SETTINGS).default('auto'),
  /** Used instead of OPENAI_MODEL from an activity's third attempt on. */
  OPENAI_FALLBACK_MODEL: z.string().min(1).optional(),
  /** How long one model request may take once sent (waiting for a free slot does not count). */
  AI_TIMEOUT_SECONDS: z.coerce.number().positive().max(86_400).default(120),
  /** Model requests in flight per worker process. */
  AI_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(4),
  /** How much of the site's passages one prompt may carry, in tokens: fit it to the model's context window. */
  AI_PROMPT_TOKENS: z.coerce.number().int().min(200).max(1_000_000).default(10_000),
  AI_PRICES: priceTable.optional(),
  /** Per analysis: no further model call once its calls cost this much (USD) ... */
  AI_BUDGET_USD: z.coerce.number().positive().optional(),
  /** ... or used this many tokens (input + output). */
  AI_BUDGET_TOKENS: z.coerce.number().int().positive().optional(),
  API_KEYS: z
    .string()
    .optional()
    .transform((v) => (v ? v.split(',').map((k) => k.trim()).filter(Boolean) : [])),
  SCRAPE_ALLOW_PRIVATE_NETWORKS: flag.default(false),
  /**
   * Ports sites may be read on: a comma list, or `*` for any. Unset: 80 and 443, or any port when
   * SCRAPE_ALLOW_PRIVATE_NETWORKS is true (local dev servers); see `allowedPorts` in domain/address.
   */
  SCRAPE_ALLOWED_PORTS: z
    .string()
    .trim()
    .regex(/^(\*|\d{1,5}(\s*,\s*\d{1,5})*)$/, 'must be a comma-separated list of ports, e.g. "80,443,8080", or *')
    .transform((v, ctx): number[] | 'any' => {
      if (v === '*') return 'any';
      const ports = v.split(',').map((p) => Number(p.trim()));
      if (ports.some((p) => p < 1 || p > 65535)) {
        ctx.addIssue({ code: 'custom', message: 'ports must be between 1 and 65535' });
        return z.NEVER;
      }
      return ports;
    })
    .optional(),
  CACHE_TTL_HOURS: z.coerce.number().positive().default(24),
  /** `Product/version (+contact URL)`: robots.txt groups are matched against the product token. */
  SCRAPE_USER_AGENT: z
    .string()
    .trim()
    .regex(/^[A-Za-z][\w.-]*\/[\w.-]+\b.*\bhttps?:\/\/\S+/, 'must name the product, its version and a contact URL, e.g. "PersonaAnalyzer/1.0 (+https://example.com/bot)"')
    .default(DEFAULT_USER_AGENT),
  /** Crawl limits per analysis: link depth from the start page, bytes read, seconds spent, requests in flight per host. */
  CRAWL_MAX_DEPTH: z.coerce.number().int().min(1).max(10).default(CRAWL_DEFAULTS.maxDepth),
  CRAWL_MAX_BYTES: z.coerce.number().int().min(100_000).default(CRAWL_DEFAULTS.maxBytes),
  CRAWL_MAX_SECONDS: z.coerce.number().positive().max(480).default(CRAWL_DEFAULTS.maxSeconds),
  CRAWL_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(CRAWL_DEFAULTS.concurrency),
  CACHE_RETENTION_DAYS: z.coerce.number().positive().optional(),
  ANALYSIS_RETENTION_DAYS: z.coerce.number().positive().optional(),
  // API edge (rate limits, proxies, CORS, timeouts, key rules); see src/api/access/.
  /** Start, regenerate, cancel and delete per client (API key, else IP) and minute. */
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  /** Every other request under /api/v2 except /health, per client and minute. */
  RATE_LIMIT_READS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  /** Proxies whose X-Forwarded-For is believed: IPs or CIDRs, comma-separated. */
  TRUSTED_PROXIES: z
    .string()
    .transform((v, ctx): string[] => {
      const entries = v.split(',').map((e) => e.trim()).filter(Boolean);
      for (const entry of entries) {
        const [address = '', bits, ...rest] = entry.split('/');
        const family = isIP(address);
        const maxBits = family === 6 ? 128 : 32;
        if (!family || rest.length > 0 || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits))) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)` });
        }
      }
      return entries;
    })
    .default([]),
  /** Frontend origins allowed to call the API from a browser, comma-separated; none: no CORS headers. */
  CORS_ORIGINS: z
    .string()
    .transform((v, ctx): string[] => {
      const origins = v.split(',').map((o) => o.trim()).filter(Boolean);
      for (const origin of origins) {
        let parsed: URL | undefined;
        try {
          parsed = new URL(origin);
        } catch {
          parsed = undefined;
        }
        if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin.replace(/\/$/, '')) {
          ctx.addIssue({ code: 'custom', message: `"${origin}" is not an origin like https://app.example.com` });
        }
      }
      return origins.map((o) => o.replace(/\/$/, ''));
    })
    .default([]),
  /** A request still unanswered after this long gets 504 REQUEST_TIMEOUT. */
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().max(3_600).default(30),
  /** When API keys exist, reads need one too unless this is true. */
  API_READS_OPEN: flag.default(false),
  /**
   * How long model calls keep retrying an AI endpoint that is down, hanging, throttling (429) or
   * failing (5xx), counted from when each call was first scheduled, before the analysis fails.
   * Fractions allowed (0.05 = 3 seconds, for tests).
   */
  AI_OUTAGE_MINUTES: z.coerce.number().positive().max(10_080).default(60),
  /**
   * A secured Temporal cluster or Temporal Cloud (README "Production"): an API key (sent as a
   * bearer token, TLS on) and/or mutual TLS (client certificate and key, PEM file paths); a private
   * CA and a server name for clusters whose certificate the system does not trust or name.
   */
  TEMPORAL_API_KEY: z.string().trim().min(1).optional(),
  TEMPORAL_TLS_CERT: pemFile('certificate').optional(),
  TEMPORAL_TLS_KEY: pemFile('private key').optional(),
  TEMPORAL_TLS_CA: pemFile('certificate').optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().trim().regex(/^[\w.-]+$/, 'must be a host name, e.g. temporal.internal.example').optional(),
  /** Signs webhooks (Standard Webhooks): `whsec_` and a base64 key; unset, no webhook is sent (recorded as failed). */
  WEBHOOK_SECRET: z
    .string()
    .trim()
    .regex(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, 'must be "whsec_" followed by a base64 key of at least 12 bytes, e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')
    .optional(),
  /** The mail server notifications are sent through, e.g. smtp://user:pass@mail.example.com:587 (smtps:// for TLS from the start). */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  /** Sender of notification emails: an address, or `Name <address>`. */
  NOTIFY_FROM: z
    .string()
    .trim()
    .regex(/^([^<>@\s][^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, 'must be an email address, or "Name <address>"')
    .default('Persona Analyzer <persona-analyzer@localhost>'),
  /** How long an undelivered notification keeps being retried (with growing pauses) before it is recorded as failed. Fractions allowed (tests). */
  NOTIFY_RETRY_HOURS: z.coerce.number().positive().max(720).default(24),
  /**
   * Where `npm run dev` and `npm run analyze` keep the servers they start themselves: state
   * directory (default .dev/) and ports (Temporal 7233, its Web UI 8233, PostgreSQL 5433), for a
   * second dev stack beside the first, and for tests that start the commands as they are.
   */
  DEV_STATE_DIR: z.string().trim().min(1).optional(),
  DEV_TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  DEV_TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  DEV_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** How long a finished analysis's workflow run waits for a regenerate before it closes (a later regenerate reopens it). */
  ANALYSIS_IDLE_MINUTES: z.coerce.number().positive().max(1440).default(10),
  /** Where `npm run dev` writes the service's JSON log lines (the terminal gets a short summary). */
  LOG_FILE: z.string().trim().min(1).default('.dev/logs/dev.log'),
  /** `npm run dev` prints the JSON log lines on the terminal too. */
  LOG_TO_CONSOLE: flag.default(false),
  /** The Chromium that renders `?format=pdf` reports; without one the API says how to install it. */
  CHROMIUM_PATH: z.string().trim().min(1).default('/usr/bin/chromium'),
  /** The worker's Prometheus endpoint (Temporal SDK metrics and ours) on this port, all interfaces; 0 = off. */
  METRICS_PORT_WORKER: z.coerce.number().int().min(0).max(65535).default(9464),
  /** OTLP/HTTP collector base URL (the standard OpenTelemetry variable; spans go to <url>/v1/traces); unset: tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** service.name on the spans; default persona-analyzer-api / persona-analyzer-worker by process. */
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
}).superRefine(checkTemporalSecurity);

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Empty strings count as unset, so `FOO= npm run dev` behaves like leaving FOO out. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
