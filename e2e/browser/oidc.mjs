// A real OpenID provider for the browser tests: the npm `oidc-provider` (a certified
// OpenID Connect implementation), in memory, on 127.0.0.1, with one confidential client
// (`efa-shop`) and the five test accounts of the shop.
//
//   import { startOidc, loginAtProvider } from './oidc.mjs';
//   const op = await startOidc({ port: 0, redirectUris: [...], postLogoutRedirectUris: [...] });
//   ...; await op.close();
//
// CLI, for trying the shop by hand (runs until killed):
//   node e2e/browser/oidc.mjs --port 9090 --redirect http://127.0.0.1:8080/anmelden/callback \
//        --post-logout http://127.0.0.1:8080/
//
// The provider's own pages (login form, logout confirmation, error page) are its built-in
// development pages: they are not part of the shop and are not accessibility-checked.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

export const CLIENT_ID = 'efa-shop';
export const CLIENT_SECRET = 'efa-shop-secret';
export const SCOPES = ['openid', 'email', 'profile'];
/** Claims carried by the `openid` scope: the shop gets them whatever else it asks for. */
export const EFA_CLAIMS = ['efa_org', 'efa_roles', 'efa_land'];

/** The test accounts, keyed by login name (= `sub`). Any password is accepted. */
export const ACCOUNTS = Object.freeze({
  koeln: { email: 'koeln@example.org', name: 'Kim Köln', efa_org: 'ags:05315000', efa_roles: ['municipality_user'] },
  kleve: { email: 'kleve@example.org', name: 'Karla Kleve', efa_org: 'kreis:05154', efa_roles: ['municipality_user'] },
  'nrw-anbieter': { email: 'anbieter@nrw.example.org', name: 'Nora Anbieter', efa_org: 'land:05', efa_roles: ['provider_publisher'] },
  'nrw-koordination': {
    email: 'koordination@nrw.example.org', name: 'Nils Koordination', efa_org: 'land:05', efa_roles: ['land_coordinator'], efa_land: '05',
  },
  'by-koordination': {
    email: 'koordination@by.example.org', name: 'Bert Koordination', efa_org: 'land:09', efa_roles: ['land_coordinator'], efa_land: '09',
  },
  betrieb: { email: 'betrieb@fitko.example.org', name: 'Bea Betrieb', efa_org: 'name:FITKO (Föderale IT-Kooperation)', efa_roles: ['operator'] },
});

