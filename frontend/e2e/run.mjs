// End-to-end tests of the web app in a real headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core: no browser download),
// against the real ODG server with the demo data.
//
// The server is `$ODG_BIN serve --demo` (default /var/tmp/odg-target/debug/odg)
// on a free loopback port with a throwaway data directory, serving the built
// app from `dist/` (ODG_WEB_DIR). If that server does not serve the app at /
// (an older binary), `vite preview` serves dist/ and proxies /graphql and
// /tiles to it. Screenshots go to $E2E_ARTIFACTS (default a temp dir).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const dist = join(root, 'dist');
const odgBin = process.env.ODG_BIN || '/var/tmp/odg-target/debug/odg';
const chromePath = process.env.CHROMIUM || '/usr/bin/chromium';
const artifacts = process.env.E2E_ARTIFACTS || mkdtempSync(join(tmpdir(), 'odg-e2e-artifacts-'));
const PASSWORD = 'demo-ODG-2026';
// Short-lived access tokens, so that the app refreshes its session (every few
// seconds) while the tests run: no test may notice it.
const ACCESS_TTL = 64;
const children = [];
const tempDirs = [];

function freePort() {
  return new Promise((ok, ko) => {
    const srv = createServer();
    srv.on('error', ko);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function start(cmd, args, env, name) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  child.on('exit', (code) => code && code !== 0 && console.error(`${name} exited with ${code}:\n${log.slice(-2000)}`));
  children.push(child);
  return { child, log: () => log };
}

async function waitFor(url, what, timeoutMs = 60_000, proc) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc && proc.child.exitCode !== null) throw new Error(`${what} stopped:\n${proc.log().slice(-2000)}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs} ms${proc ? `:\n${proc.log().slice(-2000)}` : ''}`);
}

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

