// The browser-test harness: the real `efa` binary on a fresh database, the test OpenID
// provider (oidc.mjs) and one shared headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core), plus axe-core accessibility checks and console-error collection.
//
//   import { startWorld, checkA11y } from './harness.mjs';
//   const world = await startWorld({ db: 'sqlite' });      // or db: 'postgres'
//   const context = await world.newContext({ javaScriptEnabled: false });
//   const page = await context.newPage();
//   await page.goto(`${world.baseUrl}/`);
//   await checkA11y(page, 'Startseite');
//   await world.close();
//
// See README.md beside this file.

import { spawn, spawnSync, execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

import { startOidc } from './oidc.mjs';

const execFileP = promisify(execFile);

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const READY_TIMEOUT_MS = 30_000;
export const PG_SERVER_URL = process.env.EFA_BROWSER_PG_URL || 'postgres://postgres@127.0.0.1:5432/';
/** Where the shop's OIDC callback lives (registered as the client's redirect URI). */
export const CALLBACK_PATH = '/anmelden/callback';
/** Post-logout redirect targets registered for the client (exact matches). */
export const POST_LOGOUT_PATHS = ['/', '/abgemeldet'];

// ---------------------------------------------------------------------------------------
// The efa binary
// ---------------------------------------------------------------------------------------

let targetDirCache;
async function cargoTargetDir() {
  if (process.env.CARGO_TARGET_DIR) return path.resolve(REPO, process.env.CARGO_TARGET_DIR);
  if (targetDirCache) return targetDirCache;
  try {
    const { stdout } = await execFileP('cargo', ['metadata', '--format-version', '1', '--no-deps', '--offline'], {
      cwd: REPO, timeout: 15_000, maxBuffer: 64 * 1024 * 1024,
    });
    targetDirCache = JSON.parse(stdout).target_directory;
  } catch {
    targetDirCache = path.join(REPO, 'target');
  }
  return targetDirCache;
}

/** `$EFA_BIN`, else `<cargo target dir>/debug/efa`; throws with a how-to when it is missing. */
export async function efaBin() {
  const bin = process.env.EFA_BIN ? path.resolve(process.env.EFA_BIN) : path.join(await cargoTargetDir(), 'debug', 'efa');
  if (!fs.existsSync(bin)) {
    throw new Error(`the efa binary was not found at ${bin}.\nBuild it first: \`cargo build -p efa\` (in ${REPO}), or point EFA_BIN at a built binary.`);
  }
  return bin;
}

/** A loopback port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(cmd, args, options) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
}

function describe(what, out) {
  return `\`${what}\` exited with ${out.code}${out.signal ? ` (${out.signal})` : ''}\n--- stdout ---\n${out.stdout}\n--- stderr ---\n${out.stderr}`;
}

// Children and databases to clean up even when a test file dies without calling close().
const liveChildren = new Set();
const liveDatabases = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const name of liveDatabases) {
    try {
      // Synchronous on purpose: 'exit' handlers cannot wait.
      spawnSync('dropdb', pgArgs(['--if-exists', '--force', name]));
    } catch { /* best effort */ }
  }
});

function pgArgs(rest) {
  const u = new URL(PG_SERVER_URL);
  const args = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres')];
  return [...args, ...rest];
}

async function createPgDatabase() {
  const ensure = await run('bash', [path.join(REPO, 'scripts', 'ensure-postgres.sh')], { cwd: REPO });
  if (ensure.code !== 0) throw new Error(`PostgreSQL is not available:\n${ensure.stderr}`);
  const name = `efa_browser_${randomBytes(6).toString('hex')}`;
  const out = await run('createdb', pgArgs([name]), { env: { ...process.env, PGCONNECT_TIMEOUT: '10' } });
  if (out.code !== 0) throw new Error(describe(`createdb ${name}`, out));
  liveDatabases.add(name);
  const url = new URL(PG_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const dropped = await run('dropdb', pgArgs(['--if-exists', '--force', name]), {});
      liveDatabases.delete(name);
      if (dropped.code !== 0) console.error(describe(`dropdb ${name}`, dropped));
    },
  };
}

