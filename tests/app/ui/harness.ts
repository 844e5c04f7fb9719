/**
 * Injected into the built UI before its scripts run (Playwright `addInitScript`): mocks the
 * Tauri IPC with `@tauri-apps/api/mocks` and plays the app's backend with fixed demo data.
 *
 * Tests read `window.__dockside.calls` (every command with its arguments) and push app events
 * with `window.__dockside.emit(name, payload)`, the same Tauri events src-tauri emits.
 */
import { emit } from '@tauri-apps/api/event';
import { mockIPC, mockWindows } from '@tauri-apps/api/mocks';

type Args = Record<string, unknown> | undefined;
type Row = {
  name: string;
  title: string;
  mode: string;
  state: string;
  tools: number | null;
  restarts: number;
  pid: number | null;
  error: string | null;
  warning: null;
};

const row = (name: string, title: string, mode: string, state: string, tools: number | null, extra: Partial<Row> = {}): Row => ({
  name,
  title,
  mode,
  state,
  tools,
  restarts: 0,
  pid: tools === null ? null : 4000 + name.length,
  error: null,
  warning: null,
  ...extra,
});

const servers: Row[] = [
  row('demo', 'Dockside demo server', 'managed', 'running', 6),
  row('github', 'GitHub', 'docker', 'running', 41),
  row('fetch', 'Fetch web pages', 'docker', 'starting', null),
  row('filesystem', 'Filesystem', 'native', 'run by clients', null),
  row('postgres', 'PostgreSQL', 'managed', 'crash-loop', 0, { restarts: 5, error: 'crash loop: 5 crashes within a minute' }),
  row('notes', 'Team notes', 'off', 'off', null),
];

const catalog = {
  catalogs: ['local', 'docker-mcp'],
  servers: [
    {
      catalog: 'local',
      name: 'demo',
      server: { title: 'Dockside demo server', command: ['/usr/local/bin/dockside-demo-server', '--tools', 'all'], 'x-dockside': { watch: ['/usr/local/bin/dockside-demo-server'] } },
      limits: { cpus: '0.5', memory: '256m', pids: '64' },
      network: 'none',
      mode: 'managed',
    },
    {
      catalog: 'docker-mcp',
      name: 'github',
      server: {
        title: 'GitHub',
        description: 'Repositories, issues and pull requests',
        image: 'mcp/github:latest',
        secrets: [{ name: 'github.personal_access_token', env: 'GITHUB_PERSONAL_ACCESS_TOKEN' }],
        allowHosts: ['api.github.com:443'],
        dateAdded: '2025-05-01T00:00:00Z',
      },
      limits: {},
      network: 'catalog',
      mode: 'docker',
    },
    { catalog: 'docker-mcp', name: 'fetch', server: { title: 'Fetch web pages', image: 'mcp/fetch' }, limits: {}, network: 'catalog', mode: 'docker' },
    {
      catalog: 'local',
      name: 'filesystem',
      server: { title: 'Filesystem', command: ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/home/me/projects'] },
      limits: {},
      network: 'catalog',
      mode: 'native',
    },
    {
      catalog: 'local',
      name: 'postgres',
      server: { title: 'PostgreSQL', command: ['uvx', 'postgres-mcp'], env: [{ name: 'DATABASE_URL', value: 'postgres://localhost/app' }], secrets: [{ name: 'postgres.password', env: 'PGPASSWORD' }] },
      limits: { memory: '512m' },
      network: 'catalog',
      mode: 'managed',
    },
    { catalog: 'local', name: 'notes', server: { title: 'Team notes', command: ['node', '/srv/notes/index.js'], secrets: [{ name: 'notes.api_key', env: 'NOTES_API_KEY' }] }, limits: {}, network: 'catalog', mode: 'off' },
  ],
};

const clients = [
  { id: 'claude-desktop', name: 'Claude Desktop', path: '/home/me/.config/Claude/claude_desktop_config.json', detected: true, connected: true, singleEntry: false, servers: 5, error: null, disabled: [], aliases: [], dockerToolkit: null },
  { id: 'claude-code', name: 'Claude Code', path: '/home/me/.claude.json', detected: true, connected: true, singleEntry: false, servers: 5, error: null, disabled: [], aliases: [], dockerToolkit: null },
  { id: 'cursor', name: 'Cursor', path: '/home/me/.cursor/mcp.json', detected: true, connected: false, singleEntry: false, servers: 2, error: null, disabled: [], aliases: [], dockerToolkit: { entry: 'MCP_DOCKER', profile: 'default', servers: 3, error: null } },
  { id: 'windsurf', name: 'Windsurf', path: '/home/me/.codeium/windsurf/mcp_config.json', detected: true, connected: true, singleEntry: false, servers: 4, error: null, disabled: ['git'], aliases: [{ server: 'github-windsurf', entry: 'github' }], dockerToolkit: null },
  { id: 'vscode', name: 'VS Code', path: '/home/me/.config/Code/User/mcp.json', detected: true, connected: false, singleEntry: false, servers: 0, error: null, disabled: [], aliases: [], dockerToolkit: null },
  { id: 'zed', name: 'Zed', path: '/home/me/.config/zed/settings.json', detected: false, connected: false, singleEntry: false, servers: null, error: null, disabled: [], aliases: [], dockerToolkit: null },
];

/** The secret store (src-tauri/src/secrets.rs): values kept here only so a test can check what
 * arrived; `list_secrets` returns names and who uses them, never a value. */
const secretValues = new Map<string, string>([
  ['github.personal_access_token', 'ghp_harness-value'],
  ['openai.api_key', 'sk-harness-value'],
]);
const STORE = '/home/me/.config/dockside/secrets.json (mode 0600)';
function secretsView() {
  const rows = new Map<string, { name: string; set: boolean; users: { server: string; env: string; mode: string }[]; missing: boolean }>();
  const row = (name: string) => rows.get(name) ?? (rows.set(name, { name, set: secretValues.has(name), users: [], missing: false }), rows.get(name)!);
  for (const name of secretValues.keys()) row(name);
  for (const c of catalog.servers) {
    const mode = servers.find((s) => s.name === c.name)?.mode ?? c.mode;
    for (const sec of (c.server as { secrets?: { name: string; env: string }[] }).secrets ?? []) row(sec.name).users.push({ server: c.name, env: sec.env, mode });
  }
  for (const r of rows.values()) r.missing = !r.set && r.users.some((u) => u.mode !== 'off');
  return {
    backend: 'file',
    store: STORE,
    warning: `no OS keychain service is available (no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)); secrets are kept in ${STORE}`,
    secrets: [...rows.values()].sort((a, b) => a.name.localeCompare(b.name)),
    catalogError: null,
  };
}
function missingSecrets() {
  return secretsView().secrets.flatMap((r) => (r.set ? [] : r.users.filter((u) => u.mode !== 'off').map((u) => ({ server: u.server, name: r.name, env: u.env }))));
}
function checkSecretName(name: string) {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) throw `invalid secret name \`${name}\`: use letters, digits, \`.\`, \`_\` and \`-\` (e.g. github.personal_access_token)`;
}

