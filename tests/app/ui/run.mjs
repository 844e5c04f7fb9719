// UI end-to-end tests: the built UI (ui/dist) served locally, opened in headless Chromium
// (Debian's `chromium` through `playwright-core`), with the Tauri IPC mocked by
// `@tauri-apps/api/mocks` (harness.ts, injected before the page's scripts).
//
// Usage: node --test tests/app/ui/run.mjs   (after `npm --prefix ui run build`; see ../ui-e2e.sh)
// Screenshots of the main screens go to docs/screenshots/.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const ui = path.join(repo, 'ui');
const dist = path.join(ui, 'dist');
const out = path.join(here, '.out');
const shots = path.join(repo, 'docs/screenshots');
const requireUi = createRequire(path.join(ui, 'package.json'));
const { chromium } = requireUi('playwright-core');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Bundles harness.ts (and the mocks it imports) into one script for `addInitScript`. */
async function buildHarness() {
  const { build } = await import(requireUi.resolve('vite'));
  await build({
    configFile: false,
    root: here,
    logLevel: 'warn',
    resolve: {
      alias: [{ find: /^@tauri-apps\/api/, replacement: path.join(ui, 'node_modules/@tauri-apps/api') }],
    },
    build: {
      outDir: out,
      emptyOutDir: true,
      minify: false,
      lib: { entry: path.join(here, 'harness.ts'), formats: ['iife'], name: 'DocksideHarness', fileName: () => 'harness.js' },
    },
  });
  return path.join(out, 'harness.js');
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

function serve(root) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const file = path.join(root, rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let server;
let browser;
let base;
let harness;

before(async () => {
  harness = await buildHarness();
  server = await serve(dist);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  await mkdir(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** A fresh page on `screen`, the app's state reset (each page gets its own harness). */
async function open(screen = 'servers', colorScheme = 'light', height = 760) {
  const context = await browser.newContext({ viewport: { width: 1180, height }, colorScheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(new Error(msg.text()));
  });
  await page.addInitScript({ path: harness });
  await page.goto(`${base}#${screen}`);
  await page.waitForFunction(() => window.__dockside.calls.some((c) => c.cmd === 'ui_ready'));
  return { page, context, errors };
}

const calls = (page, cmd) => page.evaluate((cmd) => window.__dockside.calls.filter((c) => c.cmd === cmd).map((c) => c.args), cmd);

describe('Servers', () => {
  it('switching a mode calls set_mode with the server and the mode', async () => {
    const { page, context, errors } = await open();
    const row = page.locator('tr[data-server="notes"]');
    await row.getByText('Managed', { exact: true }).click();
    await page.waitForFunction(() => document.querySelector('tr[data-server="notes"] .pill')?.textContent === 'running');
    assert.deepEqual(await calls(page, 'set_mode'), [{ name: 'notes', mode: 'managed' }]);
    assert.equal(await row.locator('input:checked').getAttribute('value'), 'managed');

    // Keyboard: arrow keys move within the radio group and switch again.
    await row.locator('input:checked').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('tr[data-server="notes"] input:checked')?.value === 'docker');
    await page.waitForFunction(() => !document.querySelector('tr[data-server="notes"]')?.hasAttribute('aria-busy'));
    assert.deepEqual((await calls(page, 'set_mode')).at(-1), { name: 'notes', mode: 'docker' });
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('a crash event from the daemon updates the row', async () => {
    const { page, context } = await open();
    const pill = page.locator('tr[data-server="demo"] .pill');
    assert.equal(await pill.textContent(), 'running');
    await page.evaluate(() => window.__dockside.emit('daemon-event', { type: 'server-crashed', server: 'demo', how: 'killed by signal 9' }));
    await page.waitForFunction(() => document.querySelector('tr[data-server="demo"] .pill')?.textContent === 'crashed');
    assert.match(await pill.getAttribute('class'), /pill-bad/);
    assert.equal(await page.locator('tr[data-server="demo"] .state-detail').textContent(), 'killed by signal 9');
    await page.evaluate(() => window.__dockside.emit('daemon-event', { type: 'server-restarted', server: 'demo', pid: 99, attempt: 1 }));
    await page.waitForFunction(() => document.querySelector('tr[data-server="demo"] .pill')?.textContent === 'running');
    await context.close();
  });

  it('screenshot: Servers (light and dark)', async () => {
    for (const scheme of ['light', 'dark']) {
      const { page, context } = await open('servers', scheme);
      // A few latency samples for the sparklines, and an image pull in progress.
      const up = { running: true, paused: false, pid: 4242, url: 'http://127.0.0.1:8813/mcp', error: null, binary: null };
      for (let i = 0; i < 12; i++) {
        await page.evaluate((up) => window.__dockside.emit('gateway-changed', up), up);
        await page.waitForFunction((n) => window.__dockside.calls.filter((c) => c.cmd === 'latency').length >= n, i + 1);
      }
      await page.waitForFunction(() => document.querySelectorAll('polyline').length >= 2);
      await page.evaluate(() =>
        window.__dockside.emit('daemon-event', {
          type: 'image-pull-progress', server: 'fetch', image: 'mcp/fetch:latest', layers_done: 3, layers_total: 5, bytes_done: 31_000_000, bytes_total: 48_000_000, done: false,
        }),
      );
      await page.waitForSelector('tr[data-server="fetch"] progress');
      await page.screenshot({ path: path.join(shots, scheme === 'light' ? 'servers.png' : 'servers-dark.png') });
      await context.close();
    }
  });
});

describe('Catalog editor', () => {
  async function newServer(page) {
    await page.getByRole('button', { name: 'New server' }).click();
    await page.locator('input[name="name"]').waitFor();
  }

  it('shows an error for a bad image name', async () => {
    const { page, context } = await open('catalog');
    await newServer(page);
    await page.locator('input[name="name"]').fill('web');
    await page.getByText('Container image').click();
    await page.locator('input[name="image"]').fill('MCP/Fetch:latest');
    const error = page.locator('[data-field-error="image"]');
    await error.waitFor();
    assert.match(await error.textContent(), /repository names must be lowercase/);
    assert.equal(await page.locator('input[name="image"]').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('[data-action="save"]').isDisabled(), true);
    await page.locator('input[name="image"]').fill('mcp/fetch:latest');
    await error.waitFor({ state: 'detached' });
    assert.equal(await page.locator('[data-action="save"]').isDisabled(), false);
    await context.close();
  });

  it('shows an error for a duplicate server, from the client check and from core', async () => {
    const { page, context } = await open('catalog');
    await newServer(page);
    await page.locator('input[name="name"]').fill('github');
    await page.locator('input[name="program"]').fill('node');
    const error = page.locator('[data-field-error="name"]');
    await error.waitFor();
    assert.match(await error.textContent(), /already exists/);
    // Core was asked too (debounced), with the draft as typed.
    await page.waitForFunction(() => window.__dockside.calls.some((c) => c.cmd === 'validate_server' && c.args.draft.name === 'github'));
    assert.equal(await page.locator('[data-action="save"]').isDisabled(), true);
    await context.close();
  });

  it('save sends the expected catalog entry, unknown keys kept', async () => {
    const { page, context } = await open('catalog');
    await page.locator('.server-item[data-server="github"]').click();
    await page.locator('input[name="title"]').fill('GitHub (work)');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Variable 1 name', { exact: true }).fill('GITHUB_HOST');
    await page.getByLabel('Variable 1 value', { exact: true }).fill('github.example.com');
    await page.locator('input[name="memory"]').fill('512m');
    await page.locator('select[name="network"]').selectOption('none');
    await page.waitForFunction(() => !document.querySelector('[data-action="save"]')?.disabled);
    await page.locator('[data-action="save"]').click();
    await page.waitForFunction(() => window.__dockside.calls.some((c) => c.cmd === 'save_server'));
    const [saved] = await calls(page, 'save_server');
    assert.deepEqual(saved.draft, {
      original: 'github',
      catalog: 'docker-mcp',
      name: 'github',
      server: {
        title: 'GitHub (work)',
        description: 'Repositories, issues and pull requests',
        image: 'mcp/github:latest',
        secrets: [{ name: 'github.personal_access_token', env: 'GITHUB_PERSONAL_ACCESS_TOKEN' }],
        allowHosts: ['api.github.com:443'],
        dateAdded: '2025-05-01T00:00:00Z',
        env: [{ name: 'GITHUB_HOST', value: 'github.example.com' }],
      },
      limits: { cpus: null, memory: '512m', pids: null },
      network: 'none',
    });
    await context.close();
  });

  it('a new host-command server is saved in the catalog shape', async () => {
    const { page, context } = await open('catalog');
    await newServer(page);
    await page.locator('input[name="name"]').fill('weather');
    await page.locator('input[name="program"]').fill('uvx');
    await page.locator('textarea[name="args"]').fill('weather-mcp\n--units=metric');
    await page.locator('textarea[name="watch"]').fill('/home/me/weather');
    await page.waitForFunction(() => !document.querySelector('[data-action="save"]')?.disabled);
    await page.locator('[data-action="save"]').click();
    await page.waitForFunction(() => window.__dockside.calls.some((c) => c.cmd === 'save_server'));
    const [saved] = await calls(page, 'save_server');
    assert.deepEqual(saved.draft, {
      catalog: 'local',
      name: 'weather',
      server: { command: ['uvx', 'weather-mcp', '--units=metric'], 'x-dockside': { watch: ['/home/me/weather'] } },
      limits: { cpus: null, memory: null, pids: null },
      network: 'catalog',
    });
    await context.close();
  });

  it('screenshot: Catalog editor', async () => {
    const { page, context } = await open('catalog', 'light', 1660);
    await page.locator('.server-item[data-server="demo"]').click();
    await page.locator('input[name="memory"]').fill('12q');
    await page.locator('[data-field-error="limits.memory"]').waitFor();
    await page.locator('input[name="memory"]').blur();
    await page.screenshot({ path: path.join(shots, 'catalog-editor.png') });
    // The YAML view of the same entry.
    await page.getByRole('tab', { name: 'YAML' }).click();
    await page.waitForFunction(() => document.querySelector('textarea[name="yaml"]')?.value?.includes('registry:'));
    await page.screenshot({ path: path.join(shots, 'catalog-yaml.png'), clip: { x: 0, y: 0, width: 1180, height: 760 } });
    await context.close();
  });
});

describe('Other screens', () => {
  it('production: the review shows the plan and each file diff; Switch shows progress, then the result with Undo', async () => {
    const { page, context, errors } = await open('production', 'light', 1500);
    const desktop = page.locator('[data-client="claude-desktop"]');
    await desktop.locator('pre.diff').waitFor();
    assert.match(await desktop.locator('.diff-add').first().textContent(), /"command": "\/usr\/local\/bin\/dockside"/);
    assert.match(await desktop.locator('.diff-del').first().textContent(), /"command": "npx"/);
    assert.match(await desktop.textContent(), /Your own entries, left alone: my-notes/);
    assert.equal(await page.locator('[data-client="claude-code"] pre.diff').count(), 1);
    assert.equal(await page.locator('.plan-servers tbody tr').count(), 5);
    assert.match(await page.locator('.screen-summary').textContent(), /2 servers move behind the gateway · 2 client files change/);
    // postgres (managed) declares a secret the store lacks: the review asks for it first.
    const secretsCard = page.locator('.secrets-card');
    assert.match(await secretsCard.locator('h3').textContent(), /1 secret to set before the switch/);
    assert.match(await secretsCard.locator('tr[data-secret="postgres.password"]').textContent(), /postgres/);
    assert.equal(await page.getByRole('button', { name: 'Switch', exact: true }).isDisabled(), true);
    await page.screenshot({ path: path.join(shots, 'production.png') });
    await secretsCard.getByLabel('Value for postgres.password').fill('pg-e2e-value');
    await secretsCard.getByRole('button', { name: 'Save' }).click();
    await secretsCard.waitFor({ state: 'detached' });
    assert.deepEqual(await calls(page, 'set_secret'), [{ name: 'postgres.password', value: 'pg-e2e-value' }]);
    assert.equal(await page.getByRole('button', { name: 'Switch', exact: true }).isEnabled(), true);

    await page.getByRole('button', { name: 'Switch', exact: true }).click();
    await page.locator('.progress-list li[data-server="demo"]').waitFor();
    await page.locator('.progress-list li[data-server="filesystem"]').waitFor();
    assert.match(await page.locator('.progress-list').textContent(), /started in managed mode/);
    await page.getByText('Switched to production', { exact: true }).first().waitFor();
    assert.deepEqual(await calls(page, 'switch_production'), [{ replaceDockerGateway: false, elseManaged: true }]);
    assert.match(await page.locator('.preflight tr[data-server="demo"]').textContent(), /\+0\.19 ms per call/);
    const undo = page.getByRole('button', { name: 'Undo', exact: true });
    assert.equal(await undo.isEnabled(), true);
    await page.screenshot({ path: path.join(shots, 'production-switched.png'), clip: { x: 0, y: 0, width: 1180, height: 760 } });

    await undo.click();
    await page.getByText('Back to development', { exact: true }).first().waitFor();
    assert.deepEqual(await calls(page, 'switch_development'), [{}]);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('secrets: lists names and users, sets a value without ever showing it, removes after confirming', async () => {
    const { page, context, errors } = await open('secrets');
    const row = (name) => page.locator(`tr[data-secret="${name}"]`);
    await row('postgres.password').waitFor();
    assert.equal(await page.locator('main h2').textContent(), 'Secrets');
    assert.match(await page.locator('.store-line').textContent(), /secrets\.json \(mode 0600\)/);
    assert.match(await page.locator('[data-note="store-warning"]').textContent(), /no OS keychain service is available/);
    // The missing one (postgres runs managed) comes first and is highlighted; notes is off.
    assert.equal(await page.locator('tbody tr[data-secret]').first().getAttribute('data-secret'), 'postgres.password');
    assert.match(await row('postgres.password').getAttribute('class'), /missing/);
    assert.equal(await row('notes.api_key').locator('[data-status]').textContent(), 'not set');
    assert.equal(await row('github.personal_access_token').locator('[data-status]').textContent(), 'set');
    assert.match(await row('github.personal_access_token').textContent(), /github as GITHUB_PERSONAL_ACCESS_TOKEN/);
    assert.match(await row('openai.api_key').textContent(), /No server declares it/);
    await page.screenshot({ path: path.join(shots, 'secrets.png') });

    await row('postgres.password').getByRole('button', { name: 'Set' }).click();
    const field = page.getByLabel('Value for postgres.password');
    assert.equal(await field.getAttribute('type'), 'password');
    await field.fill('pg-e2e-value');
    await page.locator('tr.secret-edit').getByRole('button', { name: 'Save' }).click();
    await page.waitForFunction(() => document.querySelector('tr[data-secret="postgres.password"] [data-status]')?.textContent === 'set');
    assert.deepEqual(await calls(page, 'set_secret'), [{ name: 'postgres.password', value: 'pg-e2e-value' }]);
    assert.equal(await page.evaluate(() => document.documentElement.outerHTML.includes('pg-e2e-value')), false);
    assert.equal(await page.evaluate(() => [...document.querySelectorAll('input')].some((i) => i.value === 'pg-e2e-value')), false);

    // A bad name gets the store's own message.
    await page.getByRole('button', { name: 'Add a secret' }).click();
    await page.locator('.secret-add input[data-field="name"]').fill('bad name');
    await page.locator('.secret-add input[type="password"]').fill('x');
    await page.locator('.secret-add').getByRole('button', { name: 'Save' }).click();
    assert.match(await page.locator('.secret-add [data-field-error="secret"]').textContent(), /^invalid secret name `bad name`/);
    await page.locator('.secret-add').getByRole('button', { name: 'Cancel' }).click();

    await row('openai.api_key').getByRole('button', { name: 'Remove' }).click();
    assert.deepEqual(await calls(page, 'remove_secret'), []);
    await row('openai.api_key').getByRole('button', { name: 'Remove' }).click();
    await row('openai.api_key').waitFor({ state: 'detached' });
    assert.deepEqual(await calls(page, 'remove_secret'), [{ name: 'openai.api_key' }]);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('preferences: a notification kind turned off is saved', async () => {
    const { page, context } = await open('servers');
    await page.getByRole('button', { name: 'Preferences' }).click();
    await page.getByRole('dialog').waitFor();
    await page.getByLabel('A server was restarted automatically').uncheck();
    await page.screenshot({ path: path.join(shots, 'preferences.png') });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.deepEqual(await calls(page, 'set_prefs'), [{ prefs: { keepGatewayRunning: false, muted: ['restarted'], startAtLogin: false } }]);
    await context.close();
  });

  it('clients: diff preview, and the tray asks for a screen', async () => {
    const { page, context } = await open('clients');
    await page.locator('tr[data-client="cursor"] [data-action="diff"]').click();
    await page.locator('pre.diff .diff-add').first().waitFor();
    await page.screenshot({ path: path.join(shots, 'clients.png') });
    await page.evaluate(() => window.__dockside.emit('navigate', 'logs'));
    await page.waitForFunction(() => document.querySelector('#tab-logs')?.getAttribute('aria-selected') === 'true');
    await page.evaluate(() => window.__dockside.emit('daemon-event', { type: 'log', server: 'demo', line: 'tool call: echo' }));
    await page.getByText('tool call: echo').waitFor();
    await context.close();
  });
});
