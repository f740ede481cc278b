// evrouter dashboard: logs in with a token, polls GetStats and ListQueues
// every 2 s, and offers the admin actions through the JSON API (api.js).

import { ApiError, callApi } from './api.js';
import { RateChart } from './chart.js';
import { $, h, setCell, syncRows } from './dom.js';
import {
  fmtClock, fmtCount, fmtDateTime, fmtPercent, fmtRate, fmtRelative, kindName,
  parsePermissions, permissionText, splitList, stateName, toBig,
} from './format.js';

const TOKEN_KEY = 'evrouter.dashboard.token';
const REFRESH_MS = 2000;
const USERS_EVERY = 5; // ListUsers on every 5th refresh (and after changes)

const state = {
  token: null, // null: logged out; '' is a valid token with auth off
  session: 0, // bumped on login and logout; stale answers are dropped
  timer: 0,
  refreshes: 0,
  started: 0, // refreshes started; an answer older than the last shown is dropped
  shown: 0,
  exchanges: [], // ExchangeStats of the last refresh
  queueSpecs: new Map(), // queue name -> Queue (bindings)
  users: [],
};

const chart = new RateChart($('#rate-chart'));

// ---- API access -----------------------------------------------------------

class SessionEnded extends Error {}

// Calls the API with the session's token. A 401 ends the session (back to
// the login form, with the reason); answers that arrive after a logout are
// dropped by throwing SessionEnded.
async function api(method, body) {
  const session = state.session;
  try {
    const result = await callApi(method, body, state.token);
    if (session !== state.session) throw new SessionEnded();
    return result;
  } catch (e) {
    if (session !== state.session) throw new SessionEnded();
    if (e instanceof ApiError && e.httpStatus === 401) {
      logout(`The server no longer accepts this token: ${e.text}`);
      throw new SessionEnded();
    }
    throw e;
  }
}

function errorText(e) {
  if (e instanceof ApiError) return e.text;
  return e?.message || String(e);
}

function showMessage(el, text) {
  el.textContent = text || '';
  el.hidden = !text;
}

// ---- Login ------------------------------------------------------------------

const loginView = $('#login-view');
const loginForm = $('#login-form');
const loginError = $('#login-error');
const app = $('#app');

function showLogin(message) {
  app.hidden = true;
  $('#nav').hidden = true;
  $('#session').hidden = true;
  loginView.hidden = false;
  showMessage(loginError, message);
  const input = $('#login-token');
  input.value = '';
  input.focus();
}

// Tries `token` with GetStats (which needs the admin permission); on success
// keeps it in sessionStorage and starts polling.
async function login(token) {
  state.session++;
  const session = state.session;
  let stats;
  try {
    stats = await callApi('GetStats', {}, token);
  } catch (e) {
    if (session !== state.session) return false;
    sessionStorage.removeItem(TOKEN_KEY);
    if (e instanceof ApiError && e.httpStatus === 401) {
      showLogin(token
        ? `The server rejected this token (${e.text}).`
        : `The server requires a token (${e.text}).`);
    } else if (e instanceof ApiError && e.httpStatus === 403) {
      showLogin(`This token lacks the admin permission the dashboard needs (${e.text}).`);
    } else {
      showLogin(`Could not sign in: ${errorText(e)}`);
    }
    return false;
  }
  if (session !== state.session) return false;
  state.token = token;
  state.refreshes = 0;
  sessionStorage.setItem(TOKEN_KEY, token);
  loginView.hidden = true;
  showMessage(loginError, '');
  app.hidden = false;
  $('#nav').hidden = false;
  $('#session').hidden = false;
  chart.clear();
  try {
    await applyRefresh(stats, null);
  } catch (e) {
    if (e instanceof SessionEnded) return false;
    setStatus(`Refresh failed at ${fmtClock(new Date())}: ${errorText(e)}`, true);
  }
  loadUsers();
  schedule();
  return true;
}

function logout(message) {
  state.session++;
  state.token = null;
  clearTimeout(state.timer);
  sessionStorage.removeItem(TOKEN_KEY);
  clearData();
  showLogin(message || '');
}

