// Browser test of the dashboard, run by dashboard_browser_test.sh against a
// real evrouterd. Headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core. Every wait polls with a deadline; nothing sleeps as an
// assertion.
//
// Environment (all required):
//   EVR_DASH_URL         the dashboard, e.g. http://127.0.0.1:PORT/
//   EVR_ADMIN_TOKEN      the server's admin token
//   EVR_CLI              path of the `evrouter` CLI
//   EVR_GRPC_ADDR        host:port of the gRPC listener
//   EVR_EXCHANGE         a topic exchange the script created over gRPC
//   EVR_NODE_MODULES     the node_modules folder holding playwright-core
//   EVR_SCREENSHOT_DIR   where the screenshots go
//   EVR_CHROMIUM         the browser (default /usr/bin/chromium)

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) fail(`${name} is not set`);
  return v;
};

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

const URL_ = env('EVR_DASH_URL');
const ADMIN_TOKEN = env('EVR_ADMIN_TOKEN');
const CLI = env('EVR_CLI');
const GRPC_ADDR = env('EVR_GRPC_ADDR');
const EXCHANGE = env('EVR_EXCHANGE');
const NODE_MODULES = env('EVR_NODE_MODULES');
const SHOT_DIR = env('EVR_SCREENSHOT_DIR');
const CHROMIUM = process.env.EVR_CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 20000;

const pwDir = path.join(NODE_MODULES, 'playwright-core');
if (!existsSync(pwDir)) fail(`playwright-core is not installed in ${NODE_MODULES} (run scripts/deps.sh)`);
if (!existsSync(CHROMIUM)) fail(`no Chromium at ${CHROMIUM} (run scripts/deps.sh: Debian package chromium)`);
const { chromium } = createRequire(import.meta.url)(pwDir);

// ---- helpers ------------------------------------------------------------------

let step = 'start';
function log(message) {
  step = message;
  console.log(`-- ${message}`);
}

// Polls `probe` (async; returns a value) until `ok(value)` holds or the
// deadline passes; the error names what was wanted and the last value.
async function waitFor(what, probe, ok = Boolean, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (e) {
      last = `error: ${e.message}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

// Runs the CLI to completion: {code, stdout, stderr}.
function cli(args, { token = ADMIN_TOKEN, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, ['--server', GRPC_ADDR, ...args], {
      env: { ...process.env, EVROUTER_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? `signal ${signal}`, stdout, stderr });
    });
  });
}

async function cliOk(args, opts) {
  const r = await cli(args, opts);
  if (r.code !== 0) throw new Error(`evrouter ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

const jsonLines = (text) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

// Processes this script started; stopped if it ends early.
const children = new Set();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));

