/**
 * The Logs screen: every server's output merged into one live stream (daemon `log` events),
 * filtered by server and text.
 */
import type { DocksideApi, LogLine } from './api';
import { button, el } from './dom';

export interface LogsScreen {
  element: HTMLElement;
  refresh(): Promise<void>;
  append(line: LogLine): void;
  filterServer(server: string): void;
}

export const MAX_LINES = 2000;

export function matches(line: LogLine, server: string, text: string): boolean {
  if (server !== '' && line.server !== server) return false;
  return text === '' || line.line.toLowerCase().includes(text.toLowerCase()) || line.server.toLowerCase().includes(text.toLowerCase());
}

function time(at: number): string {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function mountLogs(api: DocksideApi): LogsScreen {
  let lines: LogLine[] = [];
  const servers = new Set<string>();

  const serverSelect = el('select', { class: 'input', id: 'log-server', 'aria-label': 'Server' });
  const textFilter = el('input', { type: 'search', class: 'input', id: 'log-filter', placeholder: 'Filter…', 'aria-label': 'Filter text' });
  const follow = el('input', { type: 'checkbox', id: 'log-follow' });
  follow.checked = true;
  const clear = button('Clear', { 'data-action': 'clear-logs' });
  const out = el('div', { class: 'log', role: 'log', 'aria-live': 'off', tabindex: '0', 'aria-label': 'Server output' });
  const count = el('span', { class: 'muted' });

  const element = el(
    'section',
    { class: 'screen', 'aria-labelledby': 'tab-logs' },
    el('div', { class: 'screen-head' }, el('div', {}, el('h2', {}, 'Logs'), el('p', { class: 'screen-summary' }, 'Output of every server the gateway runs'))),
    el(
      'div',
      { class: 'toolbar' },
      serverSelect,
      textFilter,
      el('label', { class: 'check' }, follow, el('span', {}, 'Follow')),
      count,
      el('span', { class: 'spacer' }),
      clear,
    ),
    out,
  );

  function renderServers(): void {
    const current = serverSelect.value;
    serverSelect.replaceChildren(el('option', { value: '' }, 'All servers'), ...[...servers].sort().map((s) => el('option', { value: s }, s)));
    serverSelect.value = servers.has(current) ? current : '';
  }

  function lineNode(l: LogLine): HTMLElement {
    return el('div', { class: 'log-line' }, el('span', { class: 'log-time' }, time(l.at)), el('span', { class: 'log-server' }, l.server), el('span', { class: 'log-text' }, l.line));
  }

  function render(): void {
    const shown = lines.filter((l) => matches(l, serverSelect.value, textFilter.value));
    out.replaceChildren(...(shown.length > 0 ? shown.map(lineNode) : [el('div', { class: 'muted log-empty' }, lines.length === 0 ? 'No output yet. Servers the gateway runs write here.' : 'No line matches the filter.')]));
    count.textContent = `${shown.length} of ${lines.length} lines`;
    if (follow.checked) out.scrollTop = out.scrollHeight;
  }

  function append(line: LogLine): void {
    lines.push(line);
    if (lines.length > MAX_LINES) lines = lines.slice(-MAX_LINES);
    if (!servers.has(line.server)) {
      servers.add(line.server);
      renderServers();
    }
    if (!element.isConnected) return;
    if (matches(line, serverSelect.value, textFilter.value)) {
      out.querySelector('.log-empty')?.remove();
      out.append(lineNode(line));
      while (out.childElementCount > MAX_LINES) out.firstElementChild?.remove();
      if (follow.checked) out.scrollTop = out.scrollHeight;
    }
    count.textContent = `${out.querySelectorAll('.log-line').length} of ${lines.length} lines`;
  }

  async function refresh(): Promise<void> {
    try {
      lines = await api.recentLogs();
    } catch {
      /* keep what we have */
    }
    for (const l of lines) servers.add(l.server);
    renderServers();
    render();
  }

  function filterServer(server: string): void {
    servers.add(server);
    renderServers();
    serverSelect.value = server;
    render();
  }

  serverSelect.addEventListener('change', render);
  textFilter.addEventListener('input', render);
  clear.addEventListener('click', () => {
    lines = [];
    render();
  });

  return { element, refresh, append, filterServer };
}