let tick = 0;
function latency() {
  tick += 1;
  const wave = (base: number, amp: number, phase: number) => Math.max(0.2, base + amp * Math.sin(tick / 2 + phase));
  return [
    { server: 'demo', tool: 'echo', calls: 120 + tick * 7, errors: 0, meanMs: 1.4, p50Ms: wave(1.2, 0.4, 0), p95Ms: 3, lastMs: 1.1 },
    { server: 'github', tool: 'search_issues', calls: 48 + tick * 3, errors: 1, meanMs: 240, p50Ms: wave(210, 60, 1), p95Ms: 480, lastMs: 190 },
  ];
}

/** A small YAML writer for the editor's YAML view (the real app asks core). */
function yaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    return value.map((v) => (typeof v === 'object' && v !== null ? `${indent}- ${yaml(v, indent + '  ').trimStart()}` : `${indent}- ${scalar(v)}\n`)).join('');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([k, v]) => (typeof v === 'object' && v !== null ? `${indent}${k}:\n${yaml(v, indent + (Array.isArray(v) ? '' : '  '))}` : `${indent}${k}: ${scalar(v)}\n`))
      .join('');
  }
  return `${indent}${scalar(value)}\n`;
}
const scalar = (v: unknown) => (typeof v === 'string' && /^[\w./@:-]+$/.test(v) && !/^\d/.test(v) ? v : JSON.stringify(v));