// oidc-provider prints "oidc-provider WARNING/NOTICE: …" lines through console.warn/info
// (unsupported Node release, in-memory adapter, dev interactions, default functions called).
// They are expected here; drop them unless OIDC_DEBUG is set.
let quieted = false;
function quietProvider() {
  if (quieted || process.env.OIDC_DEBUG) return;
  quieted = true;
  for (const level of ['warn', 'info']) {
    const original = console[level].bind(console);
    console[level] = (...args) => {
      if (typeof args[0] === 'string' && args[0].replace(/\x1b\[[0-9;]*m/g, '').startsWith('oidc-provider ')) return;
      original(...args);
    };
  }
}

let providerModule;
async function loadProvider() {
  quietProvider(); // before the import: the module warns about the Node release when it is evaluated
  providerModule ??= await import('oidc-provider');
  return providerModule.default;
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

const LOGOUT_PAGE = (form) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Logout Request</title></head>
<body>
  <main>
    <h1>Sign out from the test provider?</h1>
    ${form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>')}
    <button type="submit" form="op.logoutForm" id="op-logout-confirm">Yes, sign me out</button>
  </main>
  <script>document.getElementById('op.logoutForm').submit();</script>
</body></html>`;

/**
 * Starts the provider. `port` 0 (default) picks a free port; the issuer is
 * `http://<host>:<port>` (host 127.0.0.1 by default).
 *
 * @param {{ port?: number, host?: string, redirectUris: string[], postLogoutRedirectUris?: string[],
 *           tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post',
 *           accounts?: Record<string, object> }} options
 * @returns {Promise<{ issuer: string, port: number, provider: object, close: () => Promise<void> }>}
 */
export async function startOidc({
  port = 0,
  host = '127.0.0.1',
  redirectUris,
  postLogoutRedirectUris = [],
  tokenEndpointAuthMethod = 'client_secret_basic',
  accounts = ACCOUNTS,
} = {}) {
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) throw new Error('startOidc: redirectUris must list at least one URI');
  const Provider = await loadProvider();

  // The issuer contains the port, so listen first and hand requests to the provider once it exists.
  let handler = (_req, res) => { res.statusCode = 503; res.end('starting'); };
  const server = http.createServer((req, res) => handler(req, res));
  const boundPort = await listen(server, port, host);
  const issuer = `http://${host}:${boundPort}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'efa-test-1', use: 'sig', alg: 'RS256' };

  const configuration = {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      client_name: 'EfA Marktplatz (Test)',
      token_endpoint_auth_method: tokenEndpointAuthMethod,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutRedirectUris,
    }],
    // The custom claims ride on the `openid` scope, so every authentication request gets them.
    claims: {
      openid: ['sub', ...EFA_CLAIMS],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    scopes: SCOPES,
    responseTypes: ['code'],
    // Scope claims go into the ID token even though an access token is issued as well.
    conformIdTokenClaims: false,
    // Every authorization request must carry an S256 code_challenge (the only method offered).
    pkce: { required: () => true },
    async findAccount(_ctx, sub) {
      const account = accounts[sub];
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email_verified: true, ...account };
        },
      };
    },
    // First-party client: no consent screen. An existing grant is reused; otherwise one is
    // made on the fly with everything the client may ask for.
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(SCOPES.join(' '));
      grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', ...EFA_CLAIMS]);
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: true }, // the built-in login form: any login, any password
      rpInitiatedLogout: {
        enabled: true,
        // The provider always asks before ending its session; this page confirms by itself
        // when JavaScript runs (see confirmLogoutAtProvider for contexts without it).
        async logoutSource(ctx, form) { ctx.type = 'html'; ctx.body = LOGOUT_PAGE(form); },
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
    },
    jwks: { keys: [signingKey] },
    // Plain http on 127.0.0.1: oidc-provider marks its cookies Secure only when the request is
    // secure (ctx.secure), so with `proxy` off they are plain HttpOnly cookies. Its default
    // SameSite=None for the long-lived session cookie needs Secure, which Chromium would
    // reject on http, hence Lax for both kinds.
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      RefreshToken: 8 * 3600,
      ClientCredentials: 600,
    },
    clientBasedCORS: () => false,
    async renderError(ctx, out) {
      ctx.type = 'html';
      const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>OpenID provider error</title></head><body><main><h1>OpenID provider error</h1>${
        Object.entries(out).map(([k, v]) => `<p><strong>${esc(k)}</strong>: <span class="op-${esc(k)}">${esc(v)}</span></p>`).join('')}</main></body></html>`;
    },
  };

  const provider = new Provider(issuer, configuration);
  provider.proxy = false;
  if (process.env.OIDC_DEBUG) {
    provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));
    for (const event of ['authorization.error', 'grant.error', 'end_session.error']) {
      provider.on(event, (_ctx, err) => console.error(`oidc-provider ${event}`, err));
    }
  }
  const callback = provider.callback();
  handler = callback;
  knownIssuers.add(issuer);

  let closed = false;
  return {
    issuer,
    port: boundPort,
    provider,
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      knownIssuers.delete(issuer);
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
}

const knownIssuers = new Set();

/**
 * Fills the provider's built-in login form (fields `login`, `password`; submit button
 * "Sign-in") on `page` and submits it; clicks "Continue" should a consent screen appear.
 * Waits (up to `timeout`) for the form to show up, so call it right after the click that
 * sends the browser to the provider. Resolves once the browser has left the provider's
 * interaction pages (normally: it is back at the client's redirect URI).
 *
 * A provider session survives until RP-initiated logout: while it lasts, a new
 * authorization request returns straight to the client without this form.
 */
