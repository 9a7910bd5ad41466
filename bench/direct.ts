import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities/index.js';
import type { ActivityDeps, CheckedReport, GenerateReportInput, InsightIds, RepairInput } from '../activities/types.js';
import type { QualityResult } from '../src/domain/quality.js';
import { regenerationScope } from '../src/domain/analysis.js';
import type { Db } from '../src/database.js';

/**
 * Issue 15, the direct limit: the activity functions the workflow runs, called in this process in
 * the workflow's order and parallelism (validate → crawl → process → every insight at once →
 * report → quality check with up to 2 repairs → finalize), each in a MockActivityEnvironment for its
 * activity context. No Temporal, no API, no step-tracking interceptor (its writes to
 * analysis_steps are left out). The analysis row is what the API would insert: a copy of the
 * options of an analysis the API accepted, on a fresh site URL.
 */
const MAX_QUALITY_REPAIRS = 2;

export interface Direct {
  run(url: string, options: object): Promise<number>;
}

export function directRunner(deps: ActivityDeps & { db: Db }): Direct {
  const acts = createActivities(deps);
  const call = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
    new MockActivityEnvironment({ activityType: fn.name }).run(fn as any, ...args) as Promise<R>;
  return {
    async run(url, options) {
      const analysisId = randomUUID();
      const domain = new URL(url).hostname;
      await deps.db
        .insertInto('analyses')
        .values({
          id: analysisId,
          url,
          input_url: url,
          domain,
          status: 'running',
          options: JSON.stringify(options),
          idempotency_key: null,
          request_hash: randomUUID(),
          workflow_id: `direct-${analysisId}`,
          current_step: null,
          requested_version: 1,
          corpus: null,
          language: null,
          error: null,
        })
        .execute();
      const t0 = performance.now();
      await call(acts.validateSite, { analysisId });
      await call(acts.extractContent, { analysisId });
      await call(acts.processContent, { analysisId });
      const kinds = regenerationScope(undefined).insights;
      const ids = await Promise.all(kinds.map((kind) => call(acts.analyzeInsight, { analysisId, version: 1, kind })));
      const insightIds = Object.fromEntries(kinds.map((k, i) => [k, ids[i]])) as InsightIds;
      // As the workflow does: each report activity ends with the quality check and returns it.
      const generate = acts.generateReport as (input: GenerateReportInput & { check: true }) => Promise<CheckedReport>;
      const repair = acts.repairReport as (input: RepairInput & { check: true }) => Promise<QualityResult>;
      const { reportId, quality } = await call(generate, { analysisId, version: 1, insightIds, check: true });
      let result = quality;
      for (let round = 1; !result.passed && round <= MAX_QUALITY_REPAIRS; round++) {
        result = await call(repair, { reportId, issues: result.issues, insightIds, check: true });
      }
      await call(acts.finalizeReport, { analysisId, version: 1, reportId });
      return performance.now() - t0;
    },
  };
}