// Removes every server value from the page.
function clearData() {
  for (const id of ['#exchanges-body', '#queues-body', '#consumers-body', '#users-body']) {
    $(id).replaceChildren();
  }
  for (const id of ['#tile-exchanges', '#tile-queues', '#tile-consumers', '#tile-in', '#tile-out', '#tile-auth']) {
    $(id).textContent = '\u2013';
  }
  $('#queue-exchange').replaceChildren();
  $('#token-user').replaceChildren();
  hideToken();
  for (const el of document.querySelectorAll('.form-error, .form-ok')) showMessage(el, '');
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
  state.exchanges = [];
  state.queueSpecs = new Map();
  state.users = [];
  setStatus('', false);
  chart.clear();
}

loginForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const button = loginForm.querySelector('button[type=submit]');
  button.disabled = true;
  showMessage(loginError, '');
  try {
    await login($('#login-token').value.trim());
  } finally {
    button.disabled = false;
  }
});

$('#logout').addEventListener('click', () => logout('You are logged out.'));

// ---- Polling ----------------------------------------------------------------

function schedule() {
  clearTimeout(state.timer);
  const session = state.session;
  state.timer = setTimeout(() => {
    if (session === state.session) refresh();
  }, REFRESH_MS);
}

async function refresh() {
  const session = state.session;
  const seq = ++state.started;
  try {
    const [stats, queues] = await Promise.all([api('GetStats', {}), api('ListQueues', {})]);
    if (seq < state.shown) return; // a later refresh (after a form) already showed newer data
    state.shown = seq;
    await applyRefresh(stats, queues);
    state.refreshes++;
    if (state.refreshes % USERS_EVERY === 0) loadUsers();
  } catch (e) {
    if (e instanceof SessionEnded) return;
    if (e instanceof ApiError && e.httpStatus === 403) {
      logout(`This token lacks the admin permission the dashboard needs (${e.text}).`);
      return;
    }
    setStatus(`Refresh failed at ${fmtClock(new Date())}: ${errorText(e)}`, true);
  }
  if (session === state.session) schedule();
}

function setStatus(text, isError) {
  const el = $('#refresh-status');
  el.textContent = text;
  el.classList.toggle('error', !!isError);
}

// Renders one GetStats answer; `queues` (ListQueues) may be null, then the
// bindings are fetched first.
async function applyRefresh(stats, queues) {
  if (!queues) queues = await api('ListQueues', {});
  state.queueSpecs = new Map((queues.queues || []).map((q) => [q.name, q]));
  state.exchanges = stats.exchanges || [];
  const queueStats = stats.queues || [];
  const consumers = queueStats.flatMap((q) => q.consumers || [])
    .sort((a, b) => (a.queue === b.queue ? cmp(a.name, b.name) : cmp(a.queue, b.queue)));

  renderExchanges(state.exchanges);
  renderQueues(queueStats);
  renderConsumers(consumers);
  updateExchangeSelect();

  const rateIn = state.exchanges.reduce((s, e) => s + (Number(e.eventsIn?.perSec10s) || 0), 0);
  const rateOut = queueStats.reduce((s, q) => s + (Number(q.eventsOut?.perSec10s) || 0), 0);
  const active = consumers.filter((c) => stateName(c.state) === 'ACTIVE').length;
  $('#tile-exchanges').textContent = fmtCount(state.exchanges.length);
  $('#tile-queues').textContent = fmtCount(queueStats.length);
  $('#tile-consumers').textContent = `${active} / ${consumers.length - active}`;
  $('#tile-in').textContent = fmtRate(rateIn);
  $('#tile-out').textContent = fmtRate(rateOut);
  $('#tile-auth').textContent = fmtCount(stats.authFailures);
  chart.add(Date.now(), rateIn, rateOut);
  setStatus(`Updated ${fmtClock(new Date())} \u00b7 every ${REFRESH_MS / 1000} s`, false);
}

