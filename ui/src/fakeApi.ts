/**
 * An in-memory `DocksideApi` + `DocksideEvents` for unit tests (never imported by the app).
 * Every method is a `vi.fn`, so tests can assert calls or override single methods.
 */
import { vi } from 'vitest';
import type { CatalogServer, DaemonEvent, DockerImport, DocksideApi, DocksideEvents, GatewayState, Mode, ProductionPreview, ServerView, SwitchOutcome, SwitchProgress } from './api';

export function fakeApi(servers: ServerView[], catalog: CatalogServer[] = [], overrides: Partial<DocksideApi> = {}) {
  const rows = servers.map((s) => ({ ...s }));
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
    gatewayState: vi.fn(async () => ({ ...gateway })),
    setPaused: vi.fn(async (paused: boolean) => ({ ...gateway, paused, running: !paused })),
    getPrefs: vi.fn(async () => ({ keepGatewayRunning: false, muted: [] })),
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
    uiReady: vi.fn(async () => {}),
    ...overrides,
  } satisfies DocksideApi;
  return api;
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
