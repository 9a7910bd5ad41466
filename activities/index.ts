import { createAiAnalysisActivities } from './ai-analysis.js';
import { createNotificationActivities } from './notification.js';
import { createProcessingActivities } from './processing.js';
import { createRetentionActivities } from './retention.js';
import { createReportActivities } from './report.js';
import { createScrapingActivities } from './scraping.js';
import { createTrackingActivities } from './tracking.js';
import type { ActivityDeps } from './types.js';

export { stepTrackingInterceptor } from './tracking.js';

/** Every activity the worker registers, made from its dependencies (no module-level state). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createScrapingActivities(deps),
    ...createProcessingActivities(deps),
    ...createAiAnalysisActivities(deps),
    ...createReportActivities(deps),
    ...createNotificationActivities(deps),
    ...createTrackingActivities(deps),
    ...createRetentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