function cmp(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- Tables -----------------------------------------------------------------

function cells(tr, n, classes = []) {
  for (let i = 0; i < n; i++) tr.append(h('td', { class: classes[i] || undefined }));
  return tr.cells;
}

function renderExchanges(exchanges) {
  syncRows($('#exchanges-body'), exchanges, {
    columns: 6,
    empty: 'No exchanges yet. Create one with the form, the CLI or the gRPC API.',
    key: (e) => e.name,
    create: (e) => {
      const tr = h('tr', { dataset: { testid: 'exchange-row', name: e.name } });
      cells(tr, 6, ['name', '', 'num', 'num', 'num', 'num']);
      return tr;
    },
    update: (tr, e) => {
      const c = tr.cells;
      setCell(c[0], e.name);
      c[0].dataset.col = 'name';
      c[1].replaceChildren(h('span', { class: `kind kind-${kindName(e.kind)}`, text: kindName(e.kind) }));
      c[1].dataset.col = 'kind';
      c[1].dataset.value = kindName(e.kind);
      setCell(c[2], fmtCount(e.headOffset), e.headOffset);
      c[2].dataset.col = 'head';
      setCell(c[3], fmtRate(e.eventsIn?.perSec10s), e.eventsIn?.perSec10s ?? 0);
      c[3].dataset.col = 'in10s';
      setCell(c[4], fmtRate(e.eventsIn?.perSec1m), e.eventsIn?.perSec1m ?? 0);
      c[4].dataset.col = 'in1m';
      setCell(c[5], fmtCount(e.eventsIn?.total), e.eventsIn?.total ?? '');
      c[5].dataset.col = 'total';
    },
  });
}

function fillClass(p) {
  return p >= 90 ? 'fill-high' : p >= 70 ? 'fill-mid' : 'fill-low';
}

function renderQueues(queues) {
  syncRows($('#queues-body'), queues, {
    columns: 7,
    empty: 'No queues yet. A queue is a filtered view of one exchange.',
    key: (q) => q.name,
    create: (q) => {
      const tr = h('tr', { dataset: { testid: 'queue-row', name: q.name } });
      cells(tr, 7, ['name', '', 'bindings', 'num', 'num', 'fill', 'num']);
      const bar = h('span', { class: 'bar' }, h('span', { class: 'bar-fill' }));
      tr.cells[5].append(bar, h('span', { class: 'bar-label' }));
      return tr;
    },
    update: (tr, q) => {
      const c = tr.cells;
      const spec = state.queueSpecs.get(q.name);
      setCell(c[0], q.name);
      c[0].dataset.col = 'name';
      setCell(c[1], q.exchange);
      c[1].dataset.col = 'exchange';
      const bindings = spec?.bindings || [];
      const shown = bindings.length ? bindings.join(', ') : (spec ? 'all events' : '\u2026');
      if (c[2].dataset.value !== bindings.join(' ') || c[2].textContent !== shown) {
        c[2].replaceChildren(...(bindings.length
          ? bindings.map((b) => h('code', { class: 'binding', text: b }))
          : [h('span', { class: 'muted', text: shown })]));
      }
      c[2].dataset.col = 'bindings';
      c[2].dataset.value = bindings.join(' ');
      setCell(c[3], fmtRate(q.eventsOut?.perSec10s), q.eventsOut?.perSec10s ?? 0);
      c[3].dataset.col = 'out10s';
      setCell(c[4], fmtRate(q.eventsOut?.perSec1m), q.eventsOut?.perSec1m ?? 0);
      c[4].dataset.col = 'out1m';
      const pct = Math.max(0, Math.min(100, Number(q.fillPercent) || 0));
      const fill = c[5].querySelector('.bar-fill');
      fill.style.width = `${pct}%`;
      fill.className = `bar-fill ${fillClass(pct)}`;
      c[5].querySelector('.bar-label').textContent = fmtPercent(q.fillPercent);
      c[5].dataset.col = 'fill';
      c[5].dataset.value = String(q.fillPercent ?? 0);
      setCell(c[6], `${fmtCount(q.buffered)} / ${fmtCount(q.limitSize)}`, `${q.buffered ?? 0}/${q.limitSize ?? 0}`);
      c[6].dataset.col = 'buffer';
    },
  });
}

function renderConsumers(consumers) {
  const now = Date.now();
  syncRows($('#consumers-body'), consumers, {
    columns: 7,
    empty: 'No consumers yet. They appear when a subscriber first attaches to a queue.',
    key: (c) => `${c.queue}\u0000${c.name}`,
    create: (c) => {
      const tr = h('tr', { dataset: { testid: 'consumer-row', queue: c.queue, name: c.name } });
      cells(tr, 7, ['', 'name', '', 'num', 'num', '', 'actions']);
      const seek = h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'consumer-seek' }, text: 'Seek\u2026' });
      const del = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', dataset: { testid: 'consumer-delete' }, text: 'Delete' });
      seek.addEventListener('click', () => openSeek(tr.consumer));
      del.addEventListener('click', () => confirmDeleteConsumer(tr.consumer));
      tr.cells[6].append(seek, ' ', del);
      return tr;
    },
    update: (tr, c) => {
      tr.consumer = c;
      const cs = tr.cells;
      const st = stateName(c.state);
      setCell(cs[0], c.queue);
      cs[0].dataset.col = 'queue';
      setCell(cs[1], c.name);
      cs[1].dataset.col = 'name';
      let badge = cs[2].firstElementChild;
      if (!badge) {
        badge = h('span', { dataset: { testid: 'consumer-state' } });
        cs[2].append(badge);
      }
      badge.className = `badge badge-${st.toLowerCase()}`;
      if (badge.textContent !== st) badge.textContent = st;
      cs[2].dataset.col = 'state';
      cs[2].dataset.value = st;
      setCell(cs[3], fmtCount(c.committedOffset), c.committedOffset ?? '0');
      cs[3].dataset.col = 'committed';
      setCell(cs[4], fmtCount(c.lag), c.lag ?? '0');
      cs[4].dataset.col = 'lag';
      cs[4].classList.toggle('lagging', toBig(c.lag) > 0n);
      setCell(cs[5], fmtRelative(c.lastActiveAt, now), c.lastActiveAt || '', fmtDateTime(c.lastActiveAt));
      cs[5].dataset.col = 'last-active';
      const seek = cs[6].querySelector('[data-testid=consumer-seek]');
      seek.disabled = st === 'ACTIVE';
      seek.title = st === 'ACTIVE' ? 'Only a SLEEPING consumer can be moved: end its stream first' : 'Move this consumer to an offset or a time';
    },
  });
}

