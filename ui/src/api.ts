/**
 * The only module that talks to the Tauri side (src-tauri/src/commands.rs).
 *
 * Everything else in the UI depends on the `DocksideApi` interface, so tests pass a fake
 * and never need a webview. Keep the types here in sync with `src-tauri/src/backend.rs`.
 */
import { invoke, isTauri } from '@tauri-apps/api/core';

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

/** One row of the dashboard. Mirrors `ServerView` in src-tauri/src/backend.rs. */
export interface ServerView {
  /** Catalog key; also the name AI clients see. */
  name: string;
  /** Human title from the catalog (may be empty). */
  title: string;
  mode: Mode;
  /** Run state, e.g. "running", "stopped", "crashed"; unknown values are shown as-is. */
  state: string;
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
  uiReady(report: UiReport): Promise<void>;
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
  listServers: () => call<ServerView[]>('list_servers'),
  setMode: (name, mode) => call<ServerView>('set_mode', { name, mode }),
  uiReady: (report) => call<void>('ui_ready', { report }),
};