async function waitReady(child, baseUrl, logPath, timeoutMs = READY_TIMEOUT_MS) {
  const started = Date.now();
  let last = 'no answer yet';
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`\`efa serve\` (${baseUrl}) exited with ${child.exitCode ?? child.signalCode} before it was ready\n--- ${logPath} ---\n${readLog(logPath)}`);
    }
    try {
      const r = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (r.status === 200) return;
      last = `${r.status} ${await r.text()}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`\`efa serve\` (${baseUrl}) did not answer 200 on /readyz within ${timeoutMs / 1000} s; last: ${last}\n--- ${logPath} ---\n${readLog(logPath)}`);
}

function readLog(logPath) {
  try {
    const text = fs.readFileSync(logPath, 'utf8');
    return text.length > 20_000 ? `…${text.slice(-20_000)}` : text;
  } catch {
    return '';
  }
}

/**
 * Fresh temp dir and database, `efa migrate`, `efa seed`, then `efa serve` on 127.0.0.1
 * (on `port`, or a free one) configured for the OpenID provider at `oidcIssuer`.
 *
 * @param {{ oidcIssuer?: string, db?: 'sqlite' | 'postgres', port?: number, env?: Record<string, string> }} options
 * @returns {Promise<{ baseUrl: string, port: number, dir: string, databaseUrl: string, logPath: string,
 *                     log: () => string, close: () => Promise<void> }>}
 */
export async function startEfa({ oidcIssuer, db = 'sqlite', port, env: extraEnv = {} } = {}) {
  if (db !== 'sqlite' && db !== 'postgres') throw new Error(`startEfa: db must be 'sqlite' or 'postgres', not ${db}`);
  const bin = await efaBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efa-browser-'));
  const pg = db === 'postgres' ? await createPgDatabase() : null;
  const databaseUrl = pg ? pg.url : path.join(dir, 'efa.db');
  const seedDir = path.join(REPO, 'seed-data');
  const chosenPort = port ?? await freePort();
  const baseUrl = `http://127.0.0.1:${chosenPort}`;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    EFA_SEED_DIR: seedDir,
    EFA_LOG: 'warn',
    EFA_WORKERS: '2',
    EFA_BIND: `127.0.0.1:${chosenPort}`,
    EFA_PUBLIC_URL: baseUrl,
    EFA_OIDC_CLIENT_ID: 'efa-shop',
    EFA_OIDC_CLIENT_SECRET: 'efa-shop-secret',
    ...(oidcIssuer ? { EFA_OIDC_ISSUER: oidcIssuer } : {}),
    ...extraEnv,
  };
  const cleanupEarly = async () => {
    if (pg) await pg.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    let out = await run(bin, ['migrate'], { cwd: dir, env });
    if (out.code !== 0) throw new Error(describe('efa migrate', out));
    out = await run(bin, ['seed', '--dir', seedDir], { cwd: dir, env });
    if (out.code !== 0) throw new Error(describe('efa seed', out));
  } catch (e) {
    await cleanupEarly();
    throw e;
  }

  const logPath = path.join(dir, 'serve.log');
  const logFd = fs.openSync(logPath, 'a');
  const child = spawn(bin, ['serve', '--bind', `127.0.0.1:${chosenPort}`], { cwd: dir, env, stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  liveChildren.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    liveChildren.delete(child);
    if (pg) await pg.drop();
    if (!process.env.EFA_BROWSER_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(child, baseUrl, logPath);
  } catch (e) {
    await close();
    throw e;
  }
  return { baseUrl, port: chosenPort, dir, databaseUrl, logPath, log: () => readLog(logPath), close };
}

// ---------------------------------------------------------------------------------------
// Chromium
// ---------------------------------------------------------------------------------------

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these Chromium phones home at start-up; on this closed network that ends in
  // refused connections (and noise).
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Names other than the loopback ones do not resolve, so a stray external reference (the
  // provider's dev pages @import a web font) fails at once instead of waiting for a timeout.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

let browserPromise;
let browserUsers = 0;

/**
 * The one shared headless Chromium of this test process (launched on first use). Each call
 * counts as a user; `releaseBrowser()` (or `world.close()`) gives it back, and the browser
 * closes when nobody uses it any more.
 */
export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium was not found at ${CHROMIUM}; \`make browser\` installs Debian's chromium.`);
  }
  browserUsers += 1;
  browserPromise ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    return await browserPromise;
  } catch (e) {
    browserPromise = undefined;
    browserUsers -= 1;
    throw e;
  }
}

export async function releaseBrowser() {
  browserUsers = Math.max(0, browserUsers - 1);
  if (browserUsers === 0) await closeBrowser();
}