function updateExchangeSelect() {
  const select = $('#queue-exchange');
  const current = select.value;
  const names = state.exchanges.map((e) => e.name);
  const have = Array.from(select.options).filter((o) => o.value).map((o) => o.value);
  if (have.join('\u0000') !== names.join('\u0000')) {
    const options = state.exchanges.map((e) => h('option', { value: e.name, text: `${e.name} (${kindName(e.kind)})` }));
    if (!names.length) options.unshift(h('option', { value: '', text: 'no exchanges yet', disabled: true }));
    select.replaceChildren(...options);
    if (names.includes(current)) select.value = current;
    else if (!names.length) select.value = '';
  }
  updateBindingsHint();
}

function updateBindingsHint() {
  const name = $('#queue-exchange').value;
  const ex = state.exchanges.find((e) => e.name === name);
  const kind = ex ? kindName(ex.kind) : '';
  const input = $('#queue-bindings');
  const hint = $('#queue-bindings-hint');
  input.disabled = kind === 'fanout';
  if (kind === 'fanout') {
    input.value = '';
    hint.textContent = 'A fanout queue gets every event: no bindings.';
  } else if (kind === 'direct') {
    hint.textContent = 'Event types, e.g. order.created; separate with spaces or commas.';
  } else if (kind === 'topic') {
    hint.textContent = 'Patterns: * one word, # zero or more, e.g. order.* payment.#; separate with spaces or commas.';
  } else {
    hint.textContent = 'Separate with spaces or commas.';
  }
}
$('#queue-exchange').addEventListener('change', updateBindingsHint);

// ---- Forms ------------------------------------------------------------------

// Runs `action(form)` on submit: the button is disabled meanwhile, an error
// (the server's status and message) goes to the form's .form-error, and the
// text `action` returns to its .form-ok.
function bindForm(form, action) {
  const errorEl = form.querySelector('.form-error');
  const okEl = form.querySelector('.form-ok');
  // An old message goes once the form is edited.
  form.addEventListener('input', () => {
    showMessage(errorEl, '');
    if (okEl) showMessage(okEl, '');
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    showMessage(errorEl, '');
    if (okEl) showMessage(okEl, '');
    try {
      const done = await action(form);
      if (okEl && done) {
        showMessage(okEl, done);
        setTimeout(() => { if (okEl.textContent === done) showMessage(okEl, ''); }, 10000);
      }
    } catch (e) {
      if (!(e instanceof SessionEnded)) showMessage(errorEl, errorText(e));
    } finally {
      button.disabled = false;
    }
  });
}

// An immediate refresh after a change, instead of waiting up to 2 s.
function refreshSoon() {
  clearTimeout(state.timer);
  refresh();
}

bindForm($('#exchange-form'), async (form) => {
  const name = form.elements.name.value.trim();
  const ex = await api('CreateExchange', { name, kind: form.elements.kind.value });
  form.elements.name.value = '';
  refreshSoon();
  return `Exchange ${ex.name} (${kindName(ex.kind)}) is ready.`;
});

