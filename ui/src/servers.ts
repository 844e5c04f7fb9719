/**
 * The Servers screen: one row per MCP server with its mode switch, run state, tools, calls,
 * p50 latency sparkline, and restart / logs actions.
 *
 * Rows come from `list_servers` and are replaced whenever the app pushes `servers-changed`;
 * daemon events (`daemon-event`) update a row at once (a crash shows before the next refresh).
 */
import {
  MODES,
  MODE_DESCRIPTIONS,
  MODE_LABELS,
  errorMessage,
  isMode,
  type DaemonEvent,
  type DocksideApi,
  type Mode,
  type PackageUpdate,
  type ServerView,
  type ToolLatency,
  type UiReport,
} from './api';
import { el, icon } from './dom';
import { sparkline } from './sparkline';

export interface ServersScreen {
  element: HTMLElement;
  /** Reloads the rows; resolves with what was shown (never rejects). */
  refresh(): Promise<UiReport>;
  setRows(rows: ServerView[]): void;
  applyEvent(event: DaemonEvent): void;
  setLatency(stats: ToolLatency[]): void;
}

export interface Toaster {
  error(message: string | null): void;
  info(message: string): void;
}

const STATE_KINDS: Record<string, string> = {
  running: 'ok',
  starting: 'busy',
  restarting: 'busy',
  'pulling image': 'busy',
  stopped: 'idle',
  off: 'idle',
  paused: 'idle',
  'run by clients': 'native',
  'gateway stopped': 'idle',
  crashed: 'bad',
  failed: 'bad',
  'crash-loop': 'bad',
  'docker unavailable': 'bad',
  unreachable: 'bad',
  'needs sign-in': 'bad',
};

export function stateKind(state: string): string {
  return STATE_KINDS[state] ?? 'unknown';
}

/** How long a history of p50 values the sparkline keeps. */
export const SPARK_POINTS = 24;

/** Per-server totals over its tools: calls, and a calls-weighted p50. */
export function serverLatency(stats: readonly ToolLatency[]): Map<string, { calls: number; p50: number }> {
  const out = new Map<string, { calls: number; p50: number; weight: number }>();
  for (const s of stats) {
    const cur = out.get(s.server) ?? { calls: 0, p50: 0, weight: 0 };
    const w = Math.max(s.calls, 1);
    cur.p50 = (cur.p50 * cur.weight + s.p50Ms * w) / (cur.weight + w);
    cur.weight += w;
    cur.calls += s.calls;
    out.set(s.server, cur);
  }
  return new Map([...out].map(([k, v]) => [k, { calls: v.calls, p50: v.p50 }]));
}

/** The rows after a daemon event (a new array), or `null` if the event changes no row. */
export function applyEvent(rows: readonly ServerView[], event: DaemonEvent): ServerView[] | null {
  if (!('server' in event)) return null;
  const index = rows.findIndex((r) => r.name === event.server);
  const row = rows[index];
  if (!row) return null;
  // Run states belong to servers the gateway runs; a `native` or `off` row shows its mode (as
  // the app's merge does). A late `server-stopped` for a server just switched off must not
  // turn its "off" into "stopped".
  if (row.mode !== 'managed' && row.mode !== 'docker') return null;
  let next: ServerView;
  switch (event.type) {
    case 'server-started':
      next = { ...row, state: 'running', tools: event.tools, pid: event.pid, error: null };
      break;
    case 'server-restarted':
      next = { ...row, state: 'running', pid: event.pid, restarts: event.attempt, error: null };
      break;
    case 'server-crashed': {
      const last = event.stderr?.filter((l) => l.trim() !== '').at(-1);
      next = { ...row, state: event.phase === 'startup' ? 'failed' : 'crashed', pid: null, error: last ? `${event.how}: ${last}` : event.how };
      break;
    }
    case 'server-recovered':
      next = { ...row, state: 'running', error: null };
      break;
    case 'crash-loop':
      next = { ...row, state: 'crash-loop', pid: null, error: event.cause || `crashed ${event.crashes} times; not restarted` };
      break;
    case 'start-failed':
      next = { ...row, state: 'failed', error: event.error };
      break;
    case 'server-unavailable':
      next = { ...row, state: event.state === 'needs-sign-in' ? 'needs sign-in' : 'unreachable', pid: null, error: event.error };
      break;
    case 'server-stopped':
      next = { ...row, state: 'stopped', pid: null };
      break;
    case 'tools-changed':
      next = { ...row, tools: event.tools };
      break;
    case 'image-pull-progress':
      next = { ...row, state: event.done ? row.state : 'pulling image' };
      break;
    default:
      return null;
  }
  const out = rows.slice();
  out[index] = next;
  return out;
}

