import type { NotifyEvent } from './types.js';

/** The analysis as the notification tells it: no report content, only where to read it. */
export interface NotifiedAnalysis {
  id: string;
  url: string;
  domain: string;
  error?: { code: string; message: string } | null;
}

/**
 * The webhook body (Standard Webhooks shape: type, timestamp, data) and what the email says. Built
 * once, when the outbox row is created, so every resend carries the same message.
 */
export interface NotificationPayload {
  type: NotifyEvent;
  /** When the event happened (not when this send was made: that is the webhook-timestamp header). */
  timestamp: string;
  data: {
    analysisId: string;
    version: number;
    status: 'completed' | 'failed';
    url: string;
    domain: string;
    error?: { code: string; message: string };
    links: { self: string; report?: string };
  };
}

const API_BASE = '/api/v2';

export function buildPayload(event: NotifyEvent, version: number, analysis: NotifiedAnalysis, at: Date): NotificationPayload {
  const self = `${API_BASE}/analysis/${analysis.id}`;
  const completed = event === 'analysis.version_completed';
  const error = !completed && analysis.error ? { code: analysis.error.code, message: analysis.error.message } : undefined;
  return {
    type: event,
    timestamp: at.toISOString(),
    data: {
      analysisId: analysis.id,
      version,
      // A failed regeneration leaves the analysis completed: its earlier report still stands.
      status: event === 'analysis.failed' ? 'failed' : 'completed',
      url: analysis.url,
      domain: analysis.domain,
      ...(error ? { error } : {}),
      links: completed ? { self, report: `${self}/report?version=${version}` } : { self },
    },
  };
}

/** Subject and plain text of the email for the same event. */
export function emailText(payload: NotificationPayload): { subject: string; text: string } {
  const { data } = payload;
  switch (payload.type) {
    case 'analysis.version_completed':
      return {
        subject: `Persona report v${data.version} for ${data.domain} is ready`,
        text: [
          `The persona report (version ${data.version}) for ${data.url} is ready.`,
          '',
          `Report: ${data.links.report}`,
          `Status: ${data.links.self}`,
          `Analysis ID: ${data.analysisId}`,
        ].join('\n'),
      };
    case 'analysis.failed':
    case 'analysis.version_failed': {
      const what = payload.type === 'analysis.failed' ? `The analysis of ${data.url} failed.` : `Regenerating the report (version ${data.version}) for ${data.url} failed; the earlier report still stands.`;
      return {
        subject: payload.type === 'analysis.failed' ? `Analysis of ${data.domain} failed` : `Report v${data.version} for ${data.domain} could not be made`,
        text: [what, '', ...(data.error ? [`Reason: ${data.error.message}`, ''] : []), `Status: ${data.links.self}`, `Analysis ID: ${data.analysisId}`].join('\n'),
      };
    }
  }
}