bindForm($('#queue-form'), async (form) => {
  const body = {
    name: form.elements.name.value.trim(),
    exchange: form.elements.exchange.value,
    bindings: splitList(form.elements.bindings.value),
    fromEarliest: form.elements.fromEarliest.checked,
  };
  const limit = form.elements.limitSize.value.trim();
  if (limit) body.limitSize = Number(limit);
  const q = await api('CreateQueue', body);
  form.elements.name.value = '';
  form.elements.bindings.value = '';
  form.elements.limitSize.value = '';
  form.elements.fromEarliest.checked = false;
  refreshSoon();
  const bound = (q.bindings || []).length ? ` bound to ${q.bindings.join(', ')}` : '';
  return `Queue ${q.name} on ${q.exchange}${bound} is ready.`;
});

// ---- Dialogs: seek and confirm -----------------------------------------------

for (const d of document.querySelectorAll('dialog')) {
  for (const b of d.querySelectorAll('[data-close]')) b.addEventListener('click', () => d.close());
}

const seekDialog = $('#seek-dialog');
const seekForm = $('#seek-form');
let seekTarget = null;

function openSeek(consumer) {
  seekTarget = consumer;
  $('#seek-target').textContent = `${consumer.queue} / ${consumer.name}`;
  showMessage(seekForm.querySelector('.form-error'), '');
  seekForm.elements.offset.value = '';
  seekForm.elements.time.value = '';
  seekForm.elements.by.value = 'offset';
  seekDialog.showModal();
  seekForm.elements.offset.focus();
}

// Typing in one of the inputs selects its radio button.
seekForm.elements.offset.addEventListener('input', () => { seekForm.elements.by.value = 'offset'; });
seekForm.elements.time.addEventListener('input', () => { seekForm.elements.by.value = 'time'; });

bindForm(seekForm, async (form) => {
  const body = { queue: seekTarget.queue, name: seekTarget.name };
  if (form.elements.by.value === 'time') {
    const local = form.elements.time.value;
    const t = local ? new Date(local) : null;
    if (!t || Number.isNaN(t.getTime())) throw new Error('Enter a date and time to seek to.');
    body.time = t.toISOString();
  } else {
    const offset = form.elements.offset.value.trim();
    if (!/^\d+$/.test(offset)) throw new Error('Enter an offset (a whole number, 1 or more).');
    body.offset = offset; // uint64 as a string: exact beyond 2^53
  }
  await api('SeekConsumer', body);
  seekDialog.close();
  refreshSoon();
  return '';
});

const confirmDialog = $('#confirm-dialog');
const confirmForm = $('#confirm-form');
let confirmAction = null;

// Asks before `action` runs; its errors stay in the dialog.
function confirmThen(title, text, okLabel, action) {
  confirmAction = action;
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = okLabel;
  showMessage(confirmForm.querySelector('.form-error'), '');
  confirmDialog.showModal();
  confirmForm.querySelector('[data-close]').focus();
}

bindForm(confirmForm, async () => {
  await confirmAction();
  confirmDialog.close();
  return '';
});

function confirmDeleteConsumer(c) {
  confirmThen(`Delete consumer ${c.queue} / ${c.name}?`,
    'Its committed offset is lost; a subscriber using this name starts again at the beginning of the queue. An open stream of it ends.',
    'Delete consumer',
    async () => {
      await api('DeleteConsumer', { queue: c.queue, name: c.name });
      refreshSoon();
    });
}

// ---- Users and tokens -------------------------------------------------------

async function loadUsers() {
  const errorEl = $('#users-error');
  try {
    const res = await api('ListUsers', {});
    state.users = res.users || [];
    showMessage(errorEl, '');
    renderUsers(state.users);
  } catch (e) {
    if (e instanceof SessionEnded) return;
    showMessage(errorEl, `Users could not be listed: ${errorText(e)}`);
  }
}

