// Smoke test of the browser harness itself: efa + the test OpenID provider + Chromium.
// Proves the claims the shop relies on (efa_org, efa_roles, email, nonce in the ID token)
// with a full authorization-code round trip with PKCE, driven from Node (no efa involved).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';

import {
  startWorld, newContext, expectNoConsoleErrors, interceptRequests, checkA11y, checkedPages, CALLBACK_PATH,
} from './harness.mjs';
import { loginAtProvider, CLIENT_ID, CLIENT_SECRET } from './oidc.mjs';

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const decodeJwtPart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

let world;
before(async () => {
  world = await startWorld({ db: 'sqlite' });
});
after(async () => {
  await world?.close();
});

test('Chromium shows the Swagger UI of the running efa', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const errors = expectNoConsoleErrors(page);
    const response = await page.goto(`${world.baseUrl}/docs/`);
    assert.equal(response.status(), 200);
    const title = page.locator('.swagger-ui .info .title');
    await title.waitFor({ timeout: 15_000 });
    assert.match(await title.innerText(), /EfA Marktplatz API/);
    errors.check('/docs/');
  } finally {
    await context.close();
  }
});

test('checkA11y reports violations with JavaScript on and off; console errors include CSP', async () => {
  const good = '<!doctype html><html lang="de"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Gut</title></head><body><main><h1>Gut</h1><p>Text</p></main></body></html>';
  const bad = '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Schlecht</title></head><body><main><img src="/x.png"><a href="/"></a><script>1</script></main></body></html>';
  const before = checkedPages.length;
  for (const javaScriptEnabled of [false, true]) {
    const context = await newContext({ javaScriptEnabled });
    try {
      const page = await context.newPage();
      const errors = expectNoConsoleErrors(page);
      // Pages served by the test itself (under efa's origin, so relative URLs resolve there).
      await interceptRequests(page, `${world.baseUrl}/__test/good`, { body: good });
      await interceptRequests(page, `${world.baseUrl}/__test/bad`, { body: bad });
      await page.goto(`${world.baseUrl}/__test/good`);
      await checkA11y(page, `good (JS ${javaScriptEnabled})`);
      errors.check();
      await page.goto(`${world.baseUrl}/__test/bad`);
      await assert.rejects(checkA11y(page, 'bad'), (e) => /image-alt/.test(e.message) && /link-name/.test(e.message) && /html-has-lang/.test(e.message));
    } finally {
      await context.close();
    }
  }
  assert.equal(checkedPages.length - before, 4);
  assert.deepEqual(checkedPages.slice(before).map((p) => [p.violations > 0, p.javaScript]), [[false, false], [true, false], [false, true], [true, true]]);

  // A CSP violation shows up as an error.
  const context = await newContext();
  try {
    const page = await context.newPage();
    const errors = expectNoConsoleErrors(page);
    const cdp = await context.newCDPSession(page);
    cdp.on('Fetch.requestPaused', (e) => cdp.send('Fetch.fulfillRequest', {
      requestId: e.requestId,
      responseCode: 200,
      responseHeaders: [{ name: 'content-type', value: 'text/html' }, { name: 'content-security-policy', value: "script-src 'self'" }],
      body: Buffer.from('<!doctype html><html lang="de"><title>x</title><script>document.title = "ran"</script></html>').toString('base64'),
    }));
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: `${world.baseUrl}/__test/csp`, requestStage: 'Request' }] });
    await page.goto(`${world.baseUrl}/__test/csp`);
    assert.equal(await page.title(), 'x');
    assert.equal(errors.cspViolations.length, 1, JSON.stringify(errors.errors));
    assert.throws(() => errors.check(), /Content Security Policy/);
  } finally {
    await context.close();
  }
});

test('the provider advertises S256 PKCE and RP-initiated logout', async () => {
  const r = await fetch(`${world.issuer}/.well-known/openid-configuration`);
  assert.equal(r.status, 200);
  const d = await r.json();
  assert.equal(d.issuer, world.issuer);
  assert.ok(d.code_challenge_methods_supported.includes('S256'), JSON.stringify(d.code_challenge_methods_supported));
  assert.ok(d.end_session_endpoint, 'end_session_endpoint missing');
  assert.ok(d.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
  for (const claim of ['efa_org', 'efa_roles', 'efa_land', 'email', 'name']) {
    assert.ok(d.claims_supported.includes(claim), `${claim} not in claims_supported`);
  }
});

test('the provider refuses an authorization request without PKCE', async () => {
  const d = await (await fetch(`${world.issuer}/.well-known/openid-configuration`)).json();
  const url = new URL(d.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID, response_type: 'code', scope: 'openid', redirect_uri: `${world.baseUrl}${CALLBACK_PATH}`, state: 's', nonce: 'n',
  }).toString();
  const r = await fetch(url, { redirect: 'manual' });
  assert.equal(r.status, 303);
  const location = new URL(r.headers.get('location'));
  assert.equal(location.searchParams.get('error'), 'invalid_request', location.href);
  assert.match(location.searchParams.get('error_description'), /PKCE/);
});

async function discovery() {
  return (await fetch(`${world.issuer}/.well-known/openid-configuration`)).json();
}