/** The production switch: the plan core would make for the servers above. */
const DOCKSIDE = '/usr/local/bin/dockside';
const PLAN = {
  profile: 'production',
  servers: [
    { name: 'demo', from: 'managed', to: 'docker', image: 'dockside/demo-server:local', reason: 'built from the Dockerfile in its folder' },
    { name: 'github', from: 'docker', to: 'docker', image: 'mcp/github:latest' },
    { name: 'fetch', from: 'docker', to: 'docker', image: 'mcp/fetch' },
    { name: 'filesystem', from: 'native', to: 'managed', reason: 'no image for `npx`: runs as a supervised process' },
    { name: 'postgres', from: 'managed', to: 'managed', reason: 'no image for `uvx`' },
  ],
  clients: [
    {
      client: 'Claude Desktop',
      key: 'claude-desktop',
      path: '/home/me/.config/Claude/claude_desktop_config.json',
      diff: `--- a/claude_desktop_config.json\n+++ b/claude_desktop_config.json\n@@ -8,8 +8,8 @@\n     },\n     "filesystem": {\n-      "command": "npx",\n-      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/projects"]\n+      "command": "${DOCKSIDE}",\n+      "args": ["connect", "--server", "filesystem"]\n     },\n     "my-notes": { "command": "node", "args": ["/home/me/notes/index.js"] }\n   }\n`,
      entries: 5,
      gatewayEntries: ['demo', 'fetch', 'filesystem', 'github', 'postgres'],
      userEntries: ['my-notes'],
      changes: ['filesystem: native → gateway (dockside connect --server filesystem)'],
    },
    {
      client: 'Claude Code',
      key: 'claude-code',
      path: '/home/me/.claude.json',
      diff: `--- a/.claude.json\n+++ b/.claude.json\n@@ -21,9 +21,9 @@\n       "args": ["connect", "--server", "fetch"]\n     },\n     "filesystem": {\n       "type": "stdio",\n-      "command": "npx",\n-      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me/projects"]\n+      "command": "${DOCKSIDE}",\n+      "args": ["connect", "--server", "filesystem"]\n     },\n`,
      entries: 5,
      gatewayEntries: ['demo', 'fetch', 'filesystem', 'github', 'postgres'],
      userEntries: [],
      changes: ['filesystem: native → gateway (dockside connect --server filesystem)'],
    },
  ],
  warnings: ['notes is off: it stays off and gets no entry'],
};

const latencyOf = (native: number, gateway: number) => ({ probe: 'tools/list', calls: 30, nativeP50Ms: native, nativeMeanMs: native * 1.1, gatewayP50Ms: gateway, gatewayMeanMs: gateway * 1.1, overheadMs: gateway - native });
const PREFLIGHT = {
  servers: [
    { name: 'demo', from: 'managed', to: 'docker', image: 'dockside/demo-server:local', started: true, toolsBefore: ['add', 'crash', 'echo', 'env', 'fail', 'sleep'], toolsAfter: ['add', 'crash', 'echo', 'env', 'fail', 'sleep'], missing: [], added: [], latency: latencyOf(0.42, 0.61), problems: [], notes: ['image built from /home/me/src/demo-server/Dockerfile'] },
    { name: 'github', from: 'docker', to: 'docker', image: 'mcp/github:latest', started: true, toolsBefore: Array.from({ length: 41 }, (_, i) => `t${i}`), toolsAfter: Array.from({ length: 41 }, (_, i) => `t${i}`), missing: [], added: [], latency: latencyOf(1.9, 2.2), problems: [], notes: [] },
    { name: 'fetch', from: 'docker', to: 'docker', image: 'mcp/fetch', started: true, toolsBefore: ['fetch'], toolsAfter: ['fetch'], missing: [], added: [], latency: latencyOf(1.1, 1.3), problems: [], notes: [] },
    { name: 'filesystem', from: 'native', to: 'managed', started: true, toolsBefore: ['list_directory', 'read_file', 'search_files', 'write_file'], toolsAfter: ['list_directory', 'read_file', 'search_files', 'write_file'], missing: [], added: [], latency: latencyOf(0.8, 1.05), problems: [], notes: [] },
    { name: 'postgres', from: 'managed', to: 'managed', started: true, toolsBefore: ['query'], toolsAfter: ['query'], missing: [], added: [], latency: latencyOf(2.4, 2.6), problems: [], notes: [] },
  ],
  problems: [],
};