function renderUsers(users) {
  syncRows($('#users-body'), users, {
    columns: 5,
    empty: 'No users yet.',
    key: (u) => u.name,
    create: (u) => {
      const tr = h('tr', { dataset: { testid: 'user-row', name: u.name } });
      cells(tr, 5, ['name', '', 'tokens', '', 'actions']);
      const issue = h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'user-issue-token' }, text: 'Issue token' });
      const del = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', dataset: { testid: 'user-delete' }, text: 'Delete' });
      issue.addEventListener('click', () => {
        $('#token-user').value = tr.user.name;
        $('#token-description').focus();
      });
      del.addEventListener('click', () => confirmDeleteUser(tr.user));
      tr.cells[4].append(issue, ' ', del);
      return tr;
    },
    update: (tr, u) => {
      tr.user = u;
      const c = tr.cells;
      setCell(c[0], u.name);
      const perms = u.permissions || [];
      c[1].replaceChildren(...(perms.length
        ? perms.map((p) => h('span', { class: `perm perm-${permissionText(p).split(' ')[0]}`, text: permissionText(p) }))
        : [h('span', { class: 'muted', text: 'none' })]));
      c[1].dataset.value = perms.map(permissionText).join('; ');
      const tokens = u.tokens || [];
      c[2].replaceChildren(...(tokens.length
        ? tokens.map((t) => {
          const revoke = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', dataset: { testid: 'token-revoke', tokenId: t.id }, text: 'Revoke' });
          revoke.addEventListener('click', () => confirmRevokeToken(u.name, t));
          return h('div', { class: 'token-item', dataset: { testid: 'token-item', tokenId: t.id } },
            h('code', { text: t.id, title: `created ${fmtDateTime(t.createdAt)}` }),
            t.description ? h('span', { class: 'muted', text: ` ${t.description} ` }) : ' ',
            revoke);
        })
        : [h('span', { class: 'muted', text: 'none' })]));
      c[2].dataset.value = tokens.map((t) => t.id).join(' ');
      setCell(c[3], fmtDateTime(u.createdAt));
    },
  });
  const select = $('#token-user');
  const current = select.value;
  select.replaceChildren(...users.map((u) => h('option', { value: u.name, text: u.name })));
  if (users.some((u) => u.name === current)) select.value = current;
}

bindForm($('#user-form'), async (form) => {
  const name = form.elements.name.value.trim();
  const permissions = parsePermissions(form.elements.permissions.value);
  const u = await api('CreateUser', { name, permissions });
  form.elements.name.value = '';
  form.elements.permissions.value = '';
  await loadUsers();
  $('#token-user').value = u.name;
  const perms = (u.permissions || []).map(permissionText).join(', ') || 'no permissions';
  return `User ${u.name} created (${perms}). Issue a token for it below.`;
});

bindForm($('#token-form'), async (form) => {
  const user = form.elements.user.value;
  if (!user) throw new Error('Choose a user (create one first).');
  const res = await api('IssueToken', { user, description: form.elements.description.value.trim() });
  form.elements.description.value = '';
  showToken(res);
  await loadUsers();
  return '';
});

function showToken(res) {
  $('#token-reveal-user').textContent = res.user;
  $('#issued-token').textContent = res.token;
  $('#token-reveal-id').textContent = res.info?.id ? `Token id ${res.info.id} (listed under the user; use it to revoke the token).` : '';
  $('#copy-token').textContent = 'Copy';
  const panel = $('#token-reveal');
  panel.hidden = false;
  panel.scrollIntoView({ block: 'nearest' });
}

function hideToken() {
  $('#issued-token').textContent = '';
  $('#token-reveal-user').textContent = '';
  $('#token-reveal-id').textContent = '';
  $('#token-reveal').hidden = true;
}

$('#dismiss-token').addEventListener('click', hideToken);
$('#copy-token').addEventListener('click', async () => {
  const text = $('#issued-token').textContent;
  const button = $('#copy-token');
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch (_) {
    // No clipboard access (e.g. plain http on another host): select it so
    // Ctrl+C copies it.
    const range = document.createRange();
    range.selectNodeContents($('#issued-token'));
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    button.textContent = 'Selected: press Ctrl+C';
  }
});

function confirmRevokeToken(user, t) {
  confirmThen(`Revoke token ${t.id}?`,
    `Calls with this token of ${user} are refused from now on; its open streams end.`,
    'Revoke token',
    async () => {
      await api('RevokeToken', { id: t.id });
      await loadUsers();
    });
}

function confirmDeleteUser(u) {
  confirmThen(`Delete user ${u.name}?`,
    'Its tokens stop working at once and its open streams end.',
    'Delete user',
    async () => {
      await api('DeleteUser', { name: u.name });
      await loadUsers();
    });
}

// ---- Start: with a token from earlier in this tab, try it --------------------

const stored = sessionStorage.getItem(TOKEN_KEY);
if (stored !== null) {
  login(stored);
} else {
  showLogin('');
}
