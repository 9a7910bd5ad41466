// The page's only door to the API: the openapi-fetch client (served from node_modules) plus the
// event stream. Every call unwraps the envelope and throws an ApiError with the API's own message.
import createClient from '/web/vendor/openapi-fetch.js';
import { createParser } from '/web/vendor/eventsource-parser.js';

const BASE = '/api/v2';
const KEY_STORAGE = 'persona-analyzer.apiKey';

export const apiKey = {
  get: () => localStorage.getItem(KEY_STORAGE) ?? '',
  set: (value) => (value ? localStorage.setItem(KEY_STORAGE, value) : localStorage.removeItem(KEY_STORAGE)),
};

function authHeaders() {
  const key = apiKey.get();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// Paths as the OpenAPI document (and src/api/client/schema.d.ts) name them, /api/v2 included.
const client = createClient({ baseUrl: location.origin });
client.use({
  onRequest({ request }) {
    for (const [name, value] of Object.entries(authHeaders())) request.headers.set(name, value);
    return request;
  },
});

async function unwrap(promise) {
  let result;
  try {
    result = await promise;
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'The service cannot be reached. Check the connection and try again.');
  }
  const { data, error, response } = result;
  const envelope = data ?? error;
  if (!envelope || typeof envelope !== 'object') {
    throw new ApiError(response.status, 'BAD_RESPONSE', `The service answered ${response.status} without a readable body.`);
  }
  if (!envelope.success) {
    const e = envelope.error ?? {};
    throw new ApiError(response.status, e.code ?? 'ERROR', e.message ?? `The request failed (${response.status}).`, e.details);
  }
  return envelope.data;
}

/** 128 random bits as hex: getRandomValues works on plain http too, where randomUUID does not. */
function randomKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

const idPath = (id) => ({ params: { path: { id } } });

export const api = {
  /** One Idempotency-Key per submitted form: a double click starts one analysis. */
  start: (body, idempotencyKey = randomKey()) =>
    unwrap(client.POST('/api/v2/analysis/start', { body, headers: { 'Idempotency-Key': idempotencyKey } })),
  status: (id) => unwrap(client.GET('/api/v2/analysis/{id}', idPath(id))),
  report: (id, version) => unwrap(client.GET('/api/v2/analysis/{id}/report', { params: { path: { id }, query: { version } } })),
  diff: (id, version, from) =>
    unwrap(client.GET('/api/v2/analysis/{id}/report', { params: { path: { id }, query: { version, diff: from } } })),
  regenerate: (id, body) => unwrap(client.POST('/api/v2/analysis/{id}/regenerate', { ...idPath(id), body })),
  list: (query) => unwrap(client.GET('/api/v2/analysis', { params: { query } })),
  cancel: (id) => unwrap(client.POST('/api/v2/analysis/{id}/cancel', idPath(id))),
  remove: (id) => unwrap(client.DELETE('/api/v2/analysis/{id}', idPath(id))),
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows `GET /analysis/{id}/events`. Read through fetch (EventSource cannot send the API key);
 * after a dropped connection it resumes with Last-Event-ID, as EventSource would. When the stream
 * is not available (no such route, refused, not an event stream, network down) it calls
 * `onUnavailable` once and stops: the caller polls instead; `onEnd` when it ended after the final status. Returns a function that stops it.
 */
export function followEvents(id, { onEvent, onUnavailable, onEnd = onUnavailable }) {
  const controller = new AbortController();
  let stopped = false;
  let lastEventId;
  let retryMs = 1000;
  /** The stream ends after the final status (`event: status`); it is not reopened then. */
  let finalSeen = false;
  const stop = () => {
    stopped = true;
    controller.abort();
  };
  const parser = createParser({
    onEvent(message) {
      if (message.id) lastEventId = message.id;
      let data = message.data;
      try {
        data = JSON.parse(message.data);
      } catch {
        // A plain-text event: passed on as text.
      }
      if (message.event === 'status') finalSeen = true;
      onEvent(message.event ?? 'message', data);
    },
    onRetry(ms) {
      retryMs = ms;
    },
  });

  (async () => {
    while (!stopped) {
      let response;
      try {
        response = await fetch(`${BASE}/analysis/${encodeURIComponent(id)}/events`, {
          headers: { Accept: 'text/event-stream', ...authHeaders(), ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) },
          cache: 'no-store',
          signal: controller.signal,
        });
      } catch {
        if (!stopped) onUnavailable('the event stream cannot be reached');
        return;
      }
      const type = response.headers.get('Content-Type') ?? '';
      if (!response.ok || response.status === 204 || !type.startsWith('text/event-stream') || !response.body) {
        response.body?.cancel().catch(() => {});
        if (!stopped) onUnavailable(`the event stream answered ${response.status}`);
        return;
      }
      parser.reset();
      let ended = false;
      try {
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
        ended = true;
      } catch {
        // A dropped connection: resume below.
      }
      if (stopped) return;
      if (ended && finalSeen) {
        onEnd();
        return;
      }
      await sleep(retryMs);
    }
  })();
  return stop;
}
