import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../test/support/service.js';
import { PURGE_WORKFLOW_TYPE, purgeProgressQuery, RETENTION_SCHEDULE_ID } from '../workflows/purge-definitions.js';
import { createLogger } from './logger.js';
import { ensureRetentionSchedule, RETENTION_SCHEDULE_NOTE } from './schedules.js';

/**
 * The retention schedule on the real Temporal dev server. Workers of every end-to-end test
 * (each on its own task queue) update the shared `persona-retention-purge` schedule when they
 * start, so assertions on it leave its task queue alone; the idempotency cases use schedules of
 * their own.
 */
describe('the retention schedule', () => {
  let service: TestService;
  const own: string[] = [];
  const logger = createLogger('error');

  beforeAll(async () => {
    service = await startTestService();
  });

  afterAll(async () => {
    for (const id of own) await service.temporal.schedule.getHandle(id).delete().catch(() => undefined);
    await service?.stop();
  });

  const ownId = () => {
    const id = `retention-test-${randomUUID()}`;
    own.push(id);
    return id;
  };

  it('exists once a worker has started: daily, skipping overlaps, running RetentionPurgeWorkflow, saying what it does', async () => {
    const schedule = await service.temporal.schedule.getHandle(RETENTION_SCHEDULE_ID).describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: PURGE_WORKFLOW_TYPE, workflowId: RETENTION_SCHEDULE_ID });
    expect(schedule.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(schedule.spec.calendars).toHaveLength(1);
    expect(schedule.memo).toEqual({ description: RETENTION_SCHEDULE_NOTE });
    expect(schedule.state.paused).toBe(false);
    expect(schedule.state.note).toBe(RETENTION_SCHEDULE_NOTE);
  });

  it('a second ensure changes nothing; other settings update it; a paused schedule stays paused', async () => {
    const scheduleId = ownId();
    const desired = { scheduleId, taskQueue: service.taskQueue, input: { cacheRetentionDays: 30, analysisRetentionDays: null } };
    expect(await ensureRetentionSchedule(service.temporal, desired, logger)).toBe('created');
    expect(await ensureRetentionSchedule(service.temporal, desired, logger)).toBe('unchanged');

    const handle = service.temporal.schedule.getHandle(scheduleId);
    await handle.pause('paused by an operator');
    const changed = { ...desired, input: { cacheRetentionDays: 7, analysisRetentionDays: 365 } };
    expect(await ensureRetentionSchedule(service.temporal, changed, logger)).toBe('updated');
    const after = await handle.describe();
    expect(after.action).toMatchObject({ args: [changed.input], taskQueue: service.taskQueue });
    expect(after.state).toMatchObject({ paused: true, note: 'paused by an operator' });
    expect(await ensureRetentionSchedule(service.temporal, changed, logger)).toBe('unchanged');
  });

  it('two workers ensuring at once both succeed: one creates, the other finds it', async () => {
    const scheduleId = ownId();
    const desired = { scheduleId, taskQueue: service.taskQueue, input: { cacheRetentionDays: 30, analysisRetentionDays: null } };
    const outcomes = await Promise.all([ensureRetentionSchedule(service.temporal, desired, logger), ensureRetentionSchedule(service.temporal, desired, logger)]);
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect((await service.temporal.schedule.getHandle(scheduleId).describe()).action).toMatchObject({ workflowType: PURGE_WORKFLOW_TYPE });
  });

  it('its action starts a purge the worker runs to the end', async () => {
    const scheduleId = ownId();
    // No retention periods: the run deletes nothing, whatever else the test database holds.
    await ensureRetentionSchedule(service.temporal, { scheduleId, taskQueue: service.taskQueue, input: { cacheRetentionDays: null, analysisRetentionDays: null } }, logger);
    const handle = service.temporal.schedule.getHandle(scheduleId);
    await handle.trigger();
    let workflowId: string | undefined;
    const deadline = Date.now() + 60_000;
    while (!workflowId) {
      workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId && Date.now() > deadline) throw new Error('the schedule took no action');
      if (!workflowId) await sleep(200);
    }
    expect(workflowId.startsWith(scheduleId)).toBe(true);
    const run = service.temporal.workflow.getHandle(workflowId);
    expect(await run.result()).toMatchObject({ phase: 'done', analysesDeleted: 0, pagesDeleted: 0 });
    expect(await run.query(purgeProgressQuery)).toMatchObject({ phase: 'done' });
  });
});