/** Closes the shared browser whoever uses it. */
export async function closeBrowser() {
  const pending = browserPromise;
  browserPromise = undefined;
  browserUsers = 0;
  if (pending) await (await pending.catch(() => null))?.close();
}

/** A fresh browser context (own cookies) on the shared browser: German locale, JS on by default. */
export async function newContext({ javaScriptEnabled = true, ...options } = {}) {
  const browser = await launchBrowser();
  const context = await browser.newContext({ javaScriptEnabled, locale: 'de-DE', timezoneId: 'Europe/Berlin', ...options });
  if (!javaScriptEnabled) jsOffContexts.add(context);
  context.on('close', () => { releaseBrowser(); });
  return context;
}

/**
 * Answers every request of `page` whose URL starts with `urlPrefix` itself, without it
 * reaching the network, and records the URLs. Unlike Playwright's page.route(), this also
 * catches requests that are the target of a redirect (an OpenID provider sending the browser
 * back to the redirect URI with the code), via the Chrome DevTools Protocol's Fetch domain.
 *   const hits = await interceptRequests(page, `${world.baseUrl}/anmelden/callback`);
 *   …; hits.urls[0]  // …/anmelden/callback?code=…&state=…
 *   await hits.stop();
 */
export async function interceptRequests(page, urlPrefix, {
  status = 200,
  contentType = 'text/html; charset=utf-8',
  body = '<!doctype html><html lang="de"><head><title>Abgefangen</title></head><body><main><h1>Abgefangen</h1></main></body></html>',
} = {}) {
  const cdp = await page.context().newCDPSession(page);
  const urls = [];
  const encoded = Buffer.from(body).toString('base64');
  cdp.on('Fetch.requestPaused', (event) => {
    urls.push(event.request.url);
    cdp.send('Fetch.fulfillRequest', {
      requestId: event.requestId,
      responseCode: status,
      responseHeaders: [{ name: 'content-type', value: contentType }, { name: 'cache-control', value: 'no-store' }],
      body: encoded,
    }).catch(() => { /* page gone */ });
  });
  // CDP patterns: '*' and '?' are wildcards, backslash escapes.
  const pattern = `${urlPrefix.replace(/[\\*?]/g, (c) => `\\${c}`)}*`;
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: pattern, requestStage: 'Request' }] });
  return {
    urls,
    async stop() {
      await cdp.send('Fetch.disable').catch(() => {});
      await cdp.detach().catch(() => {});
    },
  };
}

// ---------------------------------------------------------------------------------------
// Everything together
// ---------------------------------------------------------------------------------------

let openWorlds = 0;

/**
 * Picks efa's port, starts the OpenID provider with efa's callback as redirect URI, then
 * efa configured for that provider, and the shared browser.
 *
 * @param {{ db?: 'sqlite' | 'postgres', env?: Record<string, string> }} options
 */