const production = { profile: 'development' };
function productionPreview() {
  return { available: true, reason: null, plan: { ...PLAN, profile: 'production', servers: PLAN.servers.map((s) => ({ ...s, from: s.to })), clients: PLAN.clients.map((c) => ({ ...c, diff: '' })) }, profile: 'production', undo: { id: '1764174000-p', time: 1764174000, servers: 2, files: 2 } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Plays `dockside switch production --yes --json`: progress events, then its JSON. */
async function switchProduction() {
  const steps: [string, string][] = [
    ['demo', 'building dockside/demo-server:local from /home/me/src/demo-server'],
    ['demo', 'started in docker mode: 6 tools, same as now'],
    ['filesystem', 'started in managed mode: 4 tools, same as now'],
    ['demo', 'latency over 30 calls: +0.19 ms per call'],
  ];
  for (const [server, message] of steps) {
    await sleep(120);
    await emit('production-progress', { server, message });
  }
  await sleep(400);
  production.profile = 'production';
  return {
    ok: true,
    applied: true,
    plan: PLAN,
    preflight: PREFLIGHT,
    record: {
      id: '1764174000-p',
      kind: 'production',
      time: 1764174000,
      status: 'applied',
      profileBefore: 'development',
      profileAfter: 'production',
      files: PLAN.clients.map((c) => ({ client: c.key, path: c.path, backup: `/home/me/.config/dockside/backups/${c.key}.1764174000.json` })),
    },
    problems: [],
    error: null,
  };
}

const calls: { cmd: string; args: Args }[] = [];

function handle(cmd: string, args: Args): unknown {
  const a = (args ?? {}) as Record<string, any>;
  switch (cmd) {
    case 'list_servers':
      return structuredClone(servers);
    case 'set_mode': {
      const r = servers.find((s) => s.name === a.name);
      if (!r) throw `no server named \`${a.name}\``;
      r.mode = a.mode;
      r.state = a.mode === 'off' ? 'off' : a.mode === 'native' ? 'run by clients' : 'running';
      return structuredClone(r);
    }
    case 'restart_server':
      return structuredClone(servers.find((s) => s.name === a.name));
    case 'gateway_state':
      return { running: true, paused: false, pid: 4242, url: 'http://127.0.0.1:8813/mcp', error: null, binary: '/usr/local/bin/dockside' };
    case 'latency':
      return latency();
    case 'recent_logs':
      return [
        { at: Date.now() - 4000, server: 'demo', line: 'dockside-demo-server 0.1.0 ready (6 tools)' },
        { at: Date.now() - 3000, server: 'postgres', line: 'error: connection refused (os error 111)' },
      ];
    case 'catalog_view':
      return structuredClone(catalog);
    case 'validate_server':
    case 'save_server': {
      const d = a.draft;
      if (d.original === undefined && catalog.servers.some((s) => s.name === d.name)) {
        const owner = catalog.servers.find((s) => s.name === d.name)!.catalog;
        return [{ field: 'name', message: `a server named \`${d.name}\` already exists in catalog \`${owner}\`; pick another name, or change it with \`dockside server edit ${d.name}\``, fix: null }];
      }
      return [];
    }
    case 'server_yaml':
      return yaml({ registry: { [a.draft.name || 'new-server']: a.draft.server } });
    case 'parse_server_yaml':
      // The real app parses with core; this harness only serves the views.
      return { entry: null, issues: [] };
    case 'remove_server':
      return null;
    case 'import_catalog':
      return 'imported catalog `docker` with 3 server(s)';
    case 'list_clients':
      return structuredClone(clients);
    case 'client_diff':
      return {
        path: clients.find((c) => c.id === a.id)?.path ?? '',
        diff: '--- a/mcp.json\n+++ b/mcp.json\n@@ -1,5 +1,9 @@\n {\n   "mcpServers": {\n+    "demo": {\n+      "command": "dockside",\n+      "args": ["connect", "--server", "demo"]\n+    },\n     "mine": { "command": "my-server" }\n   }\n }\n',
        notes: ['Cursor is not connected: this is what connecting would write'],
      };
    case 'connect_client':
    case 'disconnect_client':
      return { path: clients.find((c) => c.id === a.id)?.path ?? '', diff: '', notes: [] };
    case 'import_client':
      return [];
    case 'production_plan':
      return structuredClone(production.profile === 'production' ? productionPreview() : { available: true, reason: null, plan: PLAN, profile: 'development', undo: null, missingSecrets: missingSecrets(), secretsError: null });
    case 'list_secrets':
      return secretsView();
    case 'set_secret':
      checkSecretName(a.name);
      if (!a.value) throw `no value for ${a.name}: type or paste it`;
      secretValues.set(a.name, a.value);
      return secretsView();
    case 'remove_secret':
      checkSecretName(a.name);
      if (!secretValues.delete(a.name)) throw `no secret named ${a.name} in ${STORE}`;
      return secretsView();
    case 'switch_production':
      return switchProduction();
    case 'switch_development':
      production.profile = 'development';
      return {
        ok: true,
        applied: true,
        plan: null,
        preflight: null,
        record: { id: '1764174200-r', kind: 'restore', time: 1764174200, status: 'applied', profileBefore: 'production', profileAfter: 'development', undoes: '1764174000-p', files: PLAN.clients.map((c) => ({ client: c.key, path: c.path })) },
        problems: [],
        error: null,
      };
    case 'get_prefs':
      return { keepGatewayRunning: false, muted: [], startAtLogin: false };
    case 'set_prefs':
      return a.prefs;
    case 'set_paused':
      return { running: !a.paused, paused: a.paused, pid: null, url: null, error: null, binary: null };
    case 'ui_ready':
      return null;
    default:
      throw `unknown command ${cmd}`;
  }
}

(globalThis as { isTauri?: boolean }).isTauri = true;
mockWindows('main');
mockIPC(
  (cmd, args) => {
    calls.push({ cmd, args: structuredClone(args as Args) });
    return handle(cmd, args as Args);
  },
  { shouldMockEvents: true },
);

(window as unknown as { __dockside: unknown }).__dockside = {
  calls,
  emit: (name: string, payload: unknown) => emit(name, payload),
  secretValues,
  servers,
};
