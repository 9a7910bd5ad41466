import type { Migration } from 'kysely/migration';
import * as initial from './0001_initial.js';
import * as modelCalls from './0002_model_calls.js';
import * as reportInsights from './0003_report_insights.js';
import * as pageCache from './0004_page_cache.js';
import * as apiAccess from './0005_api_access.js';
import * as notifications from './0006_notifications.js';
import * as retention from './0007_retention.js';
import * as modelCallKeys from './0008_model_call_keys.js';
import * as eventNotify from './0009_event_notify.js';
import * as modelCallDone from './0010_model_call_done.js';
import * as corpusOutline from './0011_corpus_outline.js';
import * as modelCallCountedByCall from './0012_model_call_counted_by_call.js';

/** Listed statically so the same code runs from TypeScript sources and from the built JavaScript. */
export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_model_calls': modelCalls,
  '0003_report_insights': reportInsights,
  '0004_page_cache': pageCache,
  '0005_api_access': apiAccess,
  '0006_notifications': notifications,
  '0007_retention': retention,
  '0008_model_call_keys': modelCallKeys,
  '0009_event_notify': eventNotify,
  '0010_model_call_done': modelCallDone,
  '0011_corpus_outline': corpusOutline,
  '0012_model_call_counted_by_call': modelCallCountedByCall,
};
