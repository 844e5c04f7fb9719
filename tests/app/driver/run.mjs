// Drives the real Dockside app through tauri-driver + WebKitWebDriver (WebDriver over HTTP,
// no client library): opens the dashboard; switches the demo server managed → off → managed
// four ways — the CLI, the control API, the dashboard and the tray menu — and checks each way
// has the same effect (the state file and two connected clients' files byte for byte, the
// daemon running demo or not, one reload per change); then the production switch from its
// review screen and its Undo.
//
// Run by ../driver-e2e.sh (which starts Xvfb, a session bus, trayer, the tray and tauri-driver).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Daemon } from './daemon.mjs';
import { iconCenter, pickMode } from './tray.mjs';

const DRIVER = process.env.DRIVER_URL ?? 'http://127.0.0.1:4444';
const APP = process.env.APP;
const DOCKSIDE = process.env.DOCKSIDE;
const WORK = process.env.WORK;
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

const log = (msg) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function wd(method, url, body) {
  const res = await fetch(`${DRIVER}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

async function until(what, fn, ms = 30000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) {
        log(`ok: ${what}`);
        return v;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(250);
  }
}

function daemonServer(name) {
  const out = execFileSync(DOCKSIDE, ['status', '--json'], { encoding: 'utf8' });
  const doc = JSON.parse(out);
  return doc.status?.servers?.find((s) => s.name === name) ?? null;
}

/** The files a mode change writes: Dockside's state and the connected clients' configs. */
const FILES = {
  state: path.join(process.env.DOCKSIDE_HOME, 'state.yaml'),
  cursor: path.join(process.env.HOME, '.cursor', 'mcp.json'),
  claude: path.join(process.env.XDG_CONFIG_HOME, 'Claude', 'claude_desktop_config.json'),
};
const snapshot = () => Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, readFileSync(f, 'latin1')]));

/** Two clients connected before the app starts, with the user's own entries and formatting. */
function connectClients() {
  mkdirSync(path.dirname(FILES.cursor), { recursive: true });
  mkdirSync(path.dirname(FILES.claude), { recursive: true });
  writeFileSync(FILES.cursor, '{\r\n\t// my servers\r\n\t"mcpServers": {\r\n\t\t"mine": { "command": "mine-server", "args": ["--é"] }\r\n\t}\r\n}');
  writeFileSync(FILES.claude, '{\n  "globalShortcut": "Ctrl+Space",\n  "mcpServers": {\n    "notes": {"command": "notes-mcp"}\n  }\n}\n');
  for (const client of ['cursor', 'claude-desktop']) execFileSync(DOCKSIDE, ['client', 'connect', client]);
}

let session;

/** How long a find, click or text read waits for its element by default. */
const FIND_MS = 15000;

/**
 * The element `css` names, once it exists and is displayed: the dashboard renders screens and
 * rows asynchronously (a tab's list arrives after the tab shows), so a lookup right after a
 * navigation must wait instead of failing with "no such element". Polls until `ms` passed,
 * then fails naming the selector and what it last saw.
 */
async function find(css, ms = FIND_MS) {
  const deadline = Date.now() + ms;
  let last = 'not found';
  for (;;) {
    try {
      const el = await wd('POST', `/session/${session}/element`, { using: 'css selector', value: css });
      const id = el[ELEMENT];
      if (await wd('GET', `/session/${session}/element/${id}/displayed`)) return id;
      last = 'present but not displayed';
    } catch (err) {
      if (!/no such element|stale element/.test(err.message)) throw err;
      last = /stale element/.test(err.message) ? 'replaced while looking (stale)' : 'not found';
    }
    if (Date.now() > deadline) throw new Error(`no displayed element for \`${css}\` after ${ms / 1000} s (${last})`);
    await sleep(100);
  }
}

/**
 * Does `act(elementId)` on the element `css` names, waiting for it (see `find`) and finding it
 * again when the dashboard re-rendered it in between (stale) or it could not take the action
 * yet (not interactable), until `ms` passed.
 */
