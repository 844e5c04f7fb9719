/**
 * The only module that talks to the Tauri side (src-tauri/src/commands.rs and the events of
 * src-tauri/src/hub.rs).
 *
 * Everything else in the UI depends on the `DocksideApi` interface, so tests pass a fake and
 * never need a webview. Keep the types here in sync with the Rust structs named on each.
 */
import { invoke, isTauri } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

/** Who runs a server; see "modes" in DESIGN.md. Order = order in the UI. */
export const MODES = ['native', 'managed', 'docker', 'off'] as const;
export type Mode = (typeof MODES)[number];

export const MODE_LABELS: Record<Mode, string> = {
  native: 'Native',
  managed: 'Managed',
  docker: 'Docker',
  off: 'Off',
};

export const MODE_DESCRIPTIONS: Record<Mode, string> = {
  native: 'Run by each AI client itself, as a direct stdio child',
  managed: 'Run by the Dockside gateway as a supervised process',
  docker: 'Run by the Dockside gateway in a hardened Docker container',
  off: 'Not run; AI clients get no entry for it',
};

export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}

/** One row of the Servers screen. Mirrors `ServerView` in src-tauri/src/model.rs. */
export interface ServerView {
  /** Catalog key; also the name AI clients see. */
  name: string;
  /** Human title from the catalog (may be empty). */
  title: string;
  mode: Mode;
  /** Run state, e.g. "running", "restarting", "crash-loop"; unknown values are shown as-is. */
  state: string;
  tools?: number | null;
  restarts?: number;
  pid?: number | null;
  error?: string | null;
  /** Something to tell about the last change. */
  warning?: string | null;
  /** The pinned package a package server runs, e.g. `npm:@scope/name@1.2.3`. */
  package?: string | null;
}

/** Mirrors `SignInStarted` in crates/api: a remote server's sign-in page, opened by the daemon. */
export interface SignInStarted {
  server: string;
  url: string;
  /** Whether a browser was opened on it; if not, the URL is shown. */
  browserOpened: boolean;
}

/** Mirrors `PackageUpdate` in crates/api: a package server's pin and the newest version. */
export interface PackageUpdate {
  server: string;
  /** Registry and package, e.g. `npm @modelcontextprotocol/server-everything`. */
  package: string;
  from?: string | null;
  to: string;
  /** Whether the pin moved to `to`. */
  updated: boolean;
}

/** Mirrors `DaemonState` in src-tauri/src/model.rs. */
export interface GatewayState {
  running: boolean;
  paused: boolean;
  pid: number | null;
  url: string | null;
  error: string | null;
  binary: string | null;
}

/** Mirrors `core::api::ToolLatency`. */
export interface ToolLatency {
  server: string;
  tool: string;
  calls: number;
  errors: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  lastMs: number;
}

/** Mirrors `LogLine` in src-tauri/src/model.rs. */
export interface LogLine {
  /** Unix time, milliseconds. */
  at: number;
  server: string;
  line: string;
}

/**
 * A daemon event (`core::api::Event`, tagged by `type`). Known kinds are typed; newer kinds
 * still arrive (as `OtherEvent`) so the UI can ignore them gracefully.
 */
export type DaemonEvent =
  | { type: 'server-started'; server: string; pid: number | null; tools: number }
  | { type: 'server-stopped'; server: string }
  | { type: 'server-crashed'; server: string; how: string; phase?: string; stderr?: string[] }
  | { type: 'server-recovered'; server: string; crashes: number }
  | { type: 'server-restarted'; server: string; pid: number | null; attempt: number }
  | { type: 'crash-loop'; server: string; crashes: number; startup?: boolean; cause?: string | null; stderr?: string[] }
  | { type: 'start-failed'; server: string; error: string }
  | { type: 'server-unavailable'; server: string; state: 'unreachable' | 'needs-sign-in'; error: string }
  | { type: 'tools-changed'; server: string; tools: number }
  | { type: 'log'; server: string; line: string; at_ms?: number }
  | {
      type: 'image-pull-progress';
      server: string;
      image: string;
      layers_done: number;
      layers_total: number;
      bytes_done: number;
      bytes_total: number;
      done: boolean;
    }
  | { type: 'docker-availability'; available: boolean; detail: string }
  | { type: 'reloaded'; started: string[]; stopped: string[]; restarted: string[]; failed: string[] };

