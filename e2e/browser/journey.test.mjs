// The municipality's journey in the shop, in real Chromium against the real binary: log in
// through the OpenID provider, search "Wohngeld", filter by Land, compare two services, see
// the cost for Köln, order once by accession and once by request, write a message, sign,
// tick an onboarding step. With JavaScript (SQLite), without JavaScript (PostgreSQL), and by
// keyboard only. axe-core checks every page the journeys visit: 0 WCAG 2.0/2.1 A/AA violations.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';

import { startWorld, newContext, checkA11y, checkedPages, expectNoConsoleErrors } from './harness.mjs';
import { loginAtProvider } from './oidc.mjs';
import { roles, publishListing, approvedFramework, waitListed, api } from './fixtures.mjs';

const A = 'Wohngeld digital NRW';
const B = 'Wohngeld kompakt NRW';

const worlds = [];
after(async () => {
  for (const w of worlds) await w.close();
});

/** A world with two priced NRW Wohngeld listings, a framework agreement for the first approved. */
async function world(db) {
  const w = await startWorld({ db });
  worlds.push(w);
  const r = await roles(w);
  const a = await publishListing(w, r, A, 120000);
  const b = await publishListing(w, r, B, 90000);
  await waitListed(w, a);
  await waitListed(w, b);
  const framework = await approvedFramework(w, r, a);
  return { w, r, a, b, framework };
}

/** Checks the page the browser is on: axe, and no browser error from the shop so far (the
 * test OpenID provider's own pages ask for a Google font and a favicon: not ours). */
async function check(page, errors, label) {
  await page.waitForLoadState('load');
  await checkA11y(page, label);
  const ours = errors.errors.filter((e) => e.url.startsWith(new URL(page.url()).origin));
  assert.deepEqual(ours, [], `browser errors on ${label}`);
}

async function submitAndWait(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
}