interface Pull {
  image: string;
  fraction: number | null;
  done: boolean;
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function mountServers(
  api: DocksideApi,
  toast: Toaster,
  showLogs: (server: string) => void,
): ServersScreen {
  let rows: ServerView[] = [];
  let loaded = false;
  let loadError: string | null = null;
  let inflight: Promise<UiReport> | null = null;
  const busy = new Set<string>();
  const history = new Map<string, number[]>();
  const calls = new Map<string, number>();
  const pulls = new Map<string, Pull>();
  /** Newer versions found by "Check for update", offered until taken or the row's pin moves. */
  const offers = new Map<string, PackageUpdate>();

  const summary = el('p', { class: 'screen-summary', 'aria-live': 'polite' });
  const refreshButton = el('button', { type: 'button', class: 'button', 'data-action': 'refresh' }, 'Refresh');
  const head = el(
    'div',
    { class: 'screen-head' },
    el('div', {}, el('h2', {}, 'Servers'), summary),
    refreshButton,
  );

  const loadBanner = el('div', { class: 'banner', role: 'alert' });
  loadBanner.hidden = true;
  const dockerNotice = el('div', { class: 'notice', role: 'status' });
  dockerNotice.hidden = true;
  const loading = el('p', { class: 'loading' }, 'Loading servers…');

  const tbody = el('tbody');
  const table = el(
    'table',
    { class: 'grid servers' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Server'),
        el('th', { scope: 'col' }, 'Mode'),
        el('th', { scope: 'col' }, 'State'),
        el('th', { scope: 'col', class: 'num' }, 'Tools'),
        el('th', { scope: 'col', class: 'num' }, 'Calls'),
        el('th', { scope: 'col' }, 'p50 latency'),
        el('th', { scope: 'col', class: 'actions-col' }, el('span', { class: 'sr-only' }, 'Actions')),
      ),
    ),
    tbody,
  );
  table.hidden = true;

  const empty = el(
    'div',
    { class: 'empty' },
    el('h3', {}, 'No MCP servers yet'),
    el('p', {}, 'Add one in the Catalog, or import the servers your AI clients already have.'),
  );
  empty.hidden = true;

  const element = el('section', { class: 'screen', 'aria-labelledby': 'tab-servers' }, head, loadBanner, dockerNotice, loading, table, empty);

  function renderSummary(): void {
    if (!loaded || rows.length === 0) {
      summary.textContent = loaded ? 'Nothing configured' : '';
      return;
    }
    const n = rows.length;
    const running = rows.filter((s) => s.state === 'running').length;
    const attention = rows.filter((s) => stateKind(s.state) === 'bad').length;
    const parts = [`${n} server${n === 1 ? '' : 's'}`];
    // Run states come from the daemon; while none says "running", do not claim "0 running".
    if (running > 0) parts.push(`${running} running`);
    if (attention > 0) parts.push(`${attention} need${attention === 1 ? 's' : ''} attention`);
    summary.textContent = parts.join(' · ');
  }

  function modeSwitch(server: ServerView): HTMLFieldSetElement {
    const group = el('fieldset', { class: 'segmented', 'aria-label': `Mode of ${server.name}` });
    group.disabled = busy.has(server.name);
    for (const mode of MODES) {
      const input = el('input', { type: 'radio', name: `mode:${server.name}`, value: mode, 'data-server': server.name });
      // As an attribute too, so two renders of a row compare equal only with the same mode.
      if (server.mode === mode) input.setAttribute('checked', '');
      input.checked = server.mode === mode;
      group.append(el('label', { class: 'segment', title: MODE_DESCRIPTIONS[mode] }, input, el('span', {}, MODE_LABELS[mode])));
    }
    return group;
  }