const basicAuth = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`;

function redeem(d, code, redirectUri, verifier) {
  return fetch(d.token_endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
  });
}

/**
 * Sends `page` through an authorization request; `login` fills the provider's form, or
 * null when a provider session should answer without it. Returns what the callback got.
 */
async function authorize(page, d, login) {
  const redirectUri = `${world.baseUrl}${CALLBACK_PATH}`;
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const url = new URL(d.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: redirectUri,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  await page.goto(url.href);
  if (login) await loginAtProvider(page, login);
  assert.ok(page.url().startsWith(redirectUri), `ended at ${page.url()}`);
  const params = new URL(page.url()).searchParams;
  assert.equal(params.get('error'), null, `error at the callback: ${page.url()}`);
  assert.equal(params.get('state'), state);
  assert.equal(params.get('iss'), world.issuer); // RFC 9207
  assert.ok(params.get('code'), page.url());
  return { code: params.get('code'), redirectUri, verifier, nonce };
}

async function idTokenClaims(d, tokens) {
  const [h, p, s] = tokens.id_token.split('.');
  const header = decodeJwtPart(h);
  // The signature checks out against the provider's published key.
  const jwks = await (await fetch(d.jwks_uri)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `no key ${header.kid} in ${d.jwks_uri}`);
  assert.equal(header.alg, 'RS256');
  assert.ok(verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url')), 'bad id_token signature');
  return decodeJwtPart(p);
}

test('authorization code + PKCE round trip yields the efa claims in the ID token', async () => {
  const d = await discovery();
  // JavaScript off: the provider's login form must work without it, as the shop's pages do.
  const context = await newContext({ javaScriptEnabled: false });
  let grant;
  try {
    const page = await context.newPage();
    // The provider redirects to efa's callback; the browser's request is answered here instead.
    const callback = await interceptRequests(page, `${world.baseUrl}${CALLBACK_PATH}`);
    grant = await authorize(page, d, 'koeln');
    assert.equal(await page.title(), 'Abgefangen');
    assert.equal(callback.urls.length, 1, `the callback was intercepted once: ${callback.urls}`);
  } finally {
    await context.close();
  }

  const tokenResponse = await redeem(d, grant.code, grant.redirectUri, grant.verifier);
  const tokens = await tokenResponse.json();
  assert.equal(tokenResponse.status, 200, JSON.stringify(tokens));
  assert.equal(tokens.token_type, 'Bearer');
  assert.ok(tokens.access_token);

  const claims = await idTokenClaims(d, tokens);
  assert.equal(claims.iss, world.issuer);
  assert.equal(claims.aud, CLIENT_ID);
  assert.equal(claims.sub, 'koeln');
  assert.equal(claims.nonce, grant.nonce);
  assert.equal(claims.efa_org, 'ags:05315000');
  assert.ok(Array.isArray(claims.efa_roles) && claims.efa_roles.includes('municipality_user'), JSON.stringify(claims));
  assert.equal(claims.email, 'koeln@example.org');
  assert.equal(claims.name, 'Kim Köln');
  assert.equal(claims.efa_land, undefined);

  // The code is single-use.
  assert.equal((await redeem(d, grant.code, grant.redirectUri, grant.verifier)).status, 400);
});

test('a wrong PKCE verifier is refused', async () => {
  const d = await discovery();
  const context = await newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await interceptRequests(page, `${world.baseUrl}${CALLBACK_PATH}`);
    const grant = await authorize(page, d, 'kleve');
    const r = await redeem(d, grant.code, grant.redirectUri, b64url(randomBytes(32)));
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error, 'invalid_grant');
  } finally {
    await context.close();
  }
});

test('provider session on http (SSO), efa_land, and RP-initiated logout', async () => {
  const d = await discovery();
  const context = await newContext(); // JavaScript on: the logout page confirms by itself
  try {
    const page = await context.newPage();
    const shop = await interceptRequests(page, `${world.baseUrl}/`);
    const first = await authorize(page, d, 'nrw-koordination');
    const tokens = await (await redeem(d, first.code, first.redirectUri, first.verifier)).json();
    const claims = await idTokenClaims(d, tokens);
    assert.deepEqual([claims.efa_org, claims.efa_roles, claims.efa_land], ['land:05', ['land_coordinator'], '05']);

    // The provider's session cookie works on plain http: a second request needs no login.
    const cookies = await context.cookies(world.issuer);
    assert.ok(cookies.some((c) => c.name === '_session'), JSON.stringify(cookies.map((c) => c.name)));
    await authorize(page, d, null);

    // RP-initiated logout ends it and returns to the registered post-logout URI.
    const end = new URL(d.end_session_endpoint);
    end.search = new URLSearchParams({
      id_token_hint: tokens.id_token, post_logout_redirect_uri: `${world.baseUrl}/`, state: 'bye',
    }).toString();
    await page.goto(end.href);
    await page.waitForURL(`${world.baseUrl}/?state=bye`, { timeout: 15_000 });
    assert.ok(shop.urls.some((u) => u.startsWith(`${world.baseUrl}/?state=bye`)), shop.urls.join('\n'));

    // … so the next authorization request shows the login form again.
    const again = await authorize(page, d, 'betrieb');
    const claimsAgain = await idTokenClaims(d, await (await redeem(d, again.code, again.redirectUri, again.verifier)).json());
    assert.deepEqual([claimsAgain.sub, claimsAgain.efa_org, claimsAgain.efa_roles], ['betrieb', 'name:FITKO (Föderale IT-Kooperation)', ['operator']]);
  } finally {
    await context.close();
  }
});