// ---- the test -------------------------------------------------------------------

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const problems = []; // CSP violations and uncaught page errors
function watch(page) {
  page.on('console', (m) => {
    const text = m.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(`console: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`unexpected native dialog: ${d.message()}`);
    d.dismiss();
  });
}

try {
  mkdirSync(SHOT_DIR, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  watch(page);
  const row = (kind, name) => page.locator(`[data-testid=${kind}-row][data-name="${name}"]`);
  const cell = (kind, name, col) => row(kind, name).locator(`td[data-col=${col}]`);
  const consumerRow = (queue, name) => page.locator(`[data-testid=consumer-row][data-queue="${queue}"][data-name="${name}"]`);
  const consumerCell = (queue, name, col) => consumerRow(queue, name).locator(`td[data-col=${col}]`);
  // Submits a form by its button and waits for its OK message; a shown
  // error fails at once with the server's words.
  const submit = async (name) => {
    await page.getByTestId(`${name}-submit`).click();
    const ok = page.getByTestId(`${name}-form-ok`);
    const err = page.getByTestId(`${name}-form-error`);
    await page.locator(`[data-testid=${name}-form-ok]:visible, [data-testid=${name}-form-error]:visible`).first().waitFor();
    if (await err.isVisible()) throw new Error(`the ${name} form shows an error: ${await err.textContent()}`);
  };
  const attr = async (loc, name) => ((await loc.count()) ? loc.first().getAttribute(name) : null);
  const text = async (loc) => ((await loc.count()) ? (await loc.first().textContent()).trim() : null);

  log('the page and its API answer as the contract says');
  const response = await page.goto(URL_);
  check(response.ok(), `GET ${URL_}: HTTP ${response.status()}`);
  const csp = response.headers()['content-security-policy'] || '';
  check(csp.includes("default-src 'self'"), `GET / lacks the Content-Security-Policy header (got "${csp}")`);
  const apiUrl = new URL('api/v1/GetStats', URL_).href;
  let r = await fetch(apiUrl, { method: 'POST', body: '{}' });
  let body = await r.json();
  check(r.status === 401 && body.status === 'UNAUTHENTICATED' && body.code === 16,
    `GetStats without a token: HTTP ${r.status} ${JSON.stringify(body)}, want 401 UNAUTHENTICATED`);
  r = await fetch(new URL('api/v1/NoSuchMethod', URL_), {
    method: 'POST', body: '{}', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  body = await r.json().catch(() => null);
  check(r.status === 404 && body?.status === 'NOT_FOUND', `unknown method: HTTP ${r.status} ${JSON.stringify(body)}, want 404 NOT_FOUND`);

  log('a wrong token shows an error and no data');
  await page.getByTestId('login-form').waitFor({ state: 'visible' });
  await page.getByTestId('login-token').fill('evr_000000000000_not-a-real-token-not-a-real-token-xx');
  await page.getByTestId('login-submit').click();
  const loginError = page.getByTestId('login-error');
  await loginError.waitFor({ state: 'visible' });
  const errText = await loginError.textContent();
  check(/UNAUTHENTICATED/.test(errText), `login error "${errText}" does not name UNAUTHENTICATED`);
  check(!(await page.getByTestId('app').isVisible()), 'the dashboard is visible after a wrong token');
  const rowsAfterBadLogin = await page.locator('[data-testid$=-row]').count();
  check(rowsAfterBadLogin === 0, `${rowsAfterBadLogin} data rows on the page after a wrong token`);
  check(await page.evaluate(() => sessionStorage.length === 0), 'a rejected token was kept in sessionStorage');
  await page.screenshot({ path: path.join(SHOT_DIR, 'dashboard-login-error.png') });

  log('log in with the admin token; the exchange created over gRPC is listed');
  await page.getByTestId('login-token').fill(ADMIN_TOKEN);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('app').waitFor({ state: 'visible' });
  await row('exchange', EXCHANGE).waitFor({ state: 'visible' });
  check((await attr(cell('exchange', EXCHANGE, 'kind'), 'data-value')) === 'topic', 'the exchange is not shown as topic');
  check(await page.evaluate(() => sessionStorage.length === 1 && localStorage.length === 0),
    'the token is not (only) in sessionStorage');
  check((await context.cookies()).length === 0, 'the dashboard set a cookie');

  log('an exchange created over gRPC while the page is open appears (2 s refresh)');
  const fanout = `${EXCHANGE}.fanout`;
  await cliOk(['exchange', 'create', fanout, '--kind', 'fanout']);
  await waitFor(`exchange ${fanout} in the table`, () => row('exchange', fanout).count(), (n) => n === 1);
  await waitFor('the refresh status', () => text(page.getByTestId('refresh-status')), (t) => /^Updated /.test(t || ''));

  log('create an exchange through the form');
  const direct = 'dash.audit';
  await page.getByTestId('exchange-name').fill(direct);
  await page.getByTestId('exchange-kind').selectOption('EXCHANGE_KIND_DIRECT');
  await submit('exchange');
  await row('exchange', direct).waitFor({ state: 'visible' });
  const ex = JSON.parse(await cliOk(['--json', 'exchange', 'get', direct]));
  check(ex.kind === 'EXCHANGE_KIND_DIRECT', `exchange ${direct} over gRPC: ${JSON.stringify(ex)}`);
  log('create a queue with two bindings through the form');
  const queue = 'billing';
  await page.getByTestId('queue-name').fill(queue);
  await page.getByTestId('queue-exchange').selectOption(EXCHANGE);
  await page.getByTestId('queue-bindings').fill('order.*, payment.#');
  await submit('queue');
  await row('queue', queue).waitFor({ state: 'visible' });
  await waitFor('the queue bindings in the table', () => attr(cell('queue', queue, 'bindings'), 'data-value'),
    (v) => v === 'order.* payment.#');
  check((await text(cell('queue', queue, 'exchange'))) === EXCHANGE, 'the queue row names another exchange');
  const q = JSON.parse(await cliOk(['--json', 'queue', 'get', queue]));
  check(q.exchange === EXCHANGE && JSON.stringify(q.bindings) === '["order.*","payment.#"]',
    `queue over gRPC: ${JSON.stringify(q)}`);

  log('a subscriber attaches: the consumer is ACTIVE and gets the published events');
  const consumer = 'dash-svc';
  const sub = spawn(CLI, ['--server', GRPC_ADDR, 'subscribe', queue, '--consumer', consumer], {
    env: { ...process.env, EVROUTER_TOKEN: ADMIN_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(sub);
  let subOut = '';
  let subErr = '';
  sub.stdout.on('data', (d) => { subOut += d; });
  sub.stderr.on('data', (d) => { subErr += d; });
  const subExit = new Promise((resolve) => sub.on('close', (code, signal) => {
    children.delete(sub);
    resolve(code ?? `signal ${signal}`);
  }));
  await waitFor(`consumer ${queue}/${consumer} ACTIVE`, () => attr(consumerCell(queue, consumer, 'state'), 'data-value'),
    (v) => v === 'ACTIVE');
  check(await consumerRow(queue, consumer).getByTestId('consumer-seek').isDisabled(), 'Seek is enabled for an ACTIVE consumer');
  await cliOk(['publish', EXCHANGE, '--type', 'order.created', '{"n":1}', '{"n":2}', '{"n":3}']);
  await cliOk(['publish', EXCHANGE, '--type', 'payment.captured.card', '{"n":4}']);
  await waitFor('the subscriber printing 4 events', () => subOut.split('\n').filter((l) => l.startsWith('offset=')).length,
    (n) => n === 4);
  await waitFor('committed offset 4 in the table', () => attr(consumerCell(queue, consumer, 'committed'), 'data-value'),
    (v) => v === '4');
  await waitFor('head offset 4 in the table', () => attr(cell('exchange', EXCHANGE, 'head'), 'data-value'), (v) => v === '4');
  await waitFor('a rate in on the chart', () => attr(page.getByTestId('rate-chart'), 'data-peak-in'), (v) => Number(v) > 0);
  await waitFor('a rate out on the chart', () => attr(page.getByTestId('rate-chart'), 'data-peak-out'), (v) => Number(v) > 0);

  log('the subscriber ends (SIGTERM): the consumer is SLEEPING');
  check(sub.kill('SIGTERM'), 'could not signal the subscriber');
  const code = await Promise.race([subExit, new Promise((r) => setTimeout(() => r('still running after 20 s'), WAIT_MS))]);
  check(code === 0, `the subscriber ended with ${code}: ${subErr.trim()}`);
  await waitFor(`consumer ${queue}/${consumer} SLEEPING`, () => text(consumerCell(queue, consumer, 'state')),
    (v) => v === 'SLEEPING');
  check((await attr(consumerCell(queue, consumer, 'lag'), 'data-value')) === '0', 'the consumer shows lag after acking all');
  check((await text(consumerCell(queue, consumer, 'last-active'))) !== 'never', 'last active is "never"');
  await waitFor('a few chart samples', () => attr(page.getByTestId('rate-chart'), 'data-samples'), (v) => Number(v) >= 3);
  const shot = path.join(SHOT_DIR, 'dashboard.png');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: shot, fullPage: true });

  log('a conflicting exchange from the form shows the server error next to the form');
  await page.getByTestId('exchange-name').fill(EXCHANGE);
  await page.getByTestId('exchange-kind').selectOption('EXCHANGE_KIND_FANOUT');
  await page.getByTestId('exchange-submit').click();
  const exErr = page.getByTestId('exchange-form-error');
  await exErr.waitFor({ state: 'visible' });
  check(/^ALREADY_EXISTS: ./.test(await exErr.textContent()), `exchange form error: "${await exErr.textContent()}"`);

  log('a queue without bindings on a topic exchange shows the server error');
  await page.getByTestId('queue-name').fill('no-bindings');
  await page.getByTestId('queue-exchange').selectOption(EXCHANGE);
  await page.getByTestId('queue-submit').click();
  const qErr = page.getByTestId('queue-form-error');
  await qErr.waitFor({ state: 'visible' });
  check(/^INVALID_ARGUMENT: ./.test(await qErr.textContent()), `queue form error: "${await qErr.textContent()}"`);
  check((await row('queue', 'no-bindings').count()) === 0, 'a refused queue is listed');

  log('seek the consumer back to offset 1 through the dialog');
  await consumerRow(queue, consumer).getByTestId('consumer-seek').click();
  await page.getByTestId('seek-dialog').waitFor({ state: 'visible' });
  await page.getByTestId('seek-offset').fill('1');
  await page.getByTestId('seek-submit').click();
  await page.getByTestId('seek-dialog').waitFor({ state: 'hidden' });
  await waitFor('committed offset 0 in the table', () => attr(consumerCell(queue, consumer, 'committed'), 'data-value'),
    (v) => v === '0');
  const listed = jsonLines(await cliOk(['--json', 'consumer', 'list', '--queue', queue]));
  check(listed.length === 1 && listed[0].committed_offset === '0', `consumers over gRPC after the seek: ${JSON.stringify(listed)}`);

  log('create a user with a publish permission and issue a token; a non-admin token cannot log in');
  await page.getByTestId('user-name').fill('dash-publisher');
  await page.getByTestId('user-permissions').fill(`publish ${EXCHANGE}\nsubscribe ${queue}`);
  await submit('user');
  await row('user', 'dash-publisher').waitFor({ state: 'visible' });
  await page.getByTestId('token-user').selectOption('dash-publisher');
  await page.getByTestId('token-description').fill('browser test');
  await page.getByTestId('token-submit').click();
  await page.locator('[data-testid=token-reveal]:visible, [data-testid=token-form-error]:visible').first().waitFor();
  check(await page.getByTestId('token-reveal').isVisible(),
    `the token form shows an error: ${await page.getByTestId('token-form-error').textContent()}`);
  const issued = (await page.getByTestId('issued-token').textContent()).trim();
  check(/^evr_[^_]+_.+/.test(issued), `issued token looks wrong: "${issued}"`);
  const tokenId = issued.split('_')[1];
  await waitFor('the token id under the user', () => attr(row('user', 'dash-publisher').locator('[data-testid=token-item]'), 'data-token-id'),
    (v) => v === tokenId);
  await cliOk(['publish', EXCHANGE, '--type', 'order.paid', '{"n":5}'], { token: issued });
  const other = await browser.newContext();
  const page2 = await other.newPage();
  watch(page2);
  await page2.goto(URL_);
  await page2.getByTestId('login-token').fill(issued);
  await page2.getByTestId('login-submit').click();
  await page2.getByTestId('login-error').waitFor({ state: 'visible' });
  const denied = await page2.getByTestId('login-error').textContent();
  check(/admin permission/.test(denied) && /PERMISSION_DENIED/.test(denied), `non-admin login error: "${denied}"`);
  await other.close();
  await page.getByTestId('dismiss-token').click();
  check((await page.getByTestId('issued-token').textContent()) === '', 'the token stays on the page after Done');

  log('revoke the token through the page: the CLI can no longer use it');
  await row('user', 'dash-publisher').locator(`[data-testid=token-revoke][data-token-id="${tokenId}"]`).click();
  await page.getByTestId('confirm-dialog').waitFor({ state: 'visible' });
  await page.getByTestId('confirm-ok').click();
  await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
  await waitFor('the token gone from the user row', () => row('user', 'dash-publisher').locator('[data-testid=token-item]').count(),
    (n) => n === 0);
  const refused = await cli(['publish', EXCHANGE, '--type', 'order.paid', '{"n":6}'], { token: issued });
  check(refused.code !== 0 && /UNAUTHENTICATED/.test(refused.stderr), `publish with a revoked token: exit ${refused.code} ${refused.stderr}`);

  log('delete the consumer through the page');
  await consumerRow(queue, consumer).getByTestId('consumer-delete').click();
  await page.getByTestId('confirm-dialog').waitFor({ state: 'visible' });
  await page.getByTestId('confirm-ok').click();
  await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
  await waitFor('the consumer row gone', () => consumerRow(queue, consumer).count(), (n) => n === 0);
  const left = jsonLines(await cliOk(['--json', 'consumer', 'list', '--queue', queue]));
  check(left.length === 0, `consumers over gRPC after the delete: ${JSON.stringify(left)}`);

  log('log out: the login form again, no token kept, no data on the page');
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor({ state: 'visible' });
  check(!(await page.getByTestId('app').isVisible()), 'the dashboard is visible after logging out');
  check((await page.locator('[data-testid$=-row]').count()) === 0, 'data rows left after logging out');
  check(await page.evaluate(() => sessionStorage.length === 0), 'the token is still in sessionStorage');

  check(problems.length === 0, `the page reported problems:\n  ${problems.join('\n  ')}`);
  console.log(`screenshot: ${shot}`);
  console.log(`screenshot: ${path.join(SHOT_DIR, 'dashboard-login-error.png')}`);
  console.log('PASS');
} catch (e) {
  console.error(`FAIL at step "${step}": ${e.message}`);
  if (problems.length) console.error(`page problems:\n  ${problems.join('\n  ')}`);
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length) {
      const failShot = path.join(SHOT_DIR, 'dashboard-failure.png');
      await pages[0].screenshot({ path: failShot, fullPage: true });
      console.error(`screenshot of the failure: ${failShot}`);
    }
  } catch (_) { /* the browser may be gone */ }
  process.exitCode = 1;
} finally {
  await browser.close();
}