  function stateCell(server: ServerView): HTMLTableCellElement {
    const pill = el('span', { class: `pill pill-${stateKind(server.state)}` }, server.state || 'unknown');
    const cell = el('td', { class: 'state' }, pill);
    const pull = pulls.get(server.name);
    if (pull && !pull.done) {
      const percent = pull.fraction === null ? null : Math.round(pull.fraction * 100);
      const bar = el('progress', {
        class: 'pull',
        max: '100',
        'aria-label': `Pulling ${pull.image}`,
      });
      if (percent !== null) bar.value = percent;
      cell.append(
        el(
          'div',
          { class: 'pull-wrap' },
          bar,
          el('span', { class: 'pull-text' }, percent === null ? `Pulling ${pull.image}` : `${pull.image} · ${percent}%`),
        ),
      );
    } else if (server.error && stateKind(server.state) === 'bad') {
      cell.append(el('div', { class: 'state-detail', title: server.error }, server.error));
    } else if ((server.restarts ?? 0) > 0 && server.state === 'running') {
      cell.append(el('div', { class: 'state-detail' }, `${server.restarts} restart${server.restarts === 1 ? '' : 's'}`));
    }
    return cell;
  }

  function renderRow(server: ServerView): HTMLTableRowElement {
    const gateway = server.mode === 'managed' || server.mode === 'docker';
    const hist = history.get(server.name) ?? [];
    const p50 = hist.length > 0 ? hist[hist.length - 1]! : null;
    const n = calls.get(server.name);
    const restart = el(
      'button',
      {
        type: 'button',
        class: 'icon-button',
        'data-action': 'restart',
        'data-server': server.name,
        'aria-label': `Restart ${server.name}`,
        title: gateway ? 'Restart' : 'Only servers the gateway runs can be restarted here',
      },
      icon('restart'),
    );
    restart.disabled = !gateway || busy.has(server.name);
    const logs = el(
      'button',
      {
        type: 'button',
        class: 'icon-button',
        'data-action': 'logs',
        'data-server': server.name,
        'aria-label': `Logs of ${server.name}`,
        title: 'Logs',
      },
      icon('logs'),
    );
    const nameCell = el('td', { class: 'name' }, el('code', {}, server.name));
    if (server.title) nameCell.append(el('div', { class: 'subtitle' }, server.title));
    if (server.package) nameCell.append(packageLine(server, server.package));
    const row = el(
      'tr',
      { 'data-server': server.name, 'data-state': server.state },
      nameCell,
      el('td', { class: 'mode' }, modeSwitch(server)),
      stateCell(server),
      el('td', { class: 'num tools' }, server.tools === null || server.tools === undefined ? '—' : String(server.tools)),
      el('td', { class: 'num calls' }, n === undefined ? '—' : String(n)),
      el(
        'td',
        { class: 'latency' },
        p50 === null
          ? el('span', { class: 'muted' }, '—')
          : el('span', { class: 'latency-wrap' }, sparkline(hist, `p50 latency of ${server.name}`), el('span', {}, formatMs(p50))),
      ),
      el('td', { class: 'actions' }, ...(server.state === 'needs sign-in' ? [signInButton(server)] : []), restart, logs),
    );
    if (busy.has(server.name)) row.setAttribute('aria-busy', 'true');
    return row;
  }

  function signInButton(server: ServerView): HTMLButtonElement {
    const button = el(
      'button',
      { type: 'button', class: 'button small primary', 'data-action': 'sign-in', 'data-server': server.name, title: `Sign in to ${server.name} in your browser` },
      'Sign in',
    );
    button.disabled = busy.has(server.name);
    return button;
  }

  async function signIn(name: string): Promise<void> {
    try {
      const started = await api.signIn(name);
      toast.info(
        started.browserOpened
          ? `Finish signing in to ${name} in your browser; Dockside restarts it when you are done.`
          : `Open this address in a browser to sign in to ${name}: ${started.url}`,
      );
    } catch (err) {
      toast.error(`Could not start the sign-in to ${name}: ${errorMessage(err)}`);
    }
  }