export async function startWorld({ db = 'sqlite', env } = {}) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const op = await startOidc({
    redirectUris: [`${baseUrl}${CALLBACK_PATH}`],
    postLogoutRedirectUris: POST_LOGOUT_PATHS.map((p) => `${baseUrl}${p}`),
  });
  let efa;
  let browser;
  try {
    efa = await startEfa({ oidcIssuer: op.issuer, db, port, env });
    browser = await launchBrowser();
  } catch (e) {
    await efa?.close();
    await op.close();
    throw e;
  }
  openWorlds += 1;
  let closed = false;
  return {
    baseUrl,
    issuer: op.issuer,
    browser,
    efa,
    oidc: op,
    logPath: efa.logPath,
    log: efa.log,
    newContext,
    async close() {
      if (closed) return;
      closed = true;
      await efa.close();
      await op.close();
      openWorlds -= 1;
      // The last world closes the browser even if a test left a context open (an open
      // browser would keep the test process alive).
      if (openWorlds === 0) await closeBrowser(); else await releaseBrowser();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Accessibility and console checks
// ---------------------------------------------------------------------------------------

export const A11Y_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Every page checkA11y looked at in this process: { label, url, violations, javaScript }. */
export const checkedPages = [];

/**
 * Runs axe-core (WCAG 2.1 A and AA rules) on the page as it is now and throws a readable
 * list when anything is violated.
 *
 * axe needs JavaScript (its run is asynchronous), so for a page in a context with JavaScript
 * off the page's current DOM (`page.content()`) is checked in a scratch context of the same
 * browser that has JavaScript on for axe only: the document is served at the same URL with
 * `Content-Security-Policy: script-src 'none'` (none of the page's own scripts run), its
 * styles and images load from the server as usual, with the same cookies and viewport.
 */
export async function checkA11y(page, label = page.url(), { exclude = [], disableRules = [] } = {}) {
  const url = page.url();
  let target = page;
  let scratch;
  if (!(await javaScriptRuns(page))) {
    const html = await page.content();
    const browser = page.context().browser() ?? await launchBrowser();
    scratch = await browser.newContext({ javaScriptEnabled: true, locale: 'de-DE', viewport: page.viewportSize() ?? undefined });
    await scratch.addCookies(await page.context().cookies());
    await scratch.route('**/*', (route) => {
      const request = route.request();
      if (request.isNavigationRequest() && request.url() === url) {
        return route.fulfill({
          status: 200,
          headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "script-src 'none'" },
          body: html,
        });
      }
      if (request.resourceType() === 'script') return route.abort('blockedbyclient');
      return route.fallback();
    });
    target = await scratch.newPage();
    await target.goto(url, { waitUntil: 'load' });
  }
  let results;
  try {
    let builder = new AxeBuilder({ page: target }).withTags(A11Y_TAGS);
    for (const selector of exclude) builder = builder.exclude(selector);
    if (disableRules.length) builder = builder.disableRules(disableRules);
    results = await builder.analyze();
  } finally {
    await scratch?.close();
  }
  const { violations } = results;
  checkedPages.push({ label, url, violations: violations.length, javaScript: !scratch });
  if (violations.length === 0) return results;
  const lines = [`accessibility: ${violations.length} rule(s) violated on ${label} (${url}${scratch ? ', JavaScript off' : ''})`];
  for (const v of violations) {
    lines.push(`- ${v.id} [${v.impact ?? 'n/a'}] ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes.slice(0, 5)) {
      const snippet = node.html.replace(/\s+/g, ' ').slice(0, 200);
      lines.push(`    at ${node.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ')}`);
      lines.push(`       ${snippet}`);
      if (node.failureSummary) lines.push(`       ${node.failureSummary.replace(/\s*\n\s*/g, '; ')}`);
    }
    if (v.nodes.length > 5) lines.push(`    … and ${v.nodes.length - 5} more`);
  }
  throw new Error(lines.join('\n'));
}

const jsOffContexts = new WeakSet();

/** Whether the page's own JavaScript runs (a timer fires), i.e. its context has JS on. */
async function javaScriptRuns(page) {
  if (jsOffContexts.has(page.context())) return false;
  let timer;
  const probe = page.evaluate(() => new Promise((resolve) => { setTimeout(() => resolve(true), 0); })).catch(() => false);
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(false), 1_000); });
  const runs = await Promise.race([probe, timeout]);
  clearTimeout(timer);
  if (!runs) jsOffContexts.add(page.context());
  return runs;
}

/** The URLs checkA11y has looked at so far (in order, repeats included). */
export function checkedUrls() {
  return checkedPages.map((p) => p.url);
}

/**
 * Collects console errors, uncaught page errors and CSP violations (Chromium reports those
 * as console errors "Refused to …") from now on.
 *   const consoleErrors = expectNoConsoleErrors(page);
 *   …
 *   consoleErrors.check();  // throws listing them, if any
 * `ignore`: regular expressions for messages to leave out.
 */
export function expectNoConsoleErrors(page, { ignore = [] } = {}) {
  const errors = [];
  const keep = (text) => !ignore.some((re) => re.test(text));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const where = msg.location()?.url;
    if (keep(text)) errors.push({ kind: /Content Security Policy/i.test(text) ? 'csp' : 'console', text, url: where || page.url() });
  });
  page.on('pageerror', (error) => {
    const text = error.stack || String(error);
    if (keep(text)) errors.push({ kind: 'pageerror', text, url: page.url() });
  });
  return {
    errors,
    get cspViolations() { return errors.filter((e) => e.kind === 'csp'); },
    check(label = page.url()) {
      if (errors.length === 0) return;
      throw new Error(`${errors.length} browser error(s) on ${label}:\n${errors.map((e) => `- [${e.kind}] ${e.text} (${e.url})`).join('\n')}`);
    },
  };
}
