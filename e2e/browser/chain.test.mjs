// The whole chain of a reuse through the browser only, in real Chromium against the real
// binary, each person in their own browser context logged in through the OpenID provider: NRW's
// provider publishes a listing (a stale edit from a second tab caught and shown with both
// versions), the operator reviews and approves it, Köln orders, NRW's coordinator approves,
// the provider accepts, both sign, both do their onboarding steps until live, and Köln's coverage
// shows it. Bavaria's coordinator finds nothing of it (404 pages, an empty list). With
// JavaScript (SQLite) and without (PostgreSQL); axe checks every page: 0 WCAG A/AA violations.
// The API (bearer tokens from `efa token`) only reads, to check what the pages say was written.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';

import { startWorld, newContext, checkA11y, checkedPages, expectNoConsoleErrors } from './harness.mjs';
import { loginAtProvider } from './oidc.mjs';
import { roles, waitListed, api } from './fixtures.mjs';

const KOELN = '05315000';
const NAME = 'Bürgerservice digital NRW';
const TERMS = 'Nutzungsbedingungen 3.1 für die Nachnutzung des Bürgerservice digital NRW.';

const worlds = [];
after(async () => {
  for (const w of worlds) await w.close();
});

/** axe, and no browser error from the shop so far (the provider's own pages are not ours). */
const started = Date.now();
async function check(page, errors, label) {
  await page.waitForLoadState('load');
  await checkA11y(page, label);
  if (process.env.CHAIN_DEBUG) console.log(`${((Date.now() - started) / 1000).toFixed(1)} s ${label}`);
  const ours = errors.errors.filter((e) => e.url.startsWith(new URL(page.url()).origin));
  assert.deepEqual(ours, [], `browser errors on ${label}`);
}

/** A page answered with `status` on purpose: Chromium logs every 4xx document as a console
 * error. Exactly one such error for `path`, taken off the list. */
function answeredOnPurpose(errors, status, path) {
  const refused = errors.errors.filter((e) => e.text.includes(`status of ${status}`) && new URL(e.url).pathname === path);
  assert.equal(refused.length, 1, `one ${status} for ${path}: ${JSON.stringify(errors.errors)}`);
  errors.errors.splice(errors.errors.indexOf(refused[0]), 1);
}

async function submitAndWait(page, locator) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
}

const text = (page, css) => page.locator(css).innerText();

