// The page: start an analysis, follow it, read and compare its report versions, regenerate, and
// manage past analyses. State lives in `view`; the open analysis is in the address (#/analysis/<id>).
import { api, apiKey, followEvents } from './api.js';
import { $, h, link } from './dom.js';
import { renderDiff, renderReport } from './report.js';
import { describeSubStep, subStepOf } from './progress.js';

const STEPS = [
  ['validation', 'Checking the address'],
  ['content_extraction', 'Reading the site'],
  ['content_processing', 'Cleaning the pages'],
  ['ai_analysis', 'Asking the model'],
  ['report_generation', 'Writing the personas'],
  ['quality_check', 'Checking the evidence'],
  ['finalization', 'Finishing'],
];
const REPORT_STEPS = new Set(['ai_analysis', 'report_generation', 'quality_check', 'finalization']);
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** While the event stream is up, a slow status read still runs now and then: a missed event cannot stall the view. */
const SAFETY_POLL_MS = 5000;
const POLL_MS = 1000;

const view = {
  id: null,
  status: null,
  /** The report version being written (after a start or a regenerate); 0 when none is awaited. */
  awaitVersion: 0,
  latestVersion: 0,
  shownVersion: null,
  subSteps: {},
  stopEvents: null,
  timer: null,
  refreshing: null,
  refreshAgain: false,
  settleReads: 0,
};

// ---------------------------------------------------------------------------------------------
// Notices

function notify(message, kind = 'error') {
  const el = $('#notice');
  el.textContent = message;
  el.className = `notice ${kind}`;
  el.hidden = !message;
}

function explain(err) {
  const fields = err?.details?.fields;
  const lines = fields && typeof fields === 'object' ? Object.entries(fields).map(([name, msgs]) => `${name || 'request'}: ${[].concat(msgs).join('; ')}`) : [];
  return [err?.message ?? String(err), ...lines].join(' · ');
}

