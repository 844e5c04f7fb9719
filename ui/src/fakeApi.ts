/**
 * An in-memory `DocksideApi` + `DocksideEvents` for unit tests (never imported by the app).
 * Every method is a `vi.fn`, so tests can assert calls or override single methods.
 */
import { vi } from 'vitest';
import type { CatalogServer, DaemonEvent, DockerImport, DocksideApi, DocksideEvents, GatewayState, Mode, ProductionPreview, SecretRow, SecretsView, ServerView, SwitchOutcome, SwitchProgress } from './api';

/** The secret store's names as src-tauri/src/secrets.rs lists them: declared by `catalog`'s
 * servers or `stored`; values are kept only to check what a test sent, never returned. */
export function fakeSecrets(catalog: CatalogServer[], stored: Map<string, string>): SecretsView {
  const rows = new Map<string, SecretRow>();
  const row = (name: string) => rows.get(name) ?? (rows.set(name, { name, set: stored.has(name), users: [], missing: false }), rows.get(name)!);
  for (const name of stored.keys()) row(name);
  for (const c of catalog) for (const s of c.server.secrets ?? []) row(s.name).users.push({ server: c.name, env: s.env, mode: c.mode });
  for (const r of rows.values()) r.missing = !r.set && r.users.some((u) => u.mode !== 'off');
  return { backend: 'file', store: '/home/me/.config/dockside/secrets.json (mode 0600)', warning: null, secrets: [...rows.values()].sort((a, b) => a.name.localeCompare(b.name)), catalogError: null };
}

/** The store's name check (core::secrets::check_name) and its message. */
export function checkSecretName(name: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) {
    throw `invalid secret name \`${name}\`: use letters, digits, \`.\`, \`_\` and \`-\` (e.g. github.personal_access_token)`;
  }
}

export function fakeApi(servers: ServerView[], catalog: CatalogServer[] = [], overrides: Partial<DocksideApi> = {}) {
  const rows = servers.map((s) => ({ ...s }));
  /** name → value: what `setSecret` received (tests check it; the API never returns it). */
  const stored = new Map<string, string>();
  const gateway: GatewayState = { running: true, paused: false, pid: 1, url: 'http://127.0.0.1:8813/mcp', error: null, binary: null };
  const api = {
    listServers: vi.fn(async () => rows.map((s) => ({ ...s }))),
    setMode: vi.fn(async (name: string, mode: Mode) => {
      const row = rows.find((s) => s.name === name);
      if (!row) throw `no server named ${name}`;
      row.mode = mode;
      row.state = mode === 'off' ? 'off' : 'running';
      return { ...row };
    }),
    restartServer: vi.fn(async (name: string) => ({ ...rows.find((s) => s.name === name)!, state: 'running' })),
    signIn: vi.fn(async (name: string) => ({ server: name, url: `http://127.0.0.1:9/authorize?for=${name}`, browserOpened: false })),
    updatePackage: vi.fn(async (name: string, check: boolean) => ({
      server: name,
      package: 'npm @modelcontextprotocol/server-everything',
      from: '2025.1.0',
      to: '2025.2.0',
      updated: !check,
    })),
    gatewayState: vi.fn(async () => ({ ...gateway })),
    setPaused: vi.fn(async (paused: boolean) => ({ ...gateway, paused, running: !paused })),
    getPrefs: vi.fn(async () => ({ keepGatewayRunning: false, muted: [], startAtLogin: false })),
    setPrefs: vi.fn(async (p) => p),
    recentLogs: vi.fn(async () => []),
    latency: vi.fn(async () => []),
    catalogView: vi.fn(async () => ({ catalogs: ['local'], servers: catalog.map((c) => structuredClone(c)) })),
    validateServer: vi.fn(async () => []),
    saveServer: vi.fn(async () => []),
    removeServer: vi.fn(async () => {}),
    serverYaml: vi.fn(async () => 'registry: {}\n'),
    parseServerYaml: vi.fn(async () => ({ entry: null, issues: [] })),
    importCatalog: vi.fn(async () => 'imported'),
    listClients: vi.fn(async () => []),
    connectClient: vi.fn(async () => ({ path: '/x', diff: '', notes: [] })),
    disconnectClient: vi.fn(async () => ({ path: '/x', diff: '', notes: [] })),
    clientDiff: vi.fn(async () => ({ path: '/x', diff: '', notes: [] })),
    importClient: vi.fn(async () => []),
    importDockerToolkit: vi.fn(async (profile: string): Promise<DockerImport> => ({ source: { kind: 'profile', path: '/home/me/.docker/mcp/mcp-toolkit.db', profile, name: profile }, servers: [], skipped: [], notes: [], missingSecrets: [] })),
    productionPlan: vi.fn(async (): Promise<ProductionPreview> => ({ available: false, reason: 'not available yet', plan: null })),
    switchProduction: vi.fn(async (): Promise<SwitchOutcome> => ({ ok: false, applied: false, plan: null, preflight: null, record: null, problems: [], error: 'not available' })),
    switchDevelopment: vi.fn(async (): Promise<SwitchOutcome> => ({ ok: false, applied: false, plan: null, preflight: null, record: null, problems: [], error: 'not available' })),
    listSecrets: vi.fn(async () => fakeSecrets(catalog, stored)),
    setSecret: vi.fn(async (name: string, value: string) => {
      checkSecretName(name);
      if (value === '') throw `no value for ${name}: type or paste it`;
      stored.set(name, value);
      return fakeSecrets(catalog, stored);
    }),
    removeSecret: vi.fn(async (name: string) => {
      checkSecretName(name);
      if (!stored.delete(name)) throw `no secret named ${name} in /home/me/.config/dockside/secrets.json (mode 0600)`;
      return fakeSecrets(catalog, stored);
    }),
    uiReady: vi.fn(async () => {}),
    ...overrides,
  } satisfies DocksideApi;
  return Object.assign(api, { secretValues: stored });
}

/** Events the test fires by hand. */
export function fakeEvents() {
  const handlers: {
    daemon: ((e: DaemonEvent) => void)[];
    servers: ((r: ServerView[]) => void)[];
    gateway: ((g: GatewayState) => void)[];
    navigate: ((s: string) => void)[];
    progress: ((p: SwitchProgress) => void)[];
  } = {
    daemon: [],
    servers: [],
    gateway: [],
    navigate: [],
    progress: [],
  };
  const events: DocksideEvents = {
    onDaemonEvent: async (h) => (handlers.daemon.push(h), () => {}),
    onServers: async (h) => (handlers.servers.push(h), () => {}),
    onGateway: async (h) => (handlers.gateway.push(h), () => {}),
    onNavigate: async (h) => (handlers.navigate.push(h), () => {}),
    onProductionProgress: async (h) => (handlers.progress.push(h), () => {}),
  };
  return {
    events,
    daemon: (e: DaemonEvent) => handlers.daemon.forEach((h) => h(e)),
    servers: (r: ServerView[]) => handlers.servers.forEach((h) => h(r)),
    gateway: (g: GatewayState) => handlers.gateway.forEach((h) => h(g)),
    navigate: (s: string) => handlers.navigate.forEach((h) => h(s)),
    progress: (p: SwitchProgress) => handlers.progress.forEach((h) => h(p)),
  };
}
