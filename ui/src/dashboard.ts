/**
 * The dashboard: a table of MCP servers with a mode switch per server.
 *
 * Plain DOM, no framework. All data comes through a `DocksideApi` (see api.ts), and all
 * text from the backend goes in through `textContent`, never as HTML.
 */
import {
  MODES,
  MODE_DESCRIPTIONS,
  MODE_LABELS,
  errorMessage,
  isMode,
  type DocksideApi,
  type Mode,
  type ServerView,
  type UiReport,
} from './api';

export interface Dashboard {
  /** Reloads the server list; resolves with what was shown (never rejects). */
  refresh(): Promise<UiReport>;
}

const KNOWN_STATES: Record<string, string> = {
  running: 'ok',
  starting: 'busy',
  restarting: 'busy',
  stopped: 'idle',
  off: 'idle',
  crashed: 'bad',
  'crash-loop': 'bad',
};

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

const LOGO_SVG = `<svg viewBox="0 0 32 32" aria-hidden="true" focusable="false">
  <rect x="11" y="6" width="10" height="7" rx="1.5"/>
  <rect x="5" y="14" width="10" height="7" rx="1.5"/>
  <rect x="17" y="14" width="10" height="7" rx="1.5"/>
  <rect x="3" y="23" width="26" height="3" rx="1.5"/>
</svg>`;

export function mountDashboard(root: HTMLElement, api: DocksideApi): Dashboard {
  let servers: ServerView[] = [];
  let loaded = false;
  let inflight: Promise<UiReport> | null = null;

  const logo = el('span', { class: 'logo' });
  logo.innerHTML = LOGO_SVG; // static markup, no data
  const summary = el('span', { class: 'summary', 'aria-live': 'polite' });
  const refreshButton = el('button', { type: 'button', class: 'button', 'data-action': 'refresh' }, 'Refresh');
  const header = el(
    'header',
    { class: 'topbar' },
    el(
      'div',
      { class: 'topbar-inner' },
      el('div', { class: 'brand' }, logo, el('h1', {}, 'Dockside')),
      summary,
      refreshButton,
    ),
  );

  const bannerText = el('span', { class: 'banner-text' });
  const retryButton = el('button', { type: 'button', class: 'button', 'data-action': 'retry' }, 'Retry');
  const dismissButton = el(
    'button',
    { type: 'button', class: 'button dismiss', 'data-action': 'dismiss', 'aria-label': 'Dismiss' },
    '×',
  );
  const banner = el('div', { class: 'banner', role: 'alert' }, bannerText, retryButton, dismissButton);
  banner.hidden = true;

  const loading = el('p', { class: 'loading' }, 'Loading servers…');

  const tbody = el('tbody');
  const table = el(
    'table',
    { class: 'servers' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Name'),
        el('th', { scope: 'col' }, 'Title'),
        el('th', { scope: 'col' }, 'Mode'),
        el('th', { scope: 'col' }, 'State'),
      ),
    ),
    tbody,
  );
  table.hidden = true;

  const empty = el(
    'div',
    { class: 'empty' },
    el('h2', {}, 'No MCP servers yet'),
    el('p', {}, 'Servers from your Dockside catalogs show up here. Add one with the dockside CLI, then press Refresh.'),
  );
  empty.hidden = true;

  const main = el('main', {}, banner, loading, table, empty);
  root.replaceChildren(header, main);

  function showError(message: string | null, retry: boolean): void {
    banner.hidden = message === null;
    bannerText.textContent = message ?? '';
    retryButton.hidden = !retry;
    // A failed load keeps its banner until a retry works. An action's error is a toast at the
    // bottom: it can be dismissed, and it does not push the table away under the pointer.
    dismissButton.hidden = retry;
    banner.classList.toggle('toast', !retry);
  }

  function renderSummary(): void {
    if (!loaded) {
      summary.textContent = '';
      return;
    }
    const running = servers.filter((s) => s.state === 'running').length;
    const n = servers.length;
    // Run states come from the daemon; while none says "running", do not claim "0 running".
    const count = `${n} server${n === 1 ? '' : 's'}`;
    summary.textContent = n === 0 ? '' : running > 0 ? `${count} · ${running} running` : count;
  }

  function renderRow(server: ServerView, busy = false): HTMLTableRowElement {
    const group = el('fieldset', {
      class: 'segmented',
      'aria-label': `Mode of ${server.name}`,
    });
    group.disabled = busy;
    for (const mode of MODES) {
      const input = el('input', {
        type: 'radio',
        name: `mode:${server.name}`,
        value: mode,
        'data-server': server.name,
      });
      input.checked = server.mode === mode;
      group.append(
        el('label', { class: 'segment', title: MODE_DESCRIPTIONS[mode] }, input, el('span', {}, MODE_LABELS[mode])),
      );
    }
    const stateKind = KNOWN_STATES[server.state] ?? 'unknown';
    const row = el(
      'tr',
      { 'data-server': server.name },
      el('td', { class: 'name' }, el('code', {}, server.name)),
      el('td', { class: 'title' }, server.title),
      el('td', { class: 'mode' }, group),
      el('td', { class: 'state' }, el('span', { class: `pill pill-${stateKind}` }, server.state || 'unknown')),
    );
    if (busy) row.setAttribute('aria-busy', 'true');
    return row;
  }

  function renderTable(): void {
    loading.hidden = loaded || !banner.hidden;
    table.hidden = !loaded || servers.length === 0;
    empty.hidden = !loaded || servers.length > 0;
    tbody.replaceChildren(...servers.map((s) => renderRow(s)));
    renderSummary();
  }

  function rowOf(name: string): HTMLTableRowElement | undefined {
    for (const row of tbody.children) {
      if (row instanceof HTMLTableRowElement && row.dataset.server === name) return row;
    }
    return undefined;
  }

  function replaceRow(server: ServerView, busy: boolean): void {
    const old = rowOf(server.name);
    if (!old) return;
    const hadFocus = old.contains(document.activeElement);
    const fresh = renderRow(server, busy);
    old.replaceWith(fresh);
    if (hadFocus) fresh.querySelector<HTMLInputElement>('input:checked')?.focus();
  }

  async function changeMode(name: string, mode: Mode): Promise<void> {
    const index = servers.findIndex((s) => s.name === name);
    const before = servers[index];
    if (!before || before.mode === mode) return;
    replaceRow({ ...before, mode }, true);
    try {
      const updated = await api.setMode(name, mode);
      servers[index] = updated;
      replaceRow(updated, false);
      showError(null, false);
      renderSummary();
    } catch (err) {
      replaceRow(before, false);
      showError(`Could not switch ${name} to ${MODE_LABELS[mode]}: ${errorMessage(err)}`, false);
    }
  }

  async function load(): Promise<UiReport> {
    refreshButton.disabled = true;
    try {
      servers = await api.listServers();
      loaded = true;
      showError(null, false);
      renderTable();
      return { servers: servers.length, error: null };
    } catch (err) {
      const message = errorMessage(err);
      showError(`Could not load servers: ${message}`, true);
      if (!loaded) renderTable();
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

  tbody.addEventListener('change', (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== 'radio') return;
    const name = input.dataset.server;
    if (name !== undefined && isMode(input.value)) void changeMode(name, input.value);
  });
  refreshButton.addEventListener('click', () => void refresh());
  retryButton.addEventListener('click', () => void refresh());
  dismissButton.addEventListener('click', () => showError(null, false));

  return { refresh };
}