async function attempt(action) {
  try {
    return await action();
  } catch (err) {
    notify(explain(err));
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Following one analysis: the event stream when it is there, polling otherwise

function stopFollowing() {
  view.stopEvents?.();
  view.stopEvents = null;
  clearInterval(view.timer);
  view.timer = null;
}

function follow() {
  stopFollowing();
  const id = view.id;
  $('#analysis').dataset.feed = 'events';
  view.stopEvents = followEvents(id, {
    onEvent(type, data) {
      if (id !== view.id) return;
      const sub = subStepOf(data);
      // A stream opened for a regeneration replays the earlier versions' events first.
      if (sub && sub.version >= view.awaitVersion) {
        view.subSteps[sub.step] = sub;
        renderSteps(view.status);
      }
      refresh();
    },
    // No stream: status reads every second instead.
    onUnavailable() {
      if (id !== view.id || !view.timer) return;
      $('#analysis').dataset.feed = 'polling';
      pollEverySecond();
    },
    // Ended with the final status, which the status route may not show yet: read it until it does.
    onEnd() {
      if (id === view.id && view.timer) pollEverySecond();
    },
  });
  view.timer = setInterval(refresh, SAFETY_POLL_MS);
}

function pollEverySecond() {
  clearInterval(view.timer);
  view.timer = setInterval(refresh, POLL_MS);
  refresh();
}

/** One status read at a time; calls during one ask for another right after it. */
function refresh() {
  if (!view.id) return Promise.resolve();
  if (view.refreshing) {
    view.refreshAgain = true;
    return view.refreshing;
  }
  const id = view.id;
  view.refreshing = (async () => {
    try {
      const status = await api.status(id);
      if (id === view.id) await show(status);
    } catch (err) {
      if (id === view.id) notify(explain(err));
      if (err?.status === 404) stopFollowing();
    } finally {
      view.refreshing = null;
      if (view.refreshAgain) {
        view.refreshAgain = false;
        refresh();
      }
    }
  })();
  return view.refreshing;
}

async function show(status) {
  const before = view.status?.status;
  view.status = status;
  renderStatus(status);
  // The list shows each analysis's status too: keep the open one's row current.
  if (before !== status.status) loadList();
  const latest = status.latestReportVersion ?? 0;
  if (latest > view.latestVersion) {
    view.latestVersion = latest;
    renderVersionChoices();
    await showVersion(latest);
  }
  // Done when the awaited version's run has ended (its steps belong to it) or its report exists.
  const done = TERMINAL.has(status.status) && (latest >= view.awaitVersion || status.version >= view.awaitVersion);
  // A completed analysis whose step rows are still being written: a few more reads show them done.
  const settled = status.status !== 'completed' || status.steps.every((s) => s.state === 'completed' || s.state === 'skipped');
  if (done && !settled && view.settleReads++ < 10) return;
  if (done && (view.stopEvents || view.timer)) {
    stopFollowing();
    view.awaitVersion = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Progress

function renderStatus(s) {
  const section = $('#analysis');
  section.hidden = false;
  section.dataset.status = s.status;
  $('#analysis-title').replaceChildren(link(s.url, s.domain));
  $('#analysis-meta').textContent = `${s.status} · started ${new Date(s.createdAt).toLocaleString()}${s.usage?.calls ? ` · ${s.usage.calls} model calls so far` : ''}`;
  // Right after a regenerate the status still describes the previous version until the run picks it up.
  const waiting = view.awaitVersion > s.version && view.awaitVersion > (s.latestReportVersion ?? 0);
  const percent = waiting ? 0 : s.percent;
  const bar = section.querySelector('.bar');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.querySelector('.fill').style.width = `${percent}%`;
  bar.querySelector('.label').textContent = waiting ? `waiting for version ${view.awaitVersion} to start` : `${percent}%${s.version > 1 ? ` · version ${s.version}` : ''}`;
  renderSteps(s, waiting);
  const error = $('#analysis-error');
  error.hidden = !s.error;
  error.textContent = s.error ? `${s.error.message} (${s.error.code})` : '';
  $('#cancel').hidden = TERMINAL.has(s.status);
}

function renderSteps(s, waiting = false) {
  if (!s) return;
  const byName = new Map(s.steps.map((step) => [step.name, step]));
  $('#steps').replaceChildren(
    ...STEPS.map(([name, label]) => {
      const step = byName.get(name) ?? { state: 'pending', attempts: 0 };
      const state = waiting && REPORT_STEPS.has(name) ? 'pending' : step.state;
      const sub = view.subSteps[name];
      return h(
        'li',
        { 'data-step': name, 'data-state': state, class: state },
        h('span', { class: 'state' }, state),
        h('span', { class: 'name' }, label, ' ', h('code', null, name)),
        sub ? h('span', { class: 'sub' }, describeSubStep(sub, state)) : null,
        step.attempts > 1 ? h('span', { class: 'attempts' }, `attempt ${step.attempts}`) : null,
        step.lastError && state !== 'completed' ? h('span', { class: 'step-error' }, step.lastError) : null,
      );
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Report, versions, comparison

function renderVersionChoices() {
  const versions = Array.from({ length: view.latestVersion }, (_, i) => view.latestVersion - i);
  $('#version').replaceChildren(...versions.map((v) => h('option', { value: v }, `${v}${v === view.latestVersion ? ' (latest)' : ''}`)));
  const compare = $('#compare');
  const current = compare.value;
  compare.replaceChildren(h('option', { value: '' }, '(none)'), ...versions.map((v) => h('option', { value: v }, String(v))));
  compare.value = versions.includes(Number(current)) ? current : '';
  $('#report-section').hidden = view.latestVersion === 0;
}

async function showVersion(version) {
  const id = view.id;
  const data = await attempt(() => api.report(id, version));
  if (!data || id !== view.id) return;
  view.shownVersion = data.version;
  $('#version').value = String(data.version);
  $('#report').replaceChildren(renderReport(data));
  $('#report-title').textContent = `Report · version ${data.version}`;
  await showDiff();
}

async function showDiff() {
  const from = Number($('#compare').value);
  const box = $('#diff');
  if (!from || from === view.shownVersion) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const id = view.id;
  const diff = await attempt(() => api.diff(id, view.shownVersion, from));
  if (!diff || id !== view.id) return;
  box.replaceChildren(renderDiff(diff));
  box.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Opening an analysis

function open(id, { awaitVersion = 0 } = {}) {
  stopFollowing();
  Object.assign(view, { id, status: null, awaitVersion, latestVersion: 0, shownVersion: null, subSteps: {}, settleReads: 0 });
  $('#report').replaceChildren();
  $('#diff').hidden = true;
  $('#compare').value = '';
  $('#report-section').hidden = true;
  $('#analysis').hidden = true;
  if (!id) return;
  refresh().then(() => {
    if (id === view.id && view.status && (!TERMINAL.has(view.status.status) || awaitVersion > 0)) follow();
  });
}

function openFromAddress() {
  const match = /^#\/analysis\/([0-9a-f-]{36})$/i.exec(location.hash);
  const id = match ? match[1] : null;
  if (id !== view.id) open(id, { awaitVersion: view.pendingAwait ?? 0 });
  view.pendingAwait = undefined;
}

function goTo(id, awaitVersion = 0) {
  view.pendingAwait = awaitVersion;
  const hash = `#/analysis/${id}`;
  if (location.hash === hash) {
    view.id = null; // open again
    openFromAddress();
  } else location.hash = hash;
}

// ---------------------------------------------------------------------------------------------
// Past analyses

let listCursor = null;

function filters() {
  const form = new FormData($('#filters'));
  const query = {};
  for (const name of ['status', 'domain']) {
    const value = String(form.get(name) ?? '').trim();
    if (value) query[name] = value;
  }
  return query;
}

async function loadList(more = false) {
  const page = await attempt(() => api.list({ ...filters(), limit: 20, ...(more && listCursor ? { cursor: listCursor } : {}) }));
  if (!page) return;
  listCursor = page.nextCursor;
  $('#more').hidden = !listCursor;
  const rows = page.items.map(listRow);
  if (more) $('#list').append(...rows);
  else $('#list').replaceChildren(...(rows.length ? rows : [h('li', { class: 'muted' }, 'No analyses match.')]));
}

function listRow(item) {
  const active = !TERMINAL.has(item.status);
  return h(
    'li',
    { 'data-id': item.analysisId, 'data-status': item.status },
    h('a', { href: `#/analysis/${item.analysisId}`, class: 'domain' }, item.domain),
    h('span', { class: `badge ${item.status}` }, item.status),
    h('span', { class: 'muted' }, new Date(item.createdAt).toLocaleString()),
    item.latestReportVersion ? h('span', { class: 'muted' }, `v${item.latestReportVersion}`) : null,
    item.error ? h('span', { class: 'step-error' }, item.error.message) : null,
    h(
      'span',
      { class: 'actions' },
      active ? h('button', { type: 'button', class: 'cancel', onclick: () => cancel(item.analysisId) }, 'Cancel') : null,
      h('button', { type: 'button', class: 'delete danger', onclick: () => remove(item) }, 'Delete'),
    ),
  );
}

async function cancel(id) {
  const done = await attempt(() => api.cancel(id));
  if (!done) return;
  notify('Cancelling: the analysis stops at its next checkpoint.', 'info');
  if (id === view.id) refresh();
  // The status changes once the workflow has stopped.
  setTimeout(loadList, 1500);
}

async function remove(item) {
  if (!confirm(`Delete the analysis of ${item.domain}? Its report and every version are removed for good.`)) return;
  const done = await attempt(() => api.remove(item.analysisId));
  if (!done) return;
  notify(`Deleted the analysis of ${item.domain}.`, 'info');
  if (item.analysisId === view.id) location.hash = '';
  loadList();
}

// ---------------------------------------------------------------------------------------------
// Forms

function numberField(form, name) {
  const value = String(form.get(name) ?? '').trim();
  return value === '' ? undefined : Number(value);
}

async function submitStart(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const notifyTo = { webhookUrl: String(form.get('webhookUrl') ?? '').trim() || undefined, email: String(form.get('email') ?? '').trim() || undefined };
  const options = {
    maxPages: numberField(form, 'maxPages'),
    personaCount: numberField(form, 'personaCount'),
    language: String(form.get('language') ?? '').trim() || undefined,
    forceRefresh: form.get('forceRefresh') === 'on',
    notify: notifyTo.webhookUrl || notifyTo.email ? notifyTo : undefined,
  };
  const button = event.target.querySelector('button[type=submit]');
  button.disabled = true;
  const started = await attempt(() => api.start({ url: String(form.get('url')).trim(), options }));
  button.disabled = false;
  if (!started) return;
  notify('');
  goTo(started.analysisId, 1);
  loadList();
}

async function submitRegenerate(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const instructions = String(form.get('instructions') ?? '').trim();
  const sections = form.getAll('sections').map(String);
  const id = view.id;
  const accepted = await attempt(() => api.regenerate(id, { ...(instructions ? { instructions } : {}), ...(sections.length ? { sections } : {}) }));
  if (!accepted || id !== view.id) return;
  notify(`Version ${accepted.nextVersion} is being written.`, 'info');
  event.target.reset();
  view.awaitVersion = accepted.nextVersion;
  view.settleReads = 0;
  for (const step of REPORT_STEPS) delete view.subSteps[step];
  if (view.status) renderStatus(view.status);
  $('#analysis').scrollIntoView({ behavior: 'smooth' });
  follow();
  refresh();
}

function init() {
  $('#api-key').value = apiKey.get();
  $('#key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    apiKey.set($('#api-key').value.trim());
    notify('API key saved in this browser.', 'info');
    loadList();
  });
  $('#start-form').addEventListener('submit', submitStart);
  $('#regenerate-form').addEventListener('submit', submitRegenerate);
  $('#cancel').addEventListener('click', () => view.id && cancel(view.id));
  $('#version').addEventListener('change', () => showVersion(Number($('#version').value)));
  $('#compare').addEventListener('change', showDiff);
  $('#filters').addEventListener('submit', (event) => {
    event.preventDefault();
    loadList();
  });
  $('#more').addEventListener('click', () => loadList(true));
  window.addEventListener('hashchange', openFromAddress);
  openFromAddress();
  loadList();
}

init();