/** Mirrors `DraftLimits` in src-tauri/src/editor.rs: text as typed, core parses it. */
export interface Limits {
  cpus?: string | null;
  memory?: string | null;
  pids?: string | null;
}

/** A catalog entry in Docker's catalog shape (only the keys the editor touches are typed). */
export interface CatalogEntry {
  title?: string;
  description?: string;
  image?: string;
  command?: string[];
  env?: { name: string; value?: string }[];
  secrets?: { name: string; env: string }[];
  volumes?: string[];
  disableNetwork?: boolean;
  allowHosts?: string[];
  'x-dockside'?: { watch?: string[]; [key: string]: unknown };
  [key: string]: unknown;
}

export type NetworkPolicy = 'catalog' | 'none' | 'open';

/** Mirrors `CatalogServer` in src-tauri/src/editor.rs. */
export interface CatalogServer {
  catalog: string;
  name: string;
  server: CatalogEntry;
  limits: Limits;
  network: NetworkPolicy;
  mode: Mode;
}

export interface CatalogView {
  catalogs: string[];
  servers: CatalogServer[];
}

/** Mirrors `Draft` in src-tauri/src/editor.rs. */
export interface Draft {
  /** The name it had when opened; absent for a new server. */
  original?: string;
  catalog: string;
  name: string;
  server: CatalogEntry;
  limits: Limits;
  network: NetworkPolicy;
  /** On a rename: AI clients' entries take the new name too (by default they keep theirs). */
  renameInClients?: boolean;
}

/** Mirrors `FieldIssue` in src-tauri/src/editor.rs. */
export interface FieldIssue {
  field: string;
  message: string;
  fix: string | null;
}

/** Mirrors `ParsedYaml` in src-tauri/src/editor.rs: the YAML view's text read back by core. */
export interface ParsedYaml {
  entry: { name: string; server: CatalogEntry } | null;
  issues: FieldIssue[];
}

/** Mirrors `ClientView` in src-tauri/src/clients.rs. */
export interface ClientView {
  id: string;
  name: string;
  path: string;
  detected: boolean;
  connected: boolean;
  singleEntry: boolean;
  servers: number | null;
  error: string | null;
  /** Entries the client has switched off with its own flag (Dockside keeps them off). */
  disabled: string[];
  /** Dockside servers this client knows by another name (kept in its file). */
  aliases: { server: string; entry: string }[];
  /** The client runs Docker MCP Toolkit's gateway (`MCP_DOCKER`): its profile and how many
   * servers that profile runs (`null` with `error` when Docker's files cannot tell). */
  dockerToolkit: { entry: string; profile: string; servers: number | null; error: string | null } | null;
}

/** Mirrors `DockerImport` in src-tauri/src/clients.rs (core's `docker_toolkit::Imported`). */
export interface DockerImport {
  source: { kind: 'profile'; path: string; profile: string; name: string } | { kind: 'legacy'; path: string };
  servers: { name: string; catalog: string; mode: Mode; added: boolean; image?: string; url?: string; secrets: string[]; note?: string }[];
  skipped: { name: string; reason: string }[];
  notes: string[];
  /** Secrets the servers declare that Dockside's store lacks (`dockside secret set NAME`). */
  missingSecrets: string[];
}

export interface ClientDiff {
  path: string;
  diff: string;
  notes: string[];
}

export interface ImportedServer {
  name: string;
  status: string;
  /** `native`, or `off` when every client it came from has it switched off. */
  mode: Mode;
  /** `client: path`, plus ` (as NAME)` where that client knows it by another name. */
  sources: string[];
}

