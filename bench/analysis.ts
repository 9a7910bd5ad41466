import type { Db } from '../src/database.js';
import { storedPages } from '../test/support/stored-pages.js';
import { judgeReport, promptsOf, type TrustVerdict } from '../test/support/trust-oracle.js';
import type { ChatBody } from './ai-router.js';

/** What one analysis delivered, as the API served it and the independent judge saw it. */
export interface AnalysisOutcome {
  site: string;
  analysisId?: string;
  /** completed, failed, cancelled, `timed out` (cancelled by the benchmark at its deadline) or `start refused`. */
  final: string;
  error?: string;
  seconds: number;
  reportStatus?: string;
  /** Chat requests the judge read the prompts of. */
  modelRequests?: number;
  fields?: { checked: number; rejected: number };
  verdict?: TrustVerdict;
}

async function call(apiUrl: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: any }> {
  const { json, ...rest } = init;
  const res = await fetch(`${apiUrl}/api/v2${path}`, {
    ...rest,
    headers: json !== undefined ? { 'content-type': 'application/json' } : undefined,
    body: json !== undefined ? JSON.stringify(json) : undefined,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/**
 * Start → poll `GET /analysis/{id}` until completed or failed → read the JSON report → judge it
 * against the stored pages and the prompts the endpoint received (read after the run, so repairs count).
 */
export async function analyse(opts: {
  apiUrl: string;
  db: Db;
  site: string;
  url: string;
  options: Record<string, unknown>;
  prompts: () => ChatBody[];
  timeoutMs: number;
  pollMs?: number;
}): Promise<AnalysisOutcome> {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 100) / 10;
  const start = await call(opts.apiUrl, '/analysis/start', { method: 'POST', json: { url: opts.url, options: opts.options } });
  if (start.status !== 202) {
    return { site: opts.site, final: 'start refused', error: `${start.status} ${JSON.stringify(start.body?.error)}`, seconds: seconds() };
  }
  const analysisId: string = start.body.data.analysisId;
  let status: any;
  for (;;) {
    const res = await call(opts.apiUrl, `/analysis/${analysisId}`);
    status = res.body?.data;
    if (status && ['completed', 'failed', 'cancelled'].includes(status.status)) break;
    if (Date.now() - started > opts.timeoutMs) {
      const at = seconds();
      const firstSentence = (e: unknown) => String(e).split(/(?<=[.!?])\s/)[0]!.slice(0, 300);
      const lastErrors = (status?.steps ?? []).filter((s: any) => s.lastError).map((s: any) => `last error of ${s.name} (${s.attempts} attempts): ${firstSentence(s.lastError)}`);
      // Stop it, so it does not keep the worker and the model busy.
      await call(opts.apiUrl, `/analysis/${analysisId}/cancel`, { method: 'POST' }).catch(() => {});
      const error = [`cancelled after ${at} s at step ${status?.currentStep}`, ...lastErrors].join('; ').slice(0, 600);
      return { site: opts.site, analysisId, final: 'timed out', error, seconds: at };
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
  const elapsed = seconds();
  if (status.status !== 'completed') {
    const failedSteps = (status.steps ?? []).filter((s: any) => s.lastError).map((s: any) => `${s.name}: ${typeof s.lastError === 'string' ? s.lastError : JSON.stringify(s.lastError)}`);
    return {
      site: opts.site,
      analysisId,
      final: status.status,
      error: [status.error ? `${status.error.code}: ${status.error.message}` : undefined, ...failedSteps].filter(Boolean).join(' | ').slice(0, 600),
      seconds: elapsed,
    };
  }
  const report = await call(opts.apiUrl, `/analysis/${analysisId}/report`);
  if (report.status !== 200) {
    return { site: opts.site, analysisId, final: 'completed', error: `report: ${report.status} ${JSON.stringify(report.body?.error)}`, seconds: elapsed };
  }
  const data = report.body.data;
  const requests = opts.prompts();
  const { pages, siteText } = await storedPages(opts.db, analysisId);
  const verdict = judgeReport(data.report, pages, promptsOf(requests), siteText);
  return {
    site: opts.site,
    analysisId,
    final: 'completed',
    seconds: elapsed,
    reportStatus: data.status,
    modelRequests: requests.length,
    fields: data.quality?.fields,
    verdict,
  };
}
