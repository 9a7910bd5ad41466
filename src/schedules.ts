import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Connection, type ScheduleDescription } from '@temporalio/client';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { connectTemporalClient } from './temporal.js';
import { PURGE_WORKFLOW_TYPE, RETENTION_SCHEDULE_ID, type RetentionPurgeInput } from '../workflows/purge-definitions.js';

/** Daily, at a quiet hour (UTC), off the full hour so it does not meet every other cron job. */
export const PURGE_AT = { hour: 3, minute: 17 } as const;
/** A run still going after this is ended, so a stuck purge cannot hold off the next day's forever (overlap is SKIP). */
const PURGE_EXECUTION_TIMEOUT = '23 hours';

export const RETENTION_SCHEDULE_NOTE =
  'Daily retention purge (RetentionPurgeWorkflow): deletes cached pages older than CACHE_RETENTION_DAYS that no kept ' +
  'analysis needs, and analyses finished more than ANALYSIS_RETENTION_DAYS ago (when set; unset keeps them), in ' +
  'batches; progress in the purgeProgress query. Created or updated by every worker on start.';

export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

/** What the purge is started with: the worker's configuration, null for "keep forever". */
export function purgeInput(config: Pick<Config, 'CACHE_RETENTION_DAYS' | 'ANALYSIS_RETENTION_DAYS'>): RetentionPurgeInput {
  return { cacheRetentionDays: config.CACHE_RETENTION_DAYS ?? null, analysisRetentionDays: config.ANALYSIS_RETENTION_DAYS ?? null };
}

interface Desired {
  taskQueue: string;
  input: RetentionPurgeInput;
  /** Tests only: a schedule of their own; everyone else shares `persona-retention-purge`. */
  scheduleId?: string;
}

/** Whether an existing schedule already does exactly what this worker would set up (then it is left alone). */
export function scheduleMatches(current: ScheduleDescription, desired: Desired): boolean {
  const { action, spec, policies } = current;
  if (action.type !== 'startWorkflow') return false;
  const calendar = spec.calendars?.length === 1 && !spec.intervals?.length ? spec.calendars[0] : undefined;
  return (
    action.workflowType === PURGE_WORKFLOW_TYPE &&
    action.taskQueue === desired.taskQueue &&
    JSON.stringify(action.args) === JSON.stringify([desired.input]) &&
    policies.overlap === ScheduleOverlapPolicy.SKIP &&
    calendar?.hour.length === 1 &&
    calendar.hour[0]?.start === PURGE_AT.hour &&
    calendar.minute.length === 1 &&
    calendar.minute[0]?.start === PURGE_AT.minute
  );
}

/**
 * Creates the retention schedule, or brings an existing one up to this worker's task queue and
 * retention settings. Safe to run from every worker at once: "already exists" turns into an
 * update (last writer wins; workers of one deployment share their configuration). A schedule an
 * operator paused stays paused, with its note.
 */
export async function ensureRetentionSchedule(client: Client, desired: Desired, logger: Logger): Promise<EnsureOutcome> {
  const scheduleId = desired.scheduleId ?? RETENTION_SCHEDULE_ID;
  const options = {
    spec: { calendars: [{ ...PURGE_AT, comment: `daily at ${PURGE_AT.hour}:${PURGE_AT.minute} UTC` }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: PURGE_WORKFLOW_TYPE,
      workflowId: scheduleId,
      taskQueue: desired.taskQueue,
      args: [desired.input],
      workflowExecutionTimeout: PURGE_EXECUTION_TIMEOUT,
    },
    // A purge still running when the next is due: skip the new one. Catch up one missed day after an outage.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
  try {
    await client.schedule.create({
      scheduleId,
      ...options,
      memo: { description: RETENTION_SCHEDULE_NOTE },
      state: { note: RETENTION_SCHEDULE_NOTE },
    });
    logger.info('retention schedule created', { scheduleId, ...desired.input });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  if (scheduleMatches(await handle.describe(), desired)) return 'unchanged';
  await handle.update((current) => ({
    ...options,
    state: current.state.paused ? { paused: true, note: current.state.note } : { paused: false, note: RETENTION_SCHEDULE_NOTE },
  }));
  logger.info('retention schedule updated', { scheduleId, ...desired.input });
  return 'updated';
}

/**
 * What a worker calls on start, with the process's client or (the production worker, which has
 * only a NativeConnection) a client connection of its own for the call. The schedule is
 * housekeeping: a Temporal that refuses it (e.g. a Cloud key without the right) is logged as an
 * error and the worker serves analyses anyway.
 */
export async function ensureRetentionScheduleOnStart(
  config: Parameters<typeof connectTemporalClient>[0] &
    Pick<Config, 'TEMPORAL_NAMESPACE' | 'TEMPORAL_TASK_QUEUE' | 'CACHE_RETENTION_DAYS' | 'ANALYSIS_RETENTION_DAYS'>,
  logger: Logger,
  client?: Client,
): Promise<EnsureOutcome | undefined> {
  let own: Connection | undefined;
  try {
    if (!client) {
      own = await connectTemporalClient(config);
      client = new Client({ connection: own, namespace: config.TEMPORAL_NAMESPACE });
    }
    return await ensureRetentionSchedule(client, { taskQueue: config.TEMPORAL_TASK_QUEUE, input: purgeInput(config) }, logger);
  } catch (err) {
    logger.error('could not create or update the retention schedule; cached pages and old analyses are not purged', {
      scheduleId: RETENTION_SCHEDULE_ID,
      error: err instanceof Error ? err.message : String(err),
    });
    return undefined;
  } finally {
    await own?.close();
  }
}