/** Mirrors `Prefs` in src-tauri/src/prefs.rs. */
export const NOTIFICATION_KINDS = [
  'crashed',
  'restarted',
  'crash-loop',
  'image-pull',
  'production',
  'gateway',
  'sign-in',
  'update',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Prefs {
  keepGatewayRunning: boolean;
  muted: NotificationKind[];
  /** Start Dockside at login (read from and written to the OS, not app.json). */
  startAtLogin: boolean;
}

/** Mirrors `ServerMove` in crates/core/src/switch/plan.rs. */
export interface ServerMove {
  name: string;
  from: Mode;
  to: Mode;
  /** Why this target mode (no image, Dockerfile found…). */
  reason?: string;
  image?: string;
  build?: { dir: string; tag: string };
  /** Its container's network in docker mode. */
  network?: Network;
  imported?: boolean;
}

/** Mirrors `Network` in crates/core/src/state.rs. */
export type Network = 'none' | 'open' | { 'allow-hosts': string[] };

/** Mirrors `ClientChange` in crates/core/src/switch/plan.rs: one client file. */
export interface ClientChange {
  client: string;
  key?: string;
  path: string;
  /** Unified diff; empty when the file does not change. */
  diff: string;
  entries: number;
  gatewayEntries?: string[];
  /** The user's own entries: listed, left alone. */
  userEntries?: string[];
  /** One line per entry that changes. */
  changes?: string[];
}

/**
 * Mirrors `SwitchPlan` in crates/core/src/switch/plan.rs: every enabled server moved behind
 * the gateway, and every connected client's file rewritten to gateway entries.
 */
export interface ProductionPlan {
  /** The profile after the switch. */
  profile?: 'development' | 'production';
  servers: ServerMove[];
  clients: ClientChange[];
  /** Docker MCP Toolkit's gateway entries (`MCP_DOCKER`) in the connected clients' files. */
  dockerGateway?: { key: string; path: string; entry: string; profile: string; replaced: boolean }[];
  warnings: string[];
}

/** Mirrors `SwitchSummary` in src-tauri/src/production.rs. */
export interface SwitchSummary {
  id: string;
  /** Unix time, seconds. */
  time: number;
  servers: number;
  files: number;
}

/** Mirrors `MissingSecret` in src-tauri/src/production.rs. */
export interface MissingSecret {
  server: string;
  /** The secret's name (`dockside secret set NAME`). */
  name: string;
  /** The variable the server gets it in. */
  env: string;
}

/** Mirrors `ProductionPreview` in src-tauri/src/production.rs. */
export interface ProductionPreview {
  available: boolean;
  reason: string | null;
  plan: ProductionPlan | null;
  profile?: 'development' | 'production';
  /** The production switch Undo puts back, if one is applied. */
  undo?: SwitchSummary | null;
  /** Secrets enabled servers declare that the store lacks (names only). */
  missingSecrets?: MissingSecret[];
  /** The secret store could not be read. */
  secretsError?: string | null;
}

/** Mirrors `SecretUser` in src-tauri/src/secrets.rs: a server that declares a secret. */
export interface SecretUser {
  server: string;
  env: string;
  mode: Mode;
}

/** Mirrors `SecretRow` in src-tauri/src/secrets.rs. Never holds a value. */
export interface SecretRow {
  name: string;
  /** The store holds a value for it. */
  set: boolean;
  users: SecretUser[];
  /** Not set, and a server that is not off declares it. */
  missing: boolean;
}

/** Mirrors `SecretsView` in src-tauri/src/secrets.rs. */
export interface SecretsView {
  backend: 'keychain' | 'file';
  /** Where values live, e.g. "the OS keychain". */
  store: string;
  /** Why the file is used when the keychain was wanted. */
  warning: string | null;
  secrets: SecretRow[];
  /** The catalogs could not be read: only stored names are listed. */
  catalogError: string | null;
}

/** Mirrors `Latency` in crates/core/src/switch/preflight.rs. */
export interface PreflightLatency {
  probe: string;
  calls: number;
  nativeP50Ms: number;
  nativeMeanMs: number;
  gatewayP50Ms: number;
  gatewayMeanMs: number;
  overheadMs: number;
}

/** Mirrors `ServerCheck` in crates/core/src/switch/preflight.rs. */
export interface PreflightServer {
  name: string;
  from: Mode;
  to: Mode;
  image?: string;
  started: boolean;
  toolsBefore?: string[];
  toolsAfter: string[];
  missing: string[];
  added: string[];
  latency?: PreflightLatency;
  problems: string[];
  notes: string[];
}

/** Mirrors `PreflightReport` in crates/core/src/switch/preflight.rs. */
export interface PreflightReport {
  servers: PreflightServer[];
  problems: string[];
  forced?: boolean;
}

/** The parts of `SwitchRecord` (crates/core/src/switch/record.rs) the app passes on. */
export interface SwitchRecordSummary {
  id: string;
  kind: 'production' | 'restore';
  time: number;
  status: string;
  profileBefore: string;
  profileAfter: string;
  files: { client: string; path: string; backup?: string; keptUserEdits?: string[] }[];
  undoes?: string;
}

/** Mirrors `SwitchOutcome` in src-tauri/src/production.rs. */
export interface SwitchOutcome {
  /** Done, and verification found nothing wrong. */
  ok: boolean;
  /** Files and state were changed: Undo can put them back. */
  applied: boolean;
  plan: ProductionPlan | null;
  preflight: PreflightReport | null;
  record: SwitchRecordSummary | null;
  problems: string[];
  error: string | null;
}

/** One pre-flight step (Tauri event `production-progress`, src-tauri/src/production.rs). */
export interface SwitchProgress {
  server: string;
  message: string;
}

/** What the UI tells the app once the first load attempt finished (used by `--smoke-test`). */
export interface UiReport {
  servers: number | null;
  error: string | null;
}

export interface DocksideApi {
  listServers(): Promise<ServerView[]>;
  /** Switches a server's mode and returns its updated row. */
  setMode(name: string, mode: Mode): Promise<ServerView>;
  restartServer(name: string): Promise<ServerView>;
  /** Starts a remote server's sign-in (the daemon opens the page in the browser). */
  signIn(name: string): Promise<SignInStarted>;
  /** Looks for a newer version of a package server's package; unless `check`, moves to it. */
  updatePackage(name: string, check: boolean): Promise<PackageUpdate>;
  gatewayState(): Promise<GatewayState>;
  setPaused(paused: boolean): Promise<GatewayState>;
  getPrefs(): Promise<Prefs>;
  setPrefs(prefs: Prefs): Promise<Prefs>;
  recentLogs(): Promise<LogLine[]>;
  latency(): Promise<ToolLatency[]>;
  catalogView(): Promise<CatalogView>;
  validateServer(draft: Draft): Promise<FieldIssue[]>;
  /** Saves atomically; resolves with the issues instead when there are any. */
  saveServer(draft: Draft): Promise<FieldIssue[]>;
  removeServer(name: string): Promise<void>;
  serverYaml(draft: Draft): Promise<string>;
  parseServerYaml(text: string): Promise<ParsedYaml>;
  importCatalog(path: string): Promise<string>;
  listClients(): Promise<ClientView[]>;
  connectClient(id: string): Promise<ClientDiff>;
  disconnectClient(id: string): Promise<ClientDiff>;
  clientDiff(id: string): Promise<ClientDiff>;
  importClient(id: string): Promise<ImportedServer[]>;
  importDockerToolkit(profile: string): Promise<DockerImport>;
  /** `replaceDockerGateway`: the plan removes the clients' `MCP_DOCKER` entries too. */
  productionPlan(replaceDockerGateway?: boolean): Promise<ProductionPreview>;
  /** Pre-flight, then the switch (progress arrives through `onProductionProgress`). */
  switchProduction(replaceDockerGateway?: boolean, elseManaged?: boolean): Promise<SwitchOutcome>;
  /** Undoes the last production switch. */
  switchDevelopment(): Promise<SwitchOutcome>;
  /** Secret names, their users and whether each is set; never a value. */
  listSecrets(): Promise<SecretsView>;
  /** Stores a value (sent once, never read back); resolves with the new list. */
  setSecret(name: string, value: string): Promise<SecretsView>;
  removeSecret(name: string): Promise<SecretsView>;
  uiReady(report: UiReport): Promise<void>;
}

/** Pushed updates from the app. Each returns a function that stops listening. */
export interface DocksideEvents {
  onDaemonEvent(handler: (event: DaemonEvent) => void): Promise<UnlistenFn>;
  onServers(handler: (rows: ServerView[]) => void): Promise<UnlistenFn>;
  onGateway(handler: (state: GatewayState) => void): Promise<UnlistenFn>;
  onNavigate(handler: (screen: string) => void): Promise<UnlistenFn>;
  onProductionProgress(handler: (step: SwitchProgress) => void): Promise<UnlistenFn>;
}

/** Turns whatever a rejected call carries (Tauri rejects with the command's error value) into text. */
export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err && typeof err.message === 'string') {
    return err.message;
  }
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

