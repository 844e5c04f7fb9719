/**
 * The Clients screen: detected AI clients, connect / disconnect, and a diff preview of what
 * Dockside would write into each client's config file (core::clients).
 */
import { errorMessage, type ClientDiff, type ClientView, type DocksideApi } from './api';
import { button, el } from './dom';
import type { Toaster } from './servers';

export interface ClientsScreen {
  element: HTMLElement;
  refresh(): Promise<void>;
}

/** Lines of a unified diff with their kind, for colouring. */
export function diffLines(diff: string): { kind: 'add' | 'del' | 'hunk' | 'meta' | 'ctx'; text: string }[] {
  return diff
    .split('\n')
    .filter((line, i, all) => !(line === '' && i === all.length - 1))
    .map((text) => {
      if (text.startsWith('+++') || text.startsWith('---')) return { kind: 'meta' as const, text };
      if (text.startsWith('@@')) return { kind: 'hunk' as const, text };
      if (text.startsWith('+')) return { kind: 'add' as const, text };
      if (text.startsWith('-')) return { kind: 'del' as const, text };
      return { kind: 'ctx' as const, text };
    });
}

export function mountClients(api: DocksideApi, toast: Toaster): ClientsScreen {
  let rows: ClientView[] = [];
  let preview: { id: string; diff: ClientDiff } | null = null;
  const busy = new Set<string>();

  const showAll = el('input', { type: 'checkbox', id: 'clients-all' });
  const tbody = el('tbody');
  const table = el(
    'table',
    { class: 'grid clients' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Client'),
        el('th', { scope: 'col' }, 'Config file'),
        el('th', { scope: 'col', class: 'num' }, 'Servers'),
        el('th', { scope: 'col' }, 'Sync'),
        el('th', { scope: 'col', class: 'actions-col' }, el('span', { class: 'sr-only' }, 'Actions')),
      ),
    ),
    tbody,
  );
  const diffBox = el('div', { class: 'card diff-card' });
  diffBox.hidden = true;
  const element = el(
    'section',
    { class: 'screen', 'aria-labelledby': 'tab-clients' },
    el(
      'div',
      { class: 'screen-head' },
      el('div', {}, el('h2', {}, 'Clients'), el('p', { class: 'screen-summary' }, 'AI clients whose MCP config Dockside keeps in sync')),
      el('label', { class: 'check' }, showAll, el('span', {}, 'Show clients not detected')),
    ),
    table,
    diffBox,
  );

  function render(): void {
    const visible = rows.filter((r) => showAll.checked || r.detected || r.connected);
    tbody.replaceChildren(
      ...visible.map((c) => {
        const connect = button(c.connected ? 'Disconnect' : 'Connect', {
          class: c.connected ? 'button' : 'button primary',
          'data-action': c.connected ? 'disconnect' : 'connect',
          'data-client': c.id,
        });
        connect.disabled = busy.has(c.id);
        const diff = button('Preview', { 'data-action': 'diff', 'data-client': c.id });
        diff.disabled = busy.has(c.id);
        return el(
          'tr',
          { 'data-client': c.id },
          el('td', { class: 'name' }, el('strong', {}, c.name), el('div', { class: 'subtitle' }, c.id)),
          el('td', { class: 'path' }, el('code', { title: c.path }, c.path), c.error ? el('div', { class: 'state-detail' }, c.error) : null),
          el('td', { class: 'num' }, c.servers === null ? '—' : String(c.servers)),
          el(
            'td',
            {},
            el(
              'span',
              { class: `pill ${c.connected ? 'pill-ok' : c.detected ? 'pill-idle' : 'pill-unknown'}` },
              c.connected ? (c.singleEntry ? 'connected · single entry' : 'connected') : c.detected ? 'not connected' : 'not detected',
            ),
          ),
          el('td', { class: 'actions' }, diff, connect),
        );
      }),
    );
    if (visible.length === 0) {
      tbody.replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'No AI client detected on this computer.')));
    }
    if (preview) {
      const p = preview;
      const lines = diffLines(p.diff.diff);
      const pre = el('pre', { class: 'diff', tabindex: '0', 'aria-label': `Changes to ${p.diff.path}` });
      if (lines.length === 0) pre.append(el('span', { class: 'muted' }, 'Nothing to change: the file is up to date.'));
      for (const l of lines) pre.append(el('span', { class: `diff-${l.kind}` }, l.text), '\n');
      const close = button('Close', { 'data-action': 'close-diff' });
      close.addEventListener('click', () => {
        preview = null;
        render();
      });
      diffBox.replaceChildren(
        el('div', { class: 'editor-head' }, el('div', {}, el('h3', {}, `Preview · ${p.id}`), el('code', { class: 'subtitle' }, p.diff.path)), close),
        ...p.diff.notes.map((n) => el('p', { class: 'note' }, n)),
        pre,
      );
    }
    diffBox.hidden = preview === null;
  }

  async function act(id: string, action: string): Promise<void> {
    busy.add(id);
    render();
    try {
      if (action === 'diff') preview = { id, diff: await api.clientDiff(id) };
      else if (action === 'connect') {
        const out = await api.connectClient(id);
        toast.info(`Connected ${id}: ${out.path}`);
        preview = null;
      } else if (action === 'disconnect') {
        const out = await api.disconnectClient(id);
        toast.info(`Disconnected ${id}: ${out.path}`);
        preview = null;
      }
      busy.delete(id);
      if (action !== 'diff') await refresh();
      else render();
    } catch (err) {
      busy.delete(id);
      render();
      toast.error(`${action} ${id} failed: ${errorMessage(err)}`);
    }
  }

  async function refresh(): Promise<void> {
    try {
      rows = await api.listClients();
    } catch (err) {
      toast.error(`Could not list clients: ${errorMessage(err)}`);
    }
    render();
  }

  tbody.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest<HTMLElement>('button[data-action]') : null;
    const id = target?.dataset.client;
    if (target && id) void act(id, target.dataset.action ?? '');
  });
  showAll.addEventListener('change', render);

  return { element, refresh };
}