async function journey({ javaScriptEnabled, db }) {
  const { w, r, b } = await world(db);
  const context = await newContext({ javaScriptEnabled });
  const page = await context.newPage();
  const errors = expectNoConsoleErrors(page);
  const js = javaScriptEnabled ? 'JS' : 'ohne JS';
  try {
    // Start page, then log in through the identity provider and come back.
    await page.goto(`${w.baseUrl}/`);
    await check(page, errors, `Start (${js})`);
    await submitAndWait(page, page.locator('#login-link'));
    await loginAtProvider(page, 'koeln');
    await page.waitForURL(`${w.baseUrl}/`);
    assert.equal(await page.locator('#user-org').innerText(), 'Köln, Stadt');
    assert.match(await page.locator('.flash').innerText(), /Köln/);
    await check(page, errors, `Start angemeldet (${js})`);

    // The account page from the header: the identity provider's address, e-mails wanted.
    await submitAndWait(page, page.locator('#account-link'));
    await check(page, errors, `Konto (${js})`);
    assert.equal(await page.locator('#konto-email').innerText(), 'koeln@example.org');
    assert.ok(await page.locator('#f-benachrichtigungen').isChecked(), 'e-mails are on until the user turns them off');
    await page.goto(`${w.baseUrl}/`);

    // Search "Wohngeld" from the start page.
    await page.getByLabel('Suchbegriff').fill('Wohngeld');
    await submitAndWait(page, page.getByRole('button', { name: 'Suchen' }));
    assert.match(page.url(), /\/onlinedienste\?q=Wohngeld/);
    await check(page, errors, `Suche (${js})`);
    assert.ok((await page.locator('[data-testid=treffer]').count()) >= 2, 'both Wohngeld listings are found');

    // Filter by Land: with JavaScript the results follow the checkbox; without, the button applies it.
    const nrw = page.getByRole('group', { name: 'Federführendes Land' }).getByLabel(/Nordrhein-Westfalen/);
    await nrw.check();
    if (javaScriptEnabled) {
      await page.waitForURL(/lead_land=05/);
      await page.locator('#ergebnis-status').filter({ hasText: 'gefunden' }).waitFor();
    } else {
      await submitAndWait(page, page.locator('#filter-anwenden'));
      assert.match(page.url(), /lead_land=05/);
    }
    await check(page, errors, `Suche gefiltert (${js})`);
    const names = await page.locator('[data-testid=treffer] h2 a').allInnerTexts();
    assert.ok(names.includes(A) && names.includes(B), `both NRW listings after filtering: ${names}`);

    // Compare the two.
    for (const name of [A, B]) {
      const item = page.locator('[data-testid=treffer]').filter({ has: page.getByRole('link', { name, exact: true }) });
      const button = item.getByRole('button', { name: /Zum Vergleich/ });
      if (javaScriptEnabled) {
        await button.click();
        await item.getByRole('button', { name: /Aus dem Vergleich entfernen/ }).waitFor();
      } else {
        await submitAndWait(page, button);
      }
    }
    await page.goto(`${w.baseUrl}/vergleich`);
    await check(page, errors, `Vergleich (${js})`);
    const columns = await page.locator('[data-testid=spalte]').allInnerTexts();
    assert.deepEqual(columns.sort(), [A, B].sort());

    // The service page with the cost for Köln; order by accession to its framework agreement.
    await submitAndWait(page, page.locator('[data-testid=spalte]').getByRole('link', { name: A, exact: true }));
    await check(page, errors, `Onlinedienst (${js})`);
    assert.equal(await page.locator('#dienst-name').innerText(), A);
    assert.match(await page.locator('#kosten-naechstes-jahr').innerText(), /1\.200,00/, 'next year: the annual fee');
    await submitAndWait(page, page.getByRole('link', { name: /^Beitreten/ }));
    await check(page, errors, `Beitrittserklärung (${js})`);
    await page.getByLabel(/Ich erkläre den Beitritt/).check();
    await submitAndWait(page, page.getByRole('button', { name: 'Beitritt erklären' }));
    assert.match(page.url(), /\/vertraege\/EFA-\d{4}-\d{6}$/);
    await check(page, errors, `Vertrag nach Beitritt (${js})`);
    assert.match(await page.locator('main').innerText(), /Aktiv/);

    // Order the other by an individual request: draft (the cost shown), then submit.
    await page.goto(`${w.baseUrl}/onlinedienste/${b}/anfrage`);
    await check(page, errors, `Anfrage-Formular (${js})`);
    assert.match(await page.locator('main').innerText(), /900,00/, 'the cost before submitting');
    await page.getByLabel(/Notiz|Anmerkung|Nachricht/).first().fill('Bitte Anbindung an unser Fachverfahren im zweiten Quartal.');
    await submitAndWait(page, page.getByRole('button', { name: 'Als Entwurf speichern' }));
    assert.match(page.url(), /\/anfragen\/[0-9a-f-]{36}$/);
    await check(page, errors, `Anfrage-Entwurf (${js})`);
    const requestId = page.url().split('/').pop();
    await submitAndWait(page, page.getByRole('button', { name: 'Anfrage einreichen' }));
    assert.match(await page.locator('main').innerText(), /Eingereicht/);
    await check(page, errors, `Anfrage eingereicht (${js})`);

    // The Abstimmung: write a message.
    await page.getByLabel('Ihre Nachricht').fill('Wann können wir mit der Anbindung beginnen?');
    await submitAndWait(page, page.getByRole('button', { name: 'Nachricht senden' }));
    assert.match(await page.locator('[data-testid=nachricht]').last().innerText(), /Wann können wir/);
    await check(page, errors, `Abstimmung (${js})`);

    // The coordinator approves and the provider accepts (their workspaces come next; the API here).
    await api(w, 'POST', `/api/v1/reuse-requests/${requestId}/approve`, r.coordinator);
    const accepted = await api(w, 'POST', `/api/v1/reuse-requests/${requestId}/accept`, r.provider, {});
    const number = accepted.agreements[0];

    // Köln signs in the shop; the header counted it as awaiting.
    await page.goto(`${w.baseUrl}/vertraege`);
    await check(page, errors, `Meine Verträge (${js})`);
    assert.ok(Number(await page.locator('#awaiting-count').innerText().then((t) => t.replace(/\D/g, ''))) >= 1, 'something awaits Köln');
    await submitAndWait(page, page.getByRole('link', { name: number }));
    await check(page, errors, `Vertrag zu unterschreiben (${js})`);
    await submitAndWait(page, page.getByRole('button', { name: 'Unterschreiben' }));
    await check(page, errors, `Vertrag unterschrieben (${js})`);
    await api(w, 'POST', `/api/v1/agreements/${number}/sign`, r.provider);

    // Active now: tick Köln's first onboarding step.
    await page.reload();
    assert.match(await page.locator('main').innerText(), /Aktiv/);
    const step = page.locator('[data-testid=schritt][data-done=nein]').filter({ has: page.getByRole('button', { name: 'Erledigt' }) }).first();
    const key = await step.getAttribute('data-step');
    await submitAndWait(page, step.getByRole('button', { name: 'Erledigt' }));
    assert.equal(await page.locator(`[data-testid=schritt][data-step=${key}]`).getAttribute('data-done'), 'ja');
    await check(page, errors, `Onboarding (${js})`);
    const detail = await api(w, 'GET', `/api/v1/agreements/${number}`, r.provider);
    assert.ok(detail.onboarding.some((o) => o.step === key && o.done_by), 'the step is done in the database');

    // Köln's systems follow along: a webhook, refused at the field first, then registered.
    await page.goto(`${w.baseUrl}/webhooks`);
    await check(page, errors, `Webhooks (${js})`);
    await page.locator('#f-url').fill('ftp://fachverfahren.koeln.example/efa');
    await submitAndWait(page, page.getByRole('button', { name: 'Webhook anlegen' }));
    assert.equal(await page.locator('#f-url').inputValue(), 'ftp://fachverfahren.koeln.example/efa', 'the value is kept');
    assert.ok(await page.locator('#f-url-fehler').isVisible());
    // The refused form answers 400 on purpose (the page with the error summary); Chromium
    // logs every 4xx document as a console error.
    const refused = errors.errors.filter((e) => /status of 400/.test(e.text) && e.url.endsWith('/webhooks'));
    assert.equal(refused.length, 1, 'one refused form');
    errors.errors.splice(errors.errors.indexOf(refused[0]), 1);
    await check(page, errors, `Webhook mit Fehler (${js})`);
    await page.locator('#f-url').fill('https://9.9.9.9/efa/koeln');
    await page.getByLabel('Vertrag zur Unterschrift').check();
    await submitAndWait(page, page.getByRole('button', { name: 'Webhook anlegen' }));
    assert.match(await page.locator('main').innerText(), /whsec_/, 'the secret is shown once');
    await check(page, errors, `Webhook angelegt (${js})`);

    // Logout ends the session here and goes on to the provider's logout.
    const visited = [];
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) visited.push(f.url()); });
    await submitAndWait(page, page.locator('#logout'));
    if (javaScriptEnabled) await page.waitForURL(`${w.baseUrl}/`);
    assert.ok(visited.some((u) => u.startsWith(w.issuer)), `logout went on to the identity provider: ${visited}`);
    const after = await fetch(`${w.baseUrl}/vertraege`, { redirect: 'manual', headers: { cookie: (await context.cookies(w.baseUrl)).map((c) => `${c.name}=${c.value}`).join('; ') } });
    assert.equal(after.status, 303, 'the shop session is gone');
  } finally {
    await context.close();
  }
}