export const NOT_IN_APP =
  'This page is the Dockside app UI: open it from the Dockside tray app (not a browser).';

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  if (!isTauri()) throw new Error(NOT_IN_APP);
  return invoke<T>(cmd, args);
}

/** The real API: Tauri commands registered in src-tauri/src/lib.rs. */
export const tauriApi: DocksideApi = {
  listServers: () => call('list_servers'),
  setMode: (name, mode) => call('set_mode', { name, mode }),
  restartServer: (name) => call('restart_server', { name }),
  updatePackage: (name, check) => call('update_package', { name, check }),
  signIn: (name) => call('sign_in', { name }),
  gatewayState: () => call('gateway_state'),
  setPaused: (paused) => call('set_paused', { paused }),
  getPrefs: () => call('get_prefs'),
  setPrefs: (prefs) => call('set_prefs', { prefs }),
  recentLogs: () => call('recent_logs'),
  latency: () => call('latency'),
  catalogView: () => call('catalog_view'),
  validateServer: (draft) => call('validate_server', { draft }),
  saveServer: (draft) => call('save_server', { draft }),
  removeServer: (name) => call('remove_server', { name }),
  serverYaml: (draft) => call('server_yaml', { draft }),
  parseServerYaml: (text) => call('parse_server_yaml', { text }),
  importCatalog: (path) => call('import_catalog', { path }),
  listClients: () => call('list_clients'),
  connectClient: (id) => call('connect_client', { id }),
  disconnectClient: (id) => call('disconnect_client', { id }),
  clientDiff: (id) => call('client_diff', { id }),
  importClient: (id) => call('import_client', { id }),
  importDockerToolkit: (profile) => call('import_docker_toolkit', { profile }),
  productionPlan: (replaceDockerGateway = false) => call('production_plan', { replaceDockerGateway }),
  switchProduction: (replaceDockerGateway = false, elseManaged = false) => call('switch_production', { replaceDockerGateway, elseManaged }),
  switchDevelopment: () => call('switch_development'),
  listSecrets: () => call('list_secrets'),
  setSecret: (name, value) => call('set_secret', { name, value }),
  removeSecret: (name) => call('remove_secret', { name }),
  uiReady: (report) => call('ui_ready', { report }),
};

async function on<T>(name: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  if (!isTauri()) return () => {};
  return listen<T>(name, (event) => handler(event.payload));
}

/** The real events: emitted by src-tauri/src/hub.rs (`EVENT_*`). */
export const tauriEvents: DocksideEvents = {
  onDaemonEvent: (handler) => on('daemon-event', handler),
  onServers: (handler) => on('servers-changed', handler),
  onGateway: (handler) => on('gateway-changed', handler),
  onNavigate: (handler) => on('navigate', handler),
  onProductionProgress: (handler) => on('production-progress', handler),
};