async function withElement(css, what, act, ms = FIND_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await act(await find(css, Math.max(deadline - Date.now(), 0)));
    } catch (err) {
      const retry = /stale element|not interactable|no such element|click intercepted/.test(err.message);
      if (!retry) throw err;
      if (Date.now() > deadline) throw new Error(`could not ${what} \`${css}\` within ${ms / 1000} s: ${err.message}`);
      await sleep(100);
    }
  }
}

const click = (css, ms) => withElement(css, 'click', (id) => wd('POST', `/session/${session}/element/${id}/click`, {}), ms);
const text = (css, ms) => withElement(css, 'read the text of', (id) => wd('GET', `/session/${session}/element/${id}/text`), ms);
const script = (body, args = []) => wd('POST', `/session/${session}/execute/sync`, { script: body, args });

async function screenshot(name) {
  const png = await wd('GET', `/session/${session}/screenshot`);
  writeFileSync(path.join(WORK, name), Buffer.from(png, 'base64'));
}

async function switchTo(mode, label) {
  log(`dashboard: demo → ${label}`);
  await click(`tr[data-server="demo"] label.segment:nth-child(${['native', 'managed', 'docker', 'off'].indexOf(mode) + 1})`);
  await until(`the dashboard shows demo in ${mode}`, async () =>
    (await script(`return document.querySelector('tr[data-server="demo"] input:checked')?.value + '|' + document.querySelector('tr[data-server="demo"]')?.getAttribute('aria-busy');`)) === `${mode}|null`,
  );
}

/**
 * Switches demo managed → off → managed through the CLI, the control API, the dashboard and
 * the tray. After each switch: the daemon reports the mode (and runs demo or not), its file
 * watcher has seen the saved files and skipped a second reload, exactly one `reloaded` event
 * came, the dashboard shows the mode, and the state and client files equal, byte for byte,
 * what the CLI's switch to the same mode wrote.
 */
async function oneChangeFourWays() {
  const daemon = new Daemon(process.env.DOCKSIDE_HOME);
  await daemon.listen();
  const center = await until('the tray icon is embedded in trayer', () => iconCenter());
  const reported = (mode) => {
    const s = daemonServer('demo');
    return mode === 'off' ? s === null || (s.mode === 'off' && s.state !== 'running') : s?.mode === mode && s.state === 'running';
  };
  const ways = {
    cli: async (mode) => execFileSync(DOCKSIDE, ['server', 'mode', 'demo', mode]),
    api: async (mode) => assert.equal((await daemon.request('PUT', '/api/servers/demo/mode', { mode })).mode, mode),
    dashboard: (mode) => switchTo(mode, mode),
    tray: (mode) => pickMode(center, mode, () => reported(mode), log),
  };
  const written = {};
  try {
    for (const [way, change] of Object.entries(ways)) {
      for (const mode of ['off', 'managed']) {
        log(`${way}: demo → ${mode}`);
        const [mark, skipped] = [daemon.events.length, daemon.skippedReloads()];
        await change(mode);
        await until(`${way}: the daemon reports demo ${mode}`, () => reported(mode), 60000);
        await until(`${way}: the file watcher skipped the reload the change made`, () => daemon.skippedReloads() > skipped);
        await until(`${way}: the dashboard shows demo ${mode}`, async () =>
          (await script(`return document.querySelector('tr[data-server="demo"] input:checked')?.value;`)) === mode,
        );
        const reloads = daemon.events.slice(mark).filter((e) => e.type === 'reloaded').length;
        assert.equal(reloads, 1, `${way} → ${mode}: one reload for one change (events: ${JSON.stringify(daemon.events.slice(mark))})`);
        const files = snapshot();
        written[mode] ??= files;
        assert.deepEqual(files, written[mode], `${way} → ${mode} wrote what the CLI wrote`);
      }
    }
  } finally {
    daemon.close();
  }
  assert.notDeepEqual(written.off, written.managed, 'a switch changes the files');
  assert.match(written.managed.cursor, /"mine"[\s\S]*"demo"/, 'the connected client runs demo through the gateway');
}

