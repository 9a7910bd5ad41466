/** What the workflow asks the notification activity for; shared with workflow code as types only. */
export type NotifyChannel = 'webhook' | 'email';

/**
 * Event types of webhooks (Standard Webhooks `type`): a version finalized; the analysis failed (no
 * report exists); a regeneration failed (the analysis stays completed, its earlier report stands).
 */
export type NotifyEvent = 'analysis.version_completed' | 'analysis.failed' | 'analysis.version_failed';

export interface SendNotificationInput {
  analysisId: string;
  version: number;
  channel: NotifyChannel;
  event: NotifyEvent;
}

/** How the send ended: delivered, failed for good, or nothing to send (no such address set, analysis deleted). */
export type SendNotificationResult = 'delivered' | 'failed' | 'skipped';

/** A delivery that did not happen, in words a person understands; `permanent`: trying again cannot help. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly permanent = false,
    /** The receiver asked for this pause (Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