  /** The pinned package, and a button that checks for a newer version or moves to it. */
  function packageLine(server: ServerView, label: string): HTMLElement {
    const offer = offers.get(server.name);
    const pending = offer !== undefined && !label.endsWith(`@${offer.to}`);
    const button = el(
      'button',
      {
        type: 'button',
        class: 'link-button',
        'data-action': pending ? 'update-package' : 'check-update',
        'data-server': server.name,
        title: pending ? `Install ${offer.to} and run it from now on` : 'Ask the registry for a newer version',
      },
      pending ? `Update to ${offer.to}` : 'Check for update',
    );
    button.disabled = busy.has(server.name);
    return el('div', { class: 'subtitle package' }, el('code', {}, label), ' ', button);
  }

  async function updatePackage(name: string, check: boolean): Promise<void> {
    const before = rows.find((s) => s.name === name);
    if (!before) return;
    busy.add(name);
    update(before);
    try {
      const result = await api.updatePackage(name, check);
      busy.delete(name);
      if (result.updated) {
        offers.delete(name);
        toast.info(`${name}: ${result.package} ${result.from ?? 'unpinned'} → ${result.to}`);
      } else if (result.from === result.to) {
        offers.delete(name);
        toast.info(`${name}: ${result.package} ${result.to} is the newest`);
      } else {
        offers.set(name, result);
      }
      update(rows.find((s) => s.name === name) ?? before);
    } catch (err) {
      busy.delete(name);
      update(rows.find((s) => s.name === name) ?? before);
      toast.error(`Could not ${check ? 'check' : 'update'} the package of ${name}: ${errorMessage(err)}`);
    }
  }

  function rowOf(name: string): HTMLTableRowElement | undefined {
    for (const row of tbody.children) {
      if (row instanceof HTMLTableRowElement && row.dataset.server === name) return row;
    }
    return undefined;
  }

  /**
   * Brings row `old` to what `fresh` shows, in place: a cell that renders the same stays (an
   * equal node), so a click or focus on it survives the re-renders status events, latency
   * polls and listings cause. Only changed cells are swapped.
   */
  function patchRow(old: HTMLTableRowElement, fresh: HTMLTableRowElement): void {
    for (const attr of ['data-state', 'aria-busy']) {
      const value = fresh.getAttribute(attr);
      if (value === null) old.removeAttribute(attr);
      else old.setAttribute(attr, value);
    }
    const [before, after] = [[...old.cells], [...fresh.cells]];
    if (before.length !== after.length) {
      old.replaceWith(fresh);
      return;
    }
    before.forEach((cell, i) => {
      if (!cell.isEqualNode(after[i]!)) cell.replaceWith(after[i]!);
    });
  }

  function replaceRow(server: ServerView): void {
    const old = rowOf(server.name);
    if (!old) return;
    const focused = document.activeElement;
    const inRow = focused instanceof HTMLElement && old.contains(focused);
    const action = inRow ? focused.dataset.action : undefined;
    patchRow(old, renderRow(server));
    // Focus was inside a cell that had to be swapped: put it on the same control again.
    if (inRow && !focused.isConnected && old.isConnected) {
      const target =
        action !== undefined
          ? old.querySelector<HTMLElement>(`[data-action="${action}"]`)
          : old.querySelector<HTMLInputElement>('input:checked');
      target?.focus();
    }
  }

  function render(): void {
    loading.hidden = loaded || loadError !== null;
    loadBanner.hidden = loadError === null;
    table.hidden = !loaded || rows.length === 0;
    empty.hidden = !loaded || rows.length > 0;
    const shown = [...tbody.children].map((r) => (r as HTMLElement).dataset.server);
    if (shown.length === rows.length && rows.every((r, i) => shown[i] === r.name)) {
      for (const row of rows) replaceRow(row);
    } else {
      const focused = document.activeElement;
      const focusServer = focused instanceof HTMLElement && tbody.contains(focused) ? focused.dataset.server : undefined;
      tbody.replaceChildren(...rows.map(renderRow));
      if (focusServer !== undefined) rowOf(focusServer)?.querySelector<HTMLInputElement>('input:checked')?.focus();
    }
    renderSummary();
  }

  function setRows(next: ServerView[]): void {
    rows = next.map((r) => ({ ...r }));
    loaded = true;
    loadError = null;
    render();
  }