test('a municipality user finds, compares, costs, orders and follows up — with JavaScript (SQLite)', async () => {
  await journey({ javaScriptEnabled: true, db: 'sqlite' });
});

test('the same journey without JavaScript (PostgreSQL)', async () => {
  await journey({ javaScriptEnabled: false, db: 'postgres' });
});

/** Presses Tab until the focused element matches `selector` (at most `max` times); checks its focus is visible. */
async function tabTo(page, selector, max = 120) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      const visible = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
      });
      assert.ok(visible, `focus is visible on ${selector}`);
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

test('by keyboard only: skip link, search, service page, comparison, login and accession', async () => {
  const { w } = await world('sqlite');
  const context = await newContext({ javaScriptEnabled: true });
  const page = await context.newPage();
  const errors = expectNoConsoleErrors(page);
  try {
    await page.goto(`${w.baseUrl}/`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link', 'the skip link comes first');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => location.hash), '#inhalt');
    await tabTo(page, 'input[name=q]');
    await page.keyboard.type('Wohngeld');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await check(page, errors, 'Suche (Tastatur)');
    await tabTo(page, `[data-testid=treffer] h2 a`);
    // Move on to listing A's link, then open it.
    for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement.textContent.trim())) !== A; i += 1) {
      await page.keyboard.press('Tab');
    }
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), A);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await check(page, errors, 'Onlinedienst (Tastatur)');
    await tabTo(page, 'form[action="/vergleich"] button');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /^Aus dem Vergleich entfernen/ }).waitFor();
    await tabTo(page, '#login-link', 200).catch(async () => {
      // The header comes before main: go round from the top.
      await page.keyboard.press('Shift+Tab');
      await tabTo(page, '#login-link', 200);
    });
    await page.keyboard.press('Enter');
    // The provider's login form (after its redirects): reach the login field by keyboard.
    await page.locator('input[name=login]').waitFor();
    for (let i = 0; i < 20 && !(await page.evaluate(() => document.activeElement?.name === 'login')); i += 1) {
      await page.keyboard.press('Tab');
    }
    assert.equal(await page.evaluate(() => document.activeElement?.name), 'login', 'the login field is reachable by keyboard');
    await page.keyboard.type('koeln');
    await page.keyboard.press('Tab');
    await page.keyboard.type('test');
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(w.baseUrl)), page.keyboard.press('Enter')]);
    await page.waitForLoadState('load');
    assert.equal(await page.locator('#user-org').innerText(), 'Köln, Stadt');
    await tabTo(page, 'a[href*="/beitritt/"]', 200);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    await check(page, errors, 'Beitrittserklärung (Tastatur)');
    await tabTo(page, 'input[name=beitritt]');
    await page.keyboard.press('Space');
    await tabTo(page, '#beitritt-erklaeren');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.match(page.url(), /\/vertraege\/EFA-/);
    await check(page, errors, 'Vertrag (Tastatur)');
  } finally {
    await context.close();
  }
});

test('axe checked every page the journeys visited, with and without JavaScript', () => {
  const journeyPages = checkedPages.filter((p) => !/good|bad/.test(p.label));
  assert.ok(journeyPages.filter((p) => p.javaScript).length >= 15, `pages checked with JavaScript: ${journeyPages.length}`);
  assert.ok(journeyPages.filter((p) => !p.javaScript).length >= 15, 'pages checked without JavaScript');
  assert.equal(journeyPages.reduce((n, p) => n + p.violations, 0), 0);
});
