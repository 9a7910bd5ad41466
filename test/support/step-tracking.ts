import { Context } from '@temporalio/activity';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { stepTrackingInterceptor } from '../../activities/tracking.js';
import type { ActivityDeps } from '../../activities/types.js';

/**
 * Runs one activity attempt as the worker does: through the step-tracking interceptor, under its
 * registered name (a mock environment names no activity type), so its step rows are written.
 */
export function runTracked<I, R>(
  env: MockActivityEnvironment,
  deps: ActivityDeps,
  activityType: string,
  fn: (input: I) => Promise<R>,
  input: I,
): Promise<R> {
  return env.run(async (arg: I) => {
    const info = { ...Context.current().info, activityType };
    const inbound = stepTrackingInterceptor(deps)({ info } as Context).inbound;
    if (!inbound?.execute) return fn(arg);
    return inbound.execute({ args: [arg], headers: {} }, async ({ args }) => fn(args[0] as I)) as Promise<R>;
  }, input);
}