  function update(server: ServerView): void {
    const index = rows.findIndex((r) => r.name === server.name);
    if (index < 0) return;
    rows[index] = server;
    replaceRow(server);
    renderSummary();
  }

  async function changeMode(name: string, mode: Mode): Promise<void> {
    const before = rows.find((s) => s.name === name);
    if (!before || before.mode === mode) return;
    busy.add(name);
    update({ ...before, mode });
    try {
      const updated = await api.setMode(name, mode);
      busy.delete(name);
      update(updated);
      toast.error(null);
      if (updated.warning) toast.info(updated.warning);
    } catch (err) {
      busy.delete(name);
      update(before);
      toast.error(`Could not switch ${name} to ${MODE_LABELS[mode]}: ${errorMessage(err)}`);
    }
  }

  async function restart(name: string): Promise<void> {
    const before = rows.find((s) => s.name === name);
    if (!before) return;
    busy.add(name);
    update({ ...before, state: 'restarting' });
    try {
      const updated = await api.restartServer(name);
      busy.delete(name);
      update(updated);
    } catch (err) {
      busy.delete(name);
      update(before);
      toast.error(`Could not restart ${name}: ${errorMessage(err)}`);
    }
  }

  async function load(): Promise<UiReport> {
    refreshButton.disabled = true;
    try {
      setRows(await api.listServers());
      return { servers: rows.length, error: null };
    } catch (err) {
      const message = errorMessage(err);
      loadError = message;
      loadBanner.replaceChildren(
        el('span', { class: 'banner-text' }, `Could not load servers: ${message}`),
        el('button', { type: 'button', class: 'button', 'data-action': 'retry' }, 'Retry'),
      );
      render();
      return { servers: null, error: message };
    } finally {
      refreshButton.disabled = false;
    }
  }

  function refresh(): Promise<UiReport> {
    inflight ??= load().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  function applyDaemonEvent(event: DaemonEvent): void {
    if (event.type === 'docker-availability') {
      dockerNotice.hidden = event.available;
      dockerNotice.replaceChildren(
        el('strong', {}, 'Docker is not available. '),
        el('span', {}, event.detail || 'Servers in Docker mode start once Docker answers.'),
      );
      return;
    }
    if (event.type === 'image-pull-progress') {
      const fraction =
        event.bytes_total > 0
          ? event.bytes_done / event.bytes_total
          : event.layers_total > 0
            ? event.layers_done / event.layers_total
            : null;
      pulls.set(event.server, { image: event.image, fraction: event.done ? 1 : fraction, done: event.done });
    }
    const next = applyEvent(rows, event);
    if (next === null) {
      if (event.type === 'image-pull-progress') {
        const row = rows.find((r) => r.name === event.server);
        if (row) replaceRow(row);
      }
      return;
    }
    rows = next;
    const changed = rows.find((r) => 'server' in event && r.name === event.server);
    if (changed) replaceRow(changed);
    renderSummary();
  }

  function setLatency(stats: ToolLatency[]): void {
    for (const [server, { calls: n, p50 }] of serverLatency(stats)) {
      calls.set(server, n);
      const hist = history.get(server) ?? [];
      hist.push(p50);
      if (hist.length > SPARK_POINTS) hist.shift();
      history.set(server, hist);
    }
    for (const row of rows) replaceRow(row);
  }

  tbody.addEventListener('change', (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== 'radio') return;
    const name = input.dataset.server;
    if (name !== undefined && isMode(input.value)) void changeMode(name, input.value);
  });
  tbody.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest<HTMLElement>('button[data-action]') : null;
    const name = target?.dataset.server;
    if (!target || name === undefined) return;
    if (target.dataset.action === 'restart') void restart(name);
    if (target.dataset.action === 'logs') showLogs(name);
    if (target.dataset.action === 'sign-in') void signIn(name);
    if (target.dataset.action === 'check-update') void updatePackage(name, true);
    if (target.dataset.action === 'update-package') void updatePackage(name, false);
  });
  refreshButton.addEventListener('click', () => void refresh());
  loadBanner.addEventListener('click', (event) => {
    if (event.target instanceof HTMLElement && event.target.dataset.action === 'retry') void refresh();
  });

  return { element, refresh, setRows, applyEvent: applyDaemonEvent, setLatency };
}