async function graphql(base, query, variables, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

async function main() {
  if (!existsSync(join(dist, 'index.html'))) throw new Error('dist/index.html is missing: run `npm run build` first');
  if (!existsSync(odgBin)) throw new Error(`no ODG binary at ${odgBin} (set ODG_BIN)`);
  if (!existsSync(chromePath)) throw new Error(`no Chromium at ${chromePath}: apt-get install -y chromium`);

  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'odg-e2e-data-'));
  tempDirs.push(dataDir);
  const server = start(odgBin, ['serve', '--demo'], { ODG_BIND: `127.0.0.1:${port}`, ODG_DATA_DIR: dataDir, ODG_WEB_DIR: dist, RUST_LOG: 'warn', ODG_ACCESS_TOKEN_TTL_SECS: String(ACCESS_TTL) }, 'odg');
  const api = `http://127.0.0.1:${port}`;
  await waitFor(`${api}/healthz`, 'odg', 120_000, server);

  let base = api;
  const index = await fetch(`${api}/carte`, { headers: { accept: 'text/html' } }).then((r) => r.text()).catch(() => '');
  if (!index.includes('<div id="root">')) {
    const previewPort = await freePort();
    const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
    const preview = start(process.execPath, [vite, 'preview', '--port', String(previewPort), '--strictPort', '--host', '127.0.0.1'], { ODG_URL: api }, 'vite preview');
    base = `http://127.0.0.1:${previewPort}`;
    await waitFor(`${base}/`, 'vite preview', 30_000, preview);
    console.log(`note: this odg binary does not serve the app (ODG_WEB_DIR); using vite preview at ${base}`);
  }
  console.log(`app at ${base}, artefacts in ${artifacts}`);
  mkdirSync(artifacts, { recursive: true });

  const browser = await chromium.launch({
    executablePath: chromePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });

  const consoleErrors = [];
  async function newPage() {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const text = m.text();
      const where = m.location()?.url ?? '';
      // The OpenStreetMap basemap is unreachable on an offline machine; the app falls back to a plain background.
      if (/openstreetmap/.test(text) || /openstreetmap/.test(where)) return;
      consoleErrors.push(`${page.url()}: ${text} ${where}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: uncaught ${e.message}`));
    return { context, page };
  }

  async function signIn(page, username) {
    await page.goto(`${base}/connexion`);
    await page.getByLabel('Identifiant ou e-mail').fill(username);
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
  }

  const results = [];
  async function test(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true });
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      results.push({ name, ok: false });
      console.log(`FAIL ${name}: ${e.stack || e}`);
    }
  }

  const editor = await newPage();

  await test('an anonymous visitor of / gets the French sign-in form', async () => {
    const { page } = editor;
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
    await page.getByLabel('Mot de passe').waitFor();
    assert(new URL(page.url()).pathname === '/connexion', `landed on ${page.url()}`);
  });

  await test('a wrong password gets the generic refusal, not a hint', async () => {
    const { page } = editor;
    await page.getByLabel('Identifiant ou e-mail').fill('admin');
    await page.getByLabel('Mot de passe').fill('not-the-password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const text = await page.getByTestId('login-error').textContent();
    assert(/identifiant ou mot de passe incorrect/i.test(text), `error was: ${text}`);
  });

  await test('the editor signs in and the dashboard figures match GraphQL', async () => {
    const { page } = editor;
    await signIn(page, 'editeur');
    const data = await graphql(
      api,
      `{ a: deposits(first: 0, filter: { status: [ACTIVE] }) { totalCount }
         p: exploitationAreas(first: 0, filter: { status: [ACTIVE] }) { totalCount }
         o: operators(first: 0, filter: { status: [ACTIVE] }) { totalCount }
         m: deposits(first: 0, filter: { commodityCode: ["MN"] }) { totalCount }
         l: layers(first: 0) { totalCount } }`,
    );
    const kpi = async (id) => (await page.locator(`[data-kpi="${id}"] .kpi__value`).textContent()).replace(/\s/g, '');
    assert((await kpi('active-deposits')) === String(data.a.totalCount), `active deposits ${await kpi('active-deposits')} vs ${data.a.totalCount}`);
    assert((await kpi('active-permits')) === String(data.p.totalCount), 'active permits differ');
    assert((await kpi('operators')) === String(data.o.totalCount), 'operators differ');
    assert((await kpi('layers')) === String(data.l.totalCount), 'layers differ');
    const mn = await page.locator('[data-bar="MN"]').first().getAttribute('data-value');
    assert(mn === String(data.m.totalCount), `MN bar ${mn} vs ${data.m.totalCount}`);
  });

  await test('the map draws the deposits layer from vector tiles, and the toggle hides it', async () => {
    const { page } = editor;
    await page.getByRole('link', { name: 'Carte' }).click();
    await page.locator('[data-testid="map"][data-ready="true"]').waitFor();
    const rendered = (layer) => page.evaluate((l) => window.__odgMap.queryRenderedFeatures({ layers: [l] }).length, layer);
    await page.waitForFunction(() => window.__odgMap.queryRenderedFeatures({ layers: ['deposits-circle'] }).length > 0, null, { timeout: 30_000 });
    assert((await rendered('areas-fill')) > 0, 'no exploitation area drawn');
    await page.screenshot({ path: join(artifacts, 'map-deposits.png') });
    await page.locator('[data-layer-toggle="deposits"]').uncheck();
    await page.waitForFunction(() => window.__odgMap.queryRenderedFeatures({ layers: ['deposits-circle'] }).length === 0);
    await page.locator('[data-layer-toggle="deposits"]').check();
    await page.waitForFunction(() => window.__odgMap.queryRenderedFeatures({ layers: ['deposits-circle'] }).length > 0);
  });

  await test('a box drawn on the map lists the features it meets', async () => {
    const { page } = editor;
    const box = await page.getByTestId('map').boundingBox();
    // Frame Moanda's manganese district, then draw a box around the middle of the map.
    await page.evaluate(() => window.__odgMap.jumpTo({ center: [13.2, -1.55], zoom: 9 }));
    await page.locator('[data-tool="selectBox"]').click();
    await page.mouse.click(box.x + box.width / 2 - 200, box.y + box.height / 2 - 200);
    await page.mouse.click(box.x + box.width / 2 + 200, box.y + box.height / 2 + 200);
    const selection = page.getByTestId('selection');
    await selection.getByText(/objet\(s\) sélectionné\(s\)/).waitFor();
    const text = await selection.textContent();
    assert(/Bangombé/.test(text), `selection did not list Plateau de Bangombé: ${text.slice(0, 300)}`);
  });

  await test('clicking a deposit shows its details', async () => {
    const { page } = editor;
    await page.evaluate(() => window.__odgMap.jumpTo({ center: [13.118, -1.628], zoom: 11 }));
    await page.waitForFunction(() => window.__odgMap.loaded() && window.__odgMap.queryRenderedFeatures({ layers: ['deposits-circle'] }).length > 0);
    const at = await page.evaluate(() => window.__odgMap.project([13.118, -1.628]));
    const box = await page.getByTestId('map').boundingBox();
    await page.mouse.click(box.x + at.x, box.y + at.y);
    const details = page.getByTestId('feature-details');
    await details.getByRole('heading', { name: 'Plateau de Yéyé' }).waitFor();
    assert(/Manganèse/.test(await details.textContent()), 'the details do not name the commodity');
  });

  await test('measuring a distance on the map gives kilometres', async () => {
    const { page } = editor;
    await page.evaluate(() => window.__odgMap.jumpTo({ center: [13.2, -1.55], zoom: 9 }));
    const box = await page.getByTestId('map').boundingBox();
    await page.locator('[data-tool="measureDistance"]').click();
    await page.mouse.click(box.x + box.width / 2 - 150, box.y + box.height / 2);
    await page.mouse.click(box.x + box.width / 2 + 150, box.y + box.height / 2);
    await page.getByRole('button', { name: 'Terminer' }).click();
    const text = await page.getByTestId('measure').textContent();
    const km = Number(text.replace(/[^\d,]/g, '').replace(',', '.'));
    // The same two pixels, measured by MapLibre itself (haversine).
    const expected = await page.evaluate(({ w, h }) => {
      const m = window.__odgMap;
      return m.unproject([w / 2 - 150, h / 2]).distanceTo(m.unproject([w / 2 + 150, h / 2])) / 1000;
    }, { w: box.width, h: box.height });
    assert(/km/.test(text) && Math.abs(km - expected) / expected < 0.01, `measure was ${text}, expected about ${expected.toFixed(2)} km`);
    await page.getByRole('button', { name: 'Effacer' }).click();
  });

  await test('searching a name flies the map to it', async () => {
    const { page } = editor;
    await page.getByRole('searchbox').fill('mabounie');
    const result = page.getByTestId('search-results').getByRole('button', { name: /Mabounié/ }).first();
    await result.click();
    await page.waitForFunction(() => {
      const c = window.__odgMap.getCenter();
      return !window.__odgMap.isMoving() && Math.abs(c.lng - 10.56) < 0.2 && Math.abs(c.lat + 0.8) < 0.2;
    });
  });

  await test('the session is refreshed silently and survives a reload', async () => {
    const { page } = editor;
    const first = await page.evaluate(() => JSON.parse(localStorage.getItem('odg.session')).refreshToken);
    await page.waitForFunction((t) => JSON.parse(localStorage.getItem('odg.session') || '{}').refreshToken !== t, first, { timeout: 20_000 });
    await page.goto(`${base}/operateurs`);
    await page.locator('tbody tr').first().waitFor();
    assert(new URL(page.url()).pathname === '/operateurs', `sent to ${page.url()}`);
  });

  await test('a GeoTIFF layer is drawn from its raster tiles', async () => {
    const { page } = editor;
    // A 40 × 20 single-band grid in UTM 33S (EPSG:32733) over Moanda, made by GDAL.
    const dir = mkdtempSync(join(tmpdir(), 'odg-e2e-tif-'));
    const rows = Array.from({ length: 20 }, () => Array.from({ length: 40 }, (_, c) => c * 10).join(' ')).join('\n');
    writeFileSync(join(dir, 'grid.asc'), `ncols 40\nnrows 20\nxllcorner 295000\nyllcorner 9825000\ncellsize 250\nNODATA_value -9999\n${rows}\n`);
    execFileSync('gdal_translate', ['-q', '-of', 'GTiff', '-a_srs', 'EPSG:32733', join(dir, 'grid.asc'), join(dir, 'grid.tif')]);
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('odg.session')).accessToken);
    const form = new FormData();
    form.append('operations', JSON.stringify({
      query: 'mutation($file: Upload!) { importLayer(file: $file, input: { name: "Teneurs e2e" }) { id } }',
      variables: { file: null },
    }));
    form.append('map', JSON.stringify({ 0: ['variables.file'] }));
    form.append('0', new Blob([readFileSync(join(dir, 'grid.tif'))]), 'teneurs.tif');
    const started = await (await fetch(`${api}/graphql`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form })).json();
    const importId = started.data?.importLayer?.id;
    assert(importId, `import not started: ${JSON.stringify(started)}`);
    let layerId = null;
    for (let i = 0; i < 100 && !layerId; i++) {
      const { import: imp } = await graphql(api, 'query($id: ID!) { import(id: $id) { status error layer { id } } }', { id: importId }, token);
      assert(imp.status !== 'FAILED', `GeoTIFF import failed: ${imp.error}`);
      layerId = imp.layer?.id ?? null;
      if (!layerId) await new Promise((r) => setTimeout(r, 100));
    }
    assert(layerId, 'the GeoTIFF import did not finish');
    const pngs = [];
    const onResponse = (r) => {
      if (r.url().includes(`/tiles/raster/${layerId}/`) && r.status() === 200) pngs.push(r.headers()['content-type']);
    };
    page.on('response', onResponse);
    await page.goto(`${base}/carte`);
    await page.locator('[data-testid="map"][data-ready="true"]').waitFor();
    await page.evaluate(() => window.__odgMap.jumpTo({ center: [13.2, -1.56], zoom: 11 }));
    await page.waitForFunction(
      (id) => {
        const m = window.__odgMap;
        const src = m.getSource(`raster-${id}`);
        return !!src && src.type === 'raster' && !!m.getLayer(`raster-${id}`) && m.isSourceLoaded(`raster-${id}`);
      },
      layerId,
      { timeout: 20_000 },
    );
    page.off('response', onResponse);
    assert(pngs.length > 0 && pngs.every((t) => t === 'image/png'), `raster tiles fetched: ${JSON.stringify(pngs)}`);
    await page.screenshot({ path: join(artifacts, 'map-raster-layer.png') });
  });

  await test('a KML dropped on the layers page is previewed, imported with live progress and drawn on the map', async () => {
    const { page } = editor;
    const kml = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Puits e2e</name>
<Placemark><name>Puits A</name><ExtendedData><Data name="profondeur"><value>12</value></Data></ExtendedData><Point><coordinates>9.45,0.39</coordinates></Point></Placemark>
<Placemark><name>Puits B</name><ExtendedData><Data name="profondeur"><value>30</value></Data></ExtendedData><Point><coordinates>9.50,0.42</coordinates></Point></Placemark>
<Placemark><name>Piste</name><LineString><coordinates>9.45,0.39 9.50,0.42 9.55,0.40</coordinates></LineString></Placemark>
</Document></kml>`;
    const sockets = [];
    const onSocket = (ws) => {
      const seen = { url: ws.url(), frames: [] };
      ws.on('framereceived', (f) => seen.frames.push(String(f.payload)));
      sockets.push(seen);
    };
    page.on('websocket', onSocket);
    await page.goto(`${base}/couches`);
    const zone = page.getByTestId('dropzone');
    await zone.waitFor();
    // A real drag and drop: a DataTransfer holding the file, dropped on the zone.
    const transfer = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'puits-e2e.kml', { type: 'application/vnd.google-earth.kml+xml' }));
      return dt;
    }, kml);
    await zone.dispatchEvent('dragover', { dataTransfer: transfer });
    await zone.dispatchEvent('drop', { dataTransfer: transfer });
    const preview = page.getByTestId('import-preview');
    await preview.waitFor();
    assert((await page.getByTestId('preview-count').textContent()).trim() === '3', 'the preview does not count 3 features');
    await page.getByTestId('preview-map').waitFor();
    await page.getByRole('button', { name: 'Importer', exact: true }).click();
    await page.locator('[data-testid="import-progress"][data-status="SUCCEEDED"]').waitFor({ timeout: 30_000 });
    page.off('websocket', onSocket);
    // The progress came from the importProgress subscription (graphql-transport-ws), not from polling.
    assert(sockets.some((w) => w.url.endsWith('/graphql') && w.frames.some((f) => f.includes('importProgress'))), `no importProgress over WebSocket: ${JSON.stringify(sockets).slice(0, 400)}`);
    const href = await page.getByRole('link', { name: 'Ouvrir la couche' }).getAttribute('href');
    const layerId = href.split('/').pop();
    await page.getByTestId('import-history').getByText('puits-e2e.kml').first().waitFor();
    await page.goto(`${base}/carte`);
    await page.locator('[data-testid="map"][data-ready="true"]').waitFor();
    await page.evaluate(() => window.__odgMap.jumpTo({ center: [9.5, 0.4], zoom: 10 }));
    // Drawn from the layer's vector tiles (TileJSON /tiles/layer-<id>.json, MVT layer layer-<id>), not from GeoJSON.
    await page.waitForFunction(
      (id) => {
        const m = window.__odgMap;
        const src = m.getSource(`layer-${id}`);
        if (!src || src.type !== 'vector' || !m.getLayer(`layer-${id}-circle`)) return false;
        const hits = m.queryRenderedFeatures({ layers: [`layer-${id}-circle`, `layer-${id}-line`] });
        const names = new Set(hits.filter((f) => f.sourceLayer === `layer-${id}`).map((f) => f.properties.name));
        return names.has('Puits A') && names.has('Puits B') && names.has('Piste');
      },
      layerId,
      { timeout: 20_000 },
    );
    const tiles = await page.evaluate((id) => {
      const m = window.__odgMap;
      const src = m.getSource(`layer-${id}`);
      const points = m.queryRenderedFeatures({ layers: [`layer-${id}-circle`] });
      return { url: src.url, points: points.length, pointsSourceLayer: [...new Set(points.map((f) => f.sourceLayer))], props: points.find((f) => f.properties.name === 'Puits B')?.properties };
    }, layerId);
    assert(tiles.url.endsWith(`/tiles/layer-${layerId}.json`), `source url ${tiles.url}`);
    assert(tiles.points === 2 && tiles.pointsSourceLayer.join() === `layer-${layerId}`, `points drawn: ${JSON.stringify(tiles)}`);
    assert(String(tiles.props?.profondeur) === '30', `tile properties: ${JSON.stringify(tiles.props)}`);
    // The layer is private: its tiles answer only with the token, which the map sends in a header.
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('odg.session')).accessToken);
    const { layer } = await graphql(api, `query($id: ID!) { layer(id: $id) { public } }`, { id: layerId }, token);
    const anonymous = await fetch(`${api}/tiles/layer-${layerId}.json`);
    assert(layer.public || anonymous.status === 404, `anonymous TileJSON of a private layer: ${anonymous.status}`);
    assert(!layer.public, 'the imported layer is public: the token path is not exercised');
    await page.locator(`[data-legend-layer="${layerId}"]`).waitFor();
    await page.screenshot({ path: join(artifacts, 'map-kml-layer.png') });
    // Clicking a point of the layer shows its properties.
    const at = await page.evaluate(() => window.__odgMap.project([9.5, 0.42]));
    const mapBox = await page.getByTestId('map').boundingBox();
    await page.mouse.click(mapBox.x + at.x, mapBox.y + at.y);
    const details = page.getByTestId('feature-details');
    await details.getByRole('heading', { name: 'Puits B' }).waitFor();
    assert(/profondeur/.test(await details.textContent()), 'the details do not list the attributes');
    // The toggle hides it.
    await page.locator(`[data-user-layer-toggle="${layerId}"]`).uncheck();
    await page.waitForFunction((id) => window.__odgMap.queryRenderedFeatures({ layers: [`layer-${id}-circle`, `layer-${id}-line`] }).length === 0, layerId);
    await page.locator(`[data-user-layer-toggle="${layerId}"]`).check();
    await page.goto(`${base}/couches/${layerId}`);
    await page.getByTestId('attribute-table').getByText('Puits B').waitFor();
  });

  await test('a layer offers its GeoPackage export, statistics and feature editing', async () => {
    const { page } = editor;
    const layerId = new URL(page.url()).pathname.split('/').pop();
    const gpkg = page.locator('[data-export="GPKG"]');
    assert((await gpkg.textContent()).includes('GeoPackage'), 'no GeoPackage export button');
    const href = await gpkg.getAttribute('data-href');
    assert(href.endsWith(`/layers/${layerId}/export?format=gpkg`), `GeoPackage export URL ${href}`);
    const [download] = await Promise.all([page.waitForEvent('download'), gpkg.click()]);
    assert(download.suggestedFilename().endsWith('.gpkg'), `downloaded ${download.suggestedFilename()}`);
    const bytes = readFileSync(await download.path());
    assert(bytes.subarray(0, 15).toString('latin1') === 'SQLite format 3', 'the GeoPackage is not an SQLite database');
    // Statistics of the layer.
    await page.locator('[data-stat="count"]', { hasText: /^3$/ }).waitFor();
    await page.getByTestId('distinct-values').getByText('Puits A').waitFor();
    // Edit a feature's property field by field.
    const row = page.getByTestId('attribute-table').locator('tr', { hasText: 'Puits B' });
    await row.getByTestId('edit-feature').click();
    const editorForm = page.getByTestId('feature-editor');
    await editorForm.getByLabel('profondeur').fill('31');
    await editorForm.getByRole('button', { name: 'Enregistrer' }).click();
    await page.locator('.notice--ok', { hasText: 'Enregistré.' }).waitFor();
    await row.locator('td', { hasText: /^31$/ }).waitFor();
    // A JSON that is not an object is refused before it is sent.
    await row.getByTestId('edit-feature').click();
    await editorForm.getByRole('button', { name: 'JSON' }).click();
    await editorForm.getByLabel(/Propriétés/).fill('[1, 2]');
    await editorForm.getByRole('button', { name: 'Enregistrer' }).click();
    await editorForm.locator('[aria-invalid="true"]').waitFor();
    await editorForm.getByRole('button', { name: 'Annuler' }).click();
    await page.screenshot({ path: join(artifacts, 'layer-detail.png'), fullPage: true });
    // Delete a feature, with confirmation.
    page.once('dialog', (d) => d.accept());
    await page.getByTestId('attribute-table').locator('tr', { hasText: 'Piste' }).getByTestId('delete-feature').click();
    await page.locator('.notice--ok', { hasText: 'Supprimé.' }).waitFor();
    await page.waitForFunction(() => ![...document.querySelectorAll('[data-testid="attribute-table"] td')].some((td) => td.textContent === 'Piste'));
    await page.locator('[data-stat="count"]', { hasText: /^2$/ }).waitFor();
  });

  await test('the editor edits a deposit and the change is there after a reload', async () => {
    const { page } = editor;
    await page.goto(`${base}/gisements`);
    await page.locator('tbody tr').first().waitFor();
    await page.locator('tbody tr').first().getByRole('link').first().click();
    const province = page.getByLabel('Province');
    await province.waitFor();
    const value = `Province e2e ${Date.now()}`;
    await province.fill(value);
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Enregistré.').waitFor();
    await page.reload();
    await page.getByLabel('Province').waitFor();
    assert((await page.getByLabel('Province').inputValue()) === value, 'the province did not persist');
  });

  await test('a bad geometry gets the server error on the geometry field', async () => {
    const { page } = editor;
    const geometry = page.getByLabel(/Géométrie/);
    await geometry.fill('{"type":"Polygon","coordinates":[[[10.7,-0.1],[10.8,-0.1],[10.8,-0.2],[10.7,-0.2]]]}');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.locator('textarea[name="geometry"][aria-invalid="true"]').waitFor();
    const describedBy = await geometry.getAttribute('aria-describedby');
    const text = await page.locator(`[id="${describedBy}"]`).textContent();
    assert(/not closed|ferm/i.test(text), `geometry error was: ${text}`);
  });

  await test('the interface switches to English', async () => {
    const { page } = editor;
    await page.goto(`${base}/`);
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('link', { name: 'Deposits', exact: true }).waitFor();
    assert((await page.getAttribute('html', 'lang')) === 'en', 'html lang is not en');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: 'Tableau de bord' }).waitFor();
  });

  await test('a partner sees no edit control', async () => {
    const partner = await newPage();
    const { page } = partner;
    await signIn(page, 'partenaire');
    for (const path of ['/gisements', '/permis', '/infrastructures', '/operateurs']) {
      await page.goto(`${base}${path}`);
      await page.locator('tbody tr').first().waitFor();
      assert((await page.getByTestId('create').count()) === 0, `${path} offers to create`);
      assert((await page.getByTestId('edit').count()) === 0, `${path} offers to edit`);
    }
    await page.goto(`${base}/gisements`);
    await page.locator('tbody tr').first().getByRole('link').first().click();
    await page.getByTestId('read-only').waitFor();
    assert((await page.locator('form.entity-form').count()) === 0, 'the partner got an edit form');
    assert((await page.getByRole('button', { name: /Enregistrer|Supprimer/ }).count()) === 0, 'save or delete shown to a partner');
    assert((await page.getByRole('link', { name: 'Utilisateurs' }).count()) === 0, 'users admin shown to a partner');
    await page.goto(`${base}/couches`);
    await page.getByRole('heading', { name: 'Historique des imports' }).waitFor();
    assert((await page.getByTestId('dropzone').count()) === 0, 'the partner may upload a layer');
    await page.locator('tbody tr').first().getByRole('link').first().click();
    await page.getByTestId('attribute-table').waitFor();
    assert((await page.locator('form.entity-form').count()) === 0, 'the partner may edit a layer');
    assert((await page.getByRole('button', { name: 'Supprimer' }).count()) === 0, 'the partner may delete a layer');
    await partner.context.close();
  });

  await test('the operator may edit its own company records only', async () => {
    const operator = await newPage();
    const { page } = operator;
    await signIn(page, 'operateur');
    await page.goto(`${base}/gisements`);
    await page.locator('tbody tr').first().waitFor();
    const rows = page.locator('tbody tr');
    const n = await rows.count();
    let editable = 0;
    for (let i = 0; i < n; i++) {
      const row = rows.nth(i);
      const company = (await row.locator('td').nth(3).textContent()).trim();
      const canEdit = (await row.getByTestId('edit').count()) > 0;
      assert(canEdit === company.includes('COMILOG'), `row ${i} (${company}) edit=${canEdit}`);
      if (canEdit) editable++;
    }
    assert(editable > 0, 'no COMILOG deposit is editable');
    await operator.context.close();
  });

  await test('signing out returns to the sign-in form', async () => {
    const { page } = editor;
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('button', { name: 'Se connecter' }).waitFor();
  });

  await test('no page logged a console error', async () => {
    assert(consoleErrors.length === 0, consoleErrors.join('\n'));
  });

  await browser.close();
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0;
}

const started = Date.now();
main()
  .then((ok) => {
    console.log(`e2e finished in ${Math.round((Date.now() - started) / 1000)} s`);
    cleanup();
    process.exit(ok ? 0 : 1);
  })
  .catch((e) => {
    console.error(e);
    cleanup();
    process.exit(1);
  });