export async function loginAtProvider(page, login, { password = 'test', timeout = 15_000 } = {}) {
  const loginField = page.locator('form input[name="login"]');
  await loginField.waitFor({ state: 'visible', timeout });
  await loginField.fill(login);
  await page.locator('form input[name="password"]').fill(password);
  await submitAndLeave(page, page.locator('form button[type="submit"]'), timeout);
  // No consent is configured for efa-shop, but handle one should it appear.
  const consent = page.locator('form:has(input[name="prompt"][value="consent"]) button[type="submit"]');
  if (isInteraction(page.url()) && await consent.count()) {
    await submitAndLeave(page, consent, timeout);
  }
  if (isInteraction(page.url())) {
    const text = (await page.locator('body').innerText().catch(() => '')).slice(0, 500);
    throw new Error(`loginAtProvider(${login}): still at the provider (${page.url()}):\n${text}`);
  }
}

/**
 * After the shop sent the browser to the provider's end_session endpoint: confirms the
 * logout (needed where JavaScript is off; with JavaScript the page confirms by itself).
 */
export async function confirmLogoutAtProvider(page, { timeout = 15_000 } = {}) {
  const button = page.locator('#op-logout-confirm');
  try {
    await button.waitFor({ state: 'visible', timeout: 2_000 });
  } catch {
    return; // already confirmed (JavaScript) or no logout page
  }
  await submitAndLeave(page, button, timeout);
}

function isInteraction(url) {
  try {
    const u = new URL(url);
    return knownIssuers.has(u.origin) ? u.pathname.startsWith('/interaction/') : /\/interaction\/[^/]+/.test(u.pathname);
  } catch {
    return false;
  }
}

async function submitAndLeave(page, button, timeout) {
  const before = page.url();
  await Promise.all([
    page.waitForURL((u) => u.href !== before, { timeout, waitUntil: 'load' }),
    button.click({ timeout }),
  ]);
}

// ---------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------

function parseArgs(argv) {
  const out = { port: 9090, host: '127.0.0.1', redirect: [], postLogout: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--port': out.port = Number(value()); break;
      case '--host': out.host = value(); break;
      case '--redirect': out.redirect.push(value()); break;
      case '--post-logout': out.postLogout.push(value()); break;
      case '-h': case '--help': out.help = true; break;
      default: throw new Error(`unknown argument ${arg}`);
    }
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`oidc.mjs: ${e.message}`);
    process.exit(2);
  }
  if (args.help) {
    console.log('usage: node e2e/browser/oidc.mjs [--port 9090] [--host 127.0.0.1] --redirect URI [--redirect URI…] [--post-logout URI…]');
    process.exit(0);
  }
  if (args.redirect.length === 0) args.redirect.push('http://127.0.0.1:8080/anmelden/callback');
  if (args.postLogout.length === 0) args.postLogout.push('http://127.0.0.1:8080/');
  const op = await startOidc({ port: args.port, host: args.host, redirectUris: args.redirect, postLogoutRedirectUris: args.postLogout });
  console.log(`OpenID provider: ${op.issuer}  (discovery: ${op.issuer}/.well-known/openid-configuration)`);
  console.log(`client: ${CLIENT_ID} / ${CLIENT_SECRET}; redirect: ${args.redirect.join(', ')}; post-logout: ${args.postLogout.join(', ')}`);
  console.log('accounts (any password):');
  for (const [login, a] of Object.entries(ACCOUNTS)) {
    console.log(`  ${login.padEnd(17)} ${a.efa_org}  [${a.efa_roles.join(', ')}]${a.efa_land ? `  efa_land ${a.efa_land}` : ''}`);
  }
  console.log(`for efa: EFA_OIDC_ISSUER=${op.issuer} EFA_OIDC_CLIENT_ID=${CLIENT_ID} EFA_OIDC_CLIENT_SECRET=${CLIENT_SECRET}`);
  const stop = () => { op.close().then(() => process.exit(0)); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