try {
  connectClients();
  const created = await wd('POST', '/session', {
    capabilities: { alwaysMatch: { 'tauri:options': { application: APP, args: ['--dashboard'] } } },
  });
  session = created.sessionId;
  log(`session ${session}`);

  await until('the dashboard lists demo as running', async () => (await text('tr[data-server="demo"] .pill', 2000)) === 'running');
  // Let the first pushes (gateway up, rows refreshed) settle before clicking.
  await sleep(1000);
  assert.equal(await script(`return document.querySelector('tr[data-server="demo"] input:checked').value;`), 'managed');
  assert.equal(daemonServer('demo')?.state, 'running');
  await screenshot('dashboard.png');

  await oneChangeFourWays();
  await screenshot('dashboard-after.png');
  // The other screens render in the real webview too (kept with KEEP_WORK=1, for a look).
  for (const screen of ['catalog', 'clients', 'logs', 'production']) {
    await click(`#tab-${screen}`);
    await until(`the ${screen} screen shows`, async () => (await script('return location.hash;')) === `#${screen}`);
    if (screen === 'catalog') await click('.server-item[data-server="demo"]');
    await sleep(300);
    await screenshot(`${screen}.png`);
  }

  // Start at login from the Preferences dialog: an XDG autostart entry that runs the tray,
  // read back from the OS when the dialog opens again, and removed when unchecked.
  const autostart = path.join(process.env.XDG_CONFIG_HOME, 'autostart');
  const entries = () => (existsSync(autostart) ? readdirSync(autostart).filter((f) => f.endsWith('.desktop')) : []);
  assert.deepEqual(entries(), [], 'no autostart entry before');
  const setStartAtLogin = async (on) => {
    await click('[data-action="prefs"]');
    await until('the preferences dialog is open', async () => (await script('return document.querySelector("dialog.prefs").open;')) === true);
    const checked = await script('return document.querySelector("input[name=startAtLogin]").checked;');
    if (checked !== on) await click('input[name=startAtLogin]');
    await click('[data-action="save-prefs"]');
    await until('the preferences dialog closed', async () => (await script('return document.querySelector("dialog.prefs").open;')) === false);
    return checked;
  };
  log('preferences: start at login');
  assert.equal(await setStartAtLogin(true), false);
  await until('an autostart entry exists', () => entries().length === 1);
  const entry = readFileSync(path.join(autostart, entries()[0]), 'utf8');
  assert.match(entry, new RegExp(`Exec=.*${path.basename(process.env.TRAY)}`), entry);
  assert.equal(await setStartAtLogin(false), true, 'the dialog reads the OS state');
  await until('the autostart entry is gone', () => entries().length === 0);

  // The production switch from the review screen: pre-flight and switch through the CLI, then
  // Undo; the daemon follows both.
  log('dashboard: Switch to production');
  await until('the Switch button is enabled', async () => (await script(`return document.querySelector('[data-action="switch"]')?.disabled;`)) === false);
  await click('[data-action="switch"]');
  await until('the switch finished', async () => (await script(`return !!document.querySelector('.switch-card.result');`)) === true, 180000);
  await screenshot('production-switched.png');
  const result = await text('.switch-card.result h3');
  assert.equal(result, 'Switched to production', `the screen says: ${await text('.switch-card.result')}`);
  const history = () => JSON.parse(execFileSync(DOCKSIDE, ['switch', 'history', '--json'], { encoding: 'utf8' }));
  assert.equal(history().at(-1)?.kind, 'production');
  await until('the daemon runs demo behind the gateway', () => {
    const s = daemonServer('demo');
    return ['managed', 'docker'].includes(s?.mode) && s.state === 'running';
  });
  log('dashboard: Undo');
  await click('[data-action="undo"]');
  await until('the undo finished', async () => (await script(`return document.querySelector('.switch-card.result h3')?.textContent;`)) === 'Back to development', 120000);
  assert.equal(history().at(-1)?.kind, 'restore');
  await until('the daemon runs demo managed again', () => {
    const s = daemonServer('demo');
    return s?.mode === 'managed' && s.state === 'running';
  });
  log('driver e2e passed');
} finally {
  if (session) await wd('DELETE', `/session/${session}`).catch((err) => log(`closing the session: ${err.message}`));
}
