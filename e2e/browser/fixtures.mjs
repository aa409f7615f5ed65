// What the journeys need before a municipality can order, made the way providers, operators
// and coordinators make it today: through the JSON API with bearer tokens from `efa token`
// (the local development key of the test's database). Their shop workspaces come later.

import { spawn } from 'node:child_process';
import { efaBin } from './harness.mjs';

const NRW = 'land:05';
const OPERATOR = 'name:FITKO (Föderale IT-Kooperation)';

function run(bin, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`efa ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/** A bearer token for `org` (an efa token --org key) with `role`, from the world's dev key. */
export async function token(world, org, role, land) {
  const args = ['token', '--org', org, '--role', role, '--ttl', '1h'];
  if (land) args.push('--land', land);
  return run(await efaBin(), args, { cwd: world.efa.dir, env: { ...process.env, DATABASE_URL: world.efa.databaseUrl, EFA_LOG: 'warn' } });
}

/** One API call; throws unless the status is `expect`. */
export async function api(world, method, path, bearer, body, expect = 200) {
  const res = await fetch(`${world.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export const roles = async (world) => ({
  provider: await token(world, NRW, 'provider_publisher'),
  coordinator: await token(world, NRW, 'land_coordinator', '05'),
  operator: await token(world, OPERATOR, 'operator'),
});

/** A complete NRW listing for Wohngeld, published (draft → submit → operator approves). */
export async function publishListing(world, r, name, annualCents) {
  const body = {
    name,
    description: 'Wohngeld vollständig online beantragen, mit Nachweisupload und Bescheid ins Postfach.',
    provider_org_id: (await api(world, 'GET', '/api/v1/organisations?kind=land&land=05', r.provider)).items[0].id,
    ozg_ids: [10092],
    lead_land: '05',
    efa: true,
    status: 'live',
    reifegrad: 3,
    anbindung: ['fit_connect'],
    url: 'https://service.example.nrw.de/wohngeld',
    price: { model: 'annual', annual_fee_cents: annualCents, one_off_anbindung_fee_cents: 50000, pro_rata_first_year: true },
    terms: { text: 'Nutzungsbedingungen 1.0 für die Nachnutzung des Onlinedienstes.', version: '1.0' },
    contact: { name: 'EfA-Servicedesk NRW', email: 'efa@example.nrw.de' },
    availability: { nationwide: false, laender: ['05'] },
  };
  const created = await api(world, 'POST', '/api/v1/online-services', r.provider, body, 201);
  await api(world, 'POST', `/api/v1/online-services/${created.id}/submit`, r.provider);
  await api(world, 'POST', `/api/v1/online-services/${created.id}/approve`, r.operator);
  return created.id;
}

/** A framework agreement for `serviceId` in NRW, approved by NRW's coordinator. */
export async function approvedFramework(world, r, serviceId) {
  const f = await api(world, 'POST', '/api/v1/framework-agreements', r.provider,
    { online_service_id: serviceId, land: '05', terms_text: 'Rahmenvertrag NRW für die Nachnutzung, Fassung 2026.', terms_version: '2026-1' }, 201);
  await api(world, 'POST', `/api/v1/framework-agreements/${f.id}/approve`, r.coordinator);
  return f.id;
}

/** Waits until the published listing is in the catalogue snapshot the pages read. */
export async function waitListed(world, serviceId) {
  for (let i = 0; i < 50; i += 1) {
    const res = await fetch(`${world.baseUrl}/api/v1/online-services/${serviceId}`);
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`listing ${serviceId} never appeared in the catalogue`);
}
