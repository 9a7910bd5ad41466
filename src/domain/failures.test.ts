import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState, TimeoutFailure, type TimeoutType } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ANALYSIS_FAILED, describeFailure, describeInfrastructureError, FailureType, STEP_TIMED_OUT } from './failures.js';

/** As the workflow receives an activity's final failure once its retry policy gave up. */
const fromActivity = (activityType: string, cause: Error) =>
  new ActivityFailure('Activity task failed', activityType, '1', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'worker@host', cause);

/** An Error an activity threw unclassified: Temporal sends its name as the type and its message. */
const thrown = (name: string, message: string) => ApplicationFailure.create({ type: name, message });

const timeout = (type: TimeoutType) => new TimeoutFailure(undefined, undefined, type);

const PROMISES_A_RETRY = /(will be|being|is|gets) retried|retrying|trying again|will (retry|try again)|try again shortly/i;

describe('describeFailure', () => {
  it('keeps the message of our own failure types and maps their code', () => {
    const dns = ApplicationFailure.create({
      type: FailureType.SiteUnreachable,
      message: 'The name shop.example could not be found (DNS): no such host exists. Check the address for typos.',
      nonRetryable: true,
    });
    expect(describeFailure(fromActivity('validateSite', dns))).toEqual({ code: 'SITE_UNREACHABLE', message: dns.message });
    const flaky = ApplicationFailure.create({ type: FailureType.SiteUnavailable, message: 'shop.example:443 closed the connection before answering.' });
    expect(describeFailure(fromActivity('extractContent', flaky)).code).toBe('SITE_UNREACHABLE');
  });

  it.each([
    ['START_TO_CLOSE', 'extractContent', /^Reading the site did not finish within its time limit.*\(timeout\)/],
    ['HEARTBEAT', 'analyzeInsight', /^Asking the AI model for insights stopped reporting progress.*heartbeat timeout/],
    ['SCHEDULE_TO_START', 'validateSite', /^Checking the site was never picked up: no worker/],
    ['SCHEDULE_TO_CLOSE', 'someNewActivity', /^A step did not finish within its time limit/],
  ] as const)('names a %s timeout of %s in words', (type, activity, expected) => {
    const described = describeFailure(fromActivity(activity, timeout(type)));
    expect(described.code).toBe(STEP_TIMED_OUT);
    expect(described.message).toMatch(expected);
  });

  it.each([
    ['connect ECONNREFUSED 10.1.2.3:5432', /database refused the connection/],
    ['terminating connection due to administrator command', /database closed the connection/],
    ['the database system is starting up', /database is starting up or shutting down/],
    ['Connection terminated unexpectedly', /connection to the database was lost/],
    ['timeout exceeded when trying to connect', /database did not accept a connection in time/],
  ])('names a database fault (%s) without its address', (message, expected) => {
    const described = describeFailure(fromActivity('finalizeReport', thrown('Error', message)));
    expect(described.code).toBe('SERVICE_UNAVAILABLE');
    expect(described.message).toMatch(expected);
    expect(described.message).not.toMatch(/10\.1\.2\.3|5432/);
  });

  it('says a cancellation is one', () => {
    expect(describeFailure(new CancelledFailure('cancelled'))).toEqual({ code: 'CANCELLED', message: 'The analysis was cancelled.' });
    expect(describeFailure(fromActivity('extractContent', new CancelledFailure('cancelled'))).code).toBe('CANCELLED');
  });

  it('keeps an unknown cause out of the message, names the step, and never calls it internal', () => {
    const described = describeFailure(fromActivity('generateReport', thrown('TypeError', "Cannot read properties of undefined (reading 'x') at /app/secret.js")));
    expect(described.code).toBe(ANALYSIS_FAILED);
    expect(described.message).toMatch(/^Writing the report failed on an unexpected error/);
    expect(described.message).not.toMatch(/secret|TypeError|internal error/i);
  });

  it('never promises another attempt: every message is final', () => {
    const causes: Error[] = [
      timeout('START_TO_CLOSE'),
      timeout('HEARTBEAT'),
      timeout('SCHEDULE_TO_START'),
      thrown('Error', 'connect ECONNREFUSED 127.0.0.1:5433'),
      thrown('Error', 'something odd'),
    ];
    for (const cause of causes) expect(describeFailure(fromActivity('extractContent', cause)).message).not.toMatch(PROMISES_A_RETRY);
  });
});

describe('describeInfrastructureError', () => {
  it('recognises node-postgres errors by their SQLSTATE', () => {
    expect(describeInfrastructureError(Object.assign(new Error('x'), { code: '57P01' }))).toMatch(/shutting down or restarting/);
    expect(describeInfrastructureError(Object.assign(new Error('x'), { code: '57P03' }))).toMatch(/starting up or shutting down/);
    expect(describeInfrastructureError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5433'), { code: 'ECONNREFUSED' }))).toMatch(/refused/);
  });

  it('leaves anything else alone', () => {
    expect(describeInfrastructureError(new Error('duplicate key value violates unique constraint'))).toBeUndefined();
    expect(describeInfrastructureError(undefined)).toBeUndefined();
    expect(describeInfrastructureError('text')).toBeUndefined();
  });
});

/**
 * Messages of failures are what people read last: a retryable failure's message becomes the final
 * error when its retries run out, so no message the product writes may say it will be retried.
 */
describe('messages written for people', () => {
  it('never say that something will be retried', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const files = [
      ...readdirSync(`${root}activities`).map((f) => `activities/${f}`),
      ...readdirSync(`${root}workflows`).map((f) => `workflows/${f}`),
      'src/domain/failures.ts',
    ].filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const offending: string[] = [];
    for (const file of files) {
      readFileSync(`${root}${file}`, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          // Only text inside quotes: comments may say what the retry policy does.
          const strings = line.replace(/^\s*(\/\/|\*|\/\*).*$/, '').match(/(['`"])(?:\\.|(?!\1).)*\1/g) ?? [];
          if (strings.some((s) => PROMISES_A_RETRY.test(s))) offending.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offending).toEqual([]);
  });
});