async function chain({ javaScriptEnabled, db }) {
  const w = await startWorld({ db });
  if (process.env.CHAIN_DEBUG) console.log(`${((Date.now() - started) / 1000).toFixed(1)} s world (${db})`);
  worlds.push(w);
  const r = await roles(w);
  const js = javaScriptEnabled ? 'JS' : 'ohne JS';
  const contexts = [];

  /** A person in their own browser context, logged in through the OpenID provider. */
  async function person(login, org) {
    const context = await newContext({ javaScriptEnabled });
    contexts.push(context);
    const page = await context.newPage();
    const errors = expectNoConsoleErrors(page);
    await page.goto(`${w.baseUrl}/`);
    await submitAndWait(page, page.locator('#login-link'));
    await loginAtProvider(page, login);
    await page.waitForURL(`${w.baseUrl}/`);
    assert.match(await text(page, '#user-org'), org);
    return { context, page, errors };
  }

  try {
    // ---- Köln first: what is not online yet. The listing will be for the first of those.
    const koeln = await person('koeln', /^Köln, Stadt$/);
    await koeln.page.goto(`${w.baseUrl}/abdeckung/gemeinden/${KOELN}?abgedeckt=nein`);
    await check(koeln.page, koeln.errors, `Abdeckung Köln vorher (${js})`);
    const missing = koeln.page.locator('tr.leistung[data-covered=false]').first();
    const ozg = await missing.getAttribute('data-ozg');
    assert.match(ozg, /^\d+$/);
    const coveredBefore = Number(await text(koeln.page, '#abdeckung-online'));

    // ---- The provider creates the listing: refused once at a field, then saved as a draft.
    const anbieter = await person('nrw-anbieter', /Nordrhein-Westfalen/);
    const p = anbieter.page;
    await submitAndWait(p, p.locator('#angebote-link'));
    await check(p, anbieter.errors, `Meine Onlinedienste (${js})`);
    await submitAndWait(p, p.locator('#neu'));
    await check(p, anbieter.errors, `Neuer Onlinedienst (${js})`);
    await p.locator('#f-name').fill(NAME);
    await p.locator('#f-beschreibung').fill('Anliegen an die Verwaltung vollständig online, mit Nachweisupload und Bescheid ins Postfach.');
    await p.locator('#f-ozg').fill(`${ozg}, x`);
    await p.locator('#f-lead_land').selectOption('05');
    await p.locator('#f-efa').check();
    await p.locator('#f-status').selectOption('live');
    await p.locator('#f-reifegrad').selectOption('3');
    await p.locator('input[name=anbindung][value=fit_connect]').check();
    await p.locator('#f-url').fill('https://service.example.nrw.de/buergerservice');
    await p.locator('#f-preis_modell').selectOption('annual');
    await p.locator('#f-preis_anbindung').fill('500,00');
    await p.locator('#f-preis_jahr').fill('1.200,00');
    await p.locator('#f-preis_anteilig').check();
    await p.locator('#f-bedingungen').fill(TERMS);
    await p.locator('#f-bedingungen_version').fill('3.1');
    await p.locator('#f-kontakt_name').fill('EfA-Servicedesk NRW');
    await p.locator('#f-kontakt_email').fill('efa@example.nrw.de');
    await p.locator('input[name=verfuegbarkeit][value=nein]').check();
    await p.locator('input[name=laender][value="05"]').check();
    await submitAndWait(p, p.locator('#speichern'));
    assert.equal(new URL(p.url()).pathname, '/angebote/neu');
    answeredOnPurpose(anbieter.errors, 400, '/angebote/neu');
    assert.ok(await p.locator('#f-ozg-fehler').isVisible(), 'the error at the OZG field');
    assert.equal(await p.locator('#f-ozg').inputValue(), `${ozg}, x`, 'the value is kept');
    assert.equal(await p.locator('#f-preis_jahr').inputValue(), '1.200,00', 'the other values too');
    assert.ok(await p.locator('#fehler-zusammenfassung a[href="#f-ozg"]').isVisible(), 'the error summary links to the field');
    await check(p, anbieter.errors, `Neuer Onlinedienst mit Fehler (${js})`);
    await p.locator('#f-ozg').fill(ozg);
    await submitAndWait(p, p.locator('#speichern'));
    assert.match(p.url(), /\/angebote\/[0-9a-f-]{36}$/);
    const id = p.url().split('/').pop();
    assert.match(await text(p, '.flash'), /als Entwurf gespeichert/);
    assert.equal(await text(p, '#stand'), 'Entwurf');
    await check(p, anbieter.errors, `Onlinedienst-Entwurf (${js})`);

    // ---- The stale edit: two tabs open the edit form; the first saves, the second is stopped.
    const tab2 = await anbieter.context.newPage();
    const tab2Errors = expectNoConsoleErrors(tab2);
    await p.goto(`${w.baseUrl}/angebote/${id}/bearbeiten`);
    await check(p, anbieter.errors, `Onlinedienst bearbeiten (${js})`);
    await tab2.goto(`${w.baseUrl}/angebote/${id}/bearbeiten`);
    const newer = 'Anliegen an die Verwaltung online, jetzt mit Terminbuchung.';
    await p.locator('#f-beschreibung').fill(newer);
    await submitAndWait(p, p.locator('#speichern'));
    assert.match(await text(p, '.flash'), /Änderungen sind gespeichert/);
    await tab2.locator('#f-kontakt_telefon').fill('0211 837-1234');
    await submitAndWait(tab2, tab2.locator('#speichern'));
    answeredOnPurpose(tab2Errors, 409, `/angebote/${id}/bearbeiten`);
    assert.match(await text(tab2, '#konflikt'), /inzwischen geändert/);
    const changed = await tab2.locator('[data-testid=vergleich-zeile][data-changed=ja]').evaluateAll((rows) => rows.map((r) => r.dataset.key));
    assert.deepEqual(changed.sort(), ['beschreibung', 'kontakt_telefon'], 'both versions differ where each tab changed');
    const row = tab2.locator('[data-testid=vergleich-zeile][data-key=beschreibung]');
    assert.equal(await row.locator('[data-testid=aktuell]').innerText(), newer, 'the current version: the first tab\'s');
    assert.match(await row.locator('[data-testid=eingabe]').innerText(), /Nachweisupload/, 'the second tab\'s entry');
    assert.equal(await tab2.locator('#f-kontakt_telefon').inputValue(), '0211 837-1234', 'the entries are kept');
    await check(tab2, tab2Errors, `Onlinedienst: inzwischen geändert (${js})`);
    await tab2.close();
    const stored = await api(w, 'GET', `/api/v1/online-services/${id}/listing`, r.provider);
    assert.equal(stored.content.description, newer, 'the first save is stored');
    assert.ok(!stored.content.contact?.phone, 'the stale save wrote nothing');

    // ---- Submitted for review.
    await p.goto(`${w.baseUrl}/angebote/${id}`);
    await submitAndWait(p, p.locator('#einreichen'));
    assert.equal(await text(p, '#stand'), 'In Prüfung');
    await check(p, anbieter.errors, `Onlinedienst eingereicht (${js})`);

    // ---- The operator finds it in the review queue, sees the new listing, approves it.
    const betrieb = await person('betrieb', /FITKO/);
    const o = betrieb.page;
    assert.ok(Number((await text(o, '#awaiting-count')).replace(/\D/g, '')) >= 1, 'the header counts the listing to review');
    await submitAndWait(o, o.locator('#pruefung-link'));
    await check(o, betrieb.errors, `Prüfung (${js})`);
    const queued = o.locator(`[data-testid=pruefung][data-id="${id}"]`);
    assert.equal(await queued.locator('a').innerText(), NAME);
    await submitAndWait(o, queued.locator('a'));
    await check(o, betrieb.errors, `Prüfung eines Onlinedienstes (${js})`);
    assert.match(await text(o, '#aenderungen-titel'), /Neuer Onlinedienst/);
    assert.ok((await o.locator('[data-testid=diff-zeile][data-key=beschreibung] [data-testid=nachher]').innerText()).includes(newer), 'the submitted description in the diff');
    assert.ok((await o.locator('[data-testid=diff-zeile][data-key=name] [data-testid=nachher]').innerText()).includes(NAME));
    await submitAndWait(o, o.locator('#freigeben'));
    assert.match(await text(o, '.flash'), /freigegeben und veröffentlicht/);
    assert.equal(await o.locator(`[data-testid=pruefung][data-id="${id}"]`).count(), 0, 'gone from the queue');
    await check(o, betrieb.errors, `Prüfung nach Freigabe (${js})`);
    await waitListed(w, id);

    // ---- Köln orders it by an individual request: draft, then submit.
    const k = koeln.page;
    await k.goto(`${w.baseUrl}/onlinedienste/${id}`);
    await check(k, koeln.errors, `Onlinedienst im Katalog (${js})`);
    assert.equal(await text(k, '#dienst-name'), NAME);
    await k.goto(`${w.baseUrl}/onlinedienste/${id}/anfrage`);
    await check(k, koeln.errors, `Anfrage-Formular (${js})`);
    assert.match(await text(k, 'main'), /1\.200,00/, 'the annual fee before ordering');
    await submitAndWait(k, k.getByRole('button', { name: 'Als Entwurf speichern' }));
    assert.match(k.url(), /\/anfragen\/[0-9a-f-]{36}$/);
    const requestId = k.url().split('/').pop();
    await submitAndWait(k, k.getByRole('button', { name: 'Anfrage einreichen' }));
    assert.equal(await text(k, '#stand'), 'Eingereicht');
    await check(k, koeln.errors, `Anfrage eingereicht (${js})`);

    // ---- NRW's coordinator: counted in the header, listed, approved.
    const nrw = await person('nrw-koordination', /Nordrhein-Westfalen/);
    const c = nrw.page;
    assert.ok(Number((await text(c, '#awaiting-count')).replace(/\D/g, '')) >= 1, 'the header counts the request');
    await c.goto(`${w.baseUrl}/anfragen`);
    await check(c, nrw.errors, `Anfragen der Landeskoordination (${js})`);
    await submitAndWait(c, c.locator(`[data-testid=anfrage][data-id="${requestId}"] a`).first());
    await check(c, nrw.errors, `Anfrage zur Entscheidung (${js})`);
    await submitAndWait(c, c.locator('#genehmigen'));
    assert.equal(await text(c, '#stand'), 'Vom Land genehmigt');
    assert.match(await text(c, '#verlauf'), /Vom Land genehmigt – \d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr, .*Nordrhein-Westfalen/, 'who and when');
    await check(c, nrw.errors, `Anfrage genehmigt (${js})`);

    // ---- Bavaria's coordinator finds nothing of it.
    const bayern = await person('by-koordination', /Bayern/);
    const b = bayern.page;
    await b.goto(`${w.baseUrl}/anfragen`);
    await check(b, bayern.errors, `Anfragen Bayern (${js})`);
    assert.equal(await b.locator(`[data-testid=anfrage][data-id="${requestId}"]`).count(), 0, 'not in Bavaria\'s list');
    const hidden = await b.goto(`${w.baseUrl}/anfragen/${requestId}`);
    assert.equal(hidden.status(), 404);
    answeredOnPurpose(bayern.errors, 404, `/anfragen/${requestId}`);
    assert.equal(await text(b, 'h1'), 'Seite nicht gefunden');
    await check(b, bayern.errors, `Anfrage für Bayern: 404 (${js})`);

    // ---- The provider accepts, seeing the terms and fees that will be frozen.
    await p.goto(`${w.baseUrl}/anfragen/${requestId}`);
    await check(p, anbieter.errors, `Anfrage zur Annahme (${js})`);
    assert.match(await text(p, '#festgehalten'), /Fassung 3\.1/);
    assert.match(await text(p, '#kosten'), /1\.200,00/);
    await p.locator('#f-mindestlaufzeit').fill('24');
    await p.locator('#f-kuendigungsfrist').fill('6');
    await submitAndWait(p, p.getByRole('button', { name: 'Anfrage annehmen' }));
    assert.match(await text(p, '.flash'), /angenommen/);
    const link = p.locator('#vertraege a').first();
    const number = (await link.innerText()).replace('Nachnutzungsvertrag ', '');
    assert.match(number, /^EFA-\d{4}-\d{6}$/);
    await check(p, anbieter.errors, `Anfrage angenommen (${js})`);

    // ---- Both sign: Köln first (counted as awaiting it), then the provider.
    await k.goto(`${w.baseUrl}/vertraege`);
    assert.ok(Number((await text(k, '#awaiting-count')).replace(/\D/g, '')) >= 1, 'the signature awaits Köln');
    await submitAndWait(k, k.getByRole('link', { name: number }));
    await check(k, koeln.errors, `Vertrag zu unterschreiben (${js})`);
    assert.equal(await text(k, '#bedingungen-version'), '3.1', 'the terms frozen');
    assert.match(await text(k, 'main'), /24 Monate/);
    await submitAndWait(k, k.locator('#unterschreiben'));
    assert.match(await text(k, '.flash'), /sobald die andere Seite/);
    await submitAndWait(p, link);
    await check(p, anbieter.errors, `Vertrag beim Anbieter (${js})`);
    await submitAndWait(p, p.locator('#unterschreiben'));
    assert.equal(await text(p, '#stand'), 'Aktiv');
    assert.match(await text(p, '.flash'), /Beide Seiten haben unterschrieben/);

    // ---- Onboarding: each side ticks its steps; the last one makes it live.
    async function tickAll(who, label) {
      let n = 0;
      for (;;) {
        const step = who.page.locator('[data-testid=schritt][data-done=nein]').filter({ has: who.page.getByRole('button', { name: 'Erledigt' }) }).first();
        if ((await step.count()) === 0) break;
        const key = await step.getAttribute('data-step');
        await submitAndWait(who.page, step.getByRole('button', { name: 'Erledigt' }));
        assert.equal(await who.page.locator(`[data-testid=schritt][data-step=${key}]`).getAttribute('data-done'), 'ja');
        n += 1;
      }
      await check(who.page, who.errors, label);
      return n;
    }
    await k.reload();
    assert.equal(await tickAll(koeln, `Onboarding Köln (${js})`), 3, 'Köln\'s three steps');
    assert.equal(await text(k, '#stand'), 'Aktiv', 'the provider\'s step is still open');
    await p.reload();
    assert.equal(await tickAll(anbieter, `Onboarding Anbieter (${js})`), 1, 'the provider\'s test case');
    assert.equal(await text(p, '#stand'), 'Live');
    assert.match(await text(p, '.flash'), /live/);
    const detail = await api(w, 'GET', `/api/v1/agreements/${number}`, r.provider);
    assert.equal(detail.state, 'live', 'live in the database');
    assert.equal(detail.onboarding.filter((s) => s.done_by).length, 4);

    // ---- Bavaria's coordinator: the agreement is a 404 page too.
    const gone = await b.goto(`${w.baseUrl}/vertraege/${number}`);
    assert.equal(gone.status(), 404);
    answeredOnPurpose(bayern.errors, 404, `/vertraege/${number}`);
    await check(b, bayern.errors, `Vertrag für Bayern: 404 (${js})`);

    // ---- Köln's coverage shows the service live, by the agreement.
    const covered = k.locator(`tr.leistung[data-ozg="${ozg}"]`);
    for (let i = 0; i < 50; i += 1) {
      await k.goto(`${w.baseUrl}/abdeckung/gemeinden/${KOELN}?abgedeckt=ja`);
      if ((await covered.count()) > 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    await check(k, koeln.errors, `Abdeckung Köln nachher (${js})`);
    assert.equal(await covered.getAttribute('data-covered'), 'true');
    assert.equal(await covered.locator('[data-testid=dienst]').innerText(), NAME);
    assert.match(await covered.locator('[data-testid=wodurch]').innerText(), new RegExp(`Vertrag ${number}`));
    assert.equal(Number(await text(k, '#abdeckung-online')), coveredBefore + 1, 'one more OZG-Leistung online in Köln');

    // Nothing from the shop went wrong in any of the contexts (the provider's login page asks
    // for a Google font and a favicon: not ours).
    for (const who of [koeln, anbieter, betrieb, nrw, bayern]) {
      assert.deepEqual(who.errors.errors.filter((e) => e.url.startsWith(w.baseUrl)), [], 'no browser errors from the shop');
    }
  } finally {
    for (const ctx of contexts) await ctx.close();
  }
}

test('the whole chain through the browser — with JavaScript (SQLite)', async () => {
  await chain({ javaScriptEnabled: true, db: 'sqlite' });
});

test('the whole chain without JavaScript (PostgreSQL)', async () => {
  await chain({ javaScriptEnabled: false, db: 'postgres' });
});

test('axe checked every page of the chain, with and without JavaScript', () => {
  const withJs = checkedPages.filter((p) => p.javaScript);
  const withoutJs = checkedPages.filter((p) => !p.javaScript);
  assert.ok(withJs.length >= 27, `pages checked with JavaScript: ${withJs.length}`);
  assert.ok(withoutJs.length >= 27, `pages checked without JavaScript: ${withoutJs.length}`);
  assert.equal(checkedPages.reduce((n, p) => n + p.violations, 0), 0);
});
