/**
 * The Clients screen: detected AI clients, connect / disconnect, and a diff preview of what
 * Dockside would write into each client's config file (core::clients). A client that runs
 * Docker MCP Toolkit's gateway (`MCP_DOCKER`) says so, with an import of its profile's servers
 * (core::docker_toolkit).
 */
import { errorMessage, type ClientDiff, type ClientView, type DockerImport, type DocksideApi } from './api';
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

/** What a client row says under its file: why it cannot be read, the names it keeps for
 * Dockside's servers, the entries it has switched off. */
function notes(c: ClientView): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (c.error) out.push(el('div', { class: 'state-detail' }, c.error));
  if (c.aliases.length > 0) {
    const names = c.aliases.map((a) => `${a.server} as “${a.entry}”`).join(', ');
    out.push(el('div', { class: 'subtitle', 'data-note': 'aliases', title: 'The client keeps its own names, so the tool names it shows do not change' }, `Keeps its names: ${names}`));
  }
  if (c.disabled.length > 0) {
    out.push(el('div', { class: 'subtitle', 'data-note': 'disabled', title: 'Switched off in this client; Dockside keeps them off' }, `Off in this client: ${c.disabled.join(', ')}`));
  }
  const t = c.dockerToolkit;
  if (t) {
    const count = t.servers === null ? `servers unknown (${t.error ?? 'Docker’s files cannot be read'})` : `${t.servers} server${t.servers === 1 ? '' : 's'}`;
    out.push(
      el(
        'div',
        { class: 'subtitle', 'data-note': 'docker-toolkit', title: `The entry “${t.entry}” runs Docker’s MCP gateway` },
        `Uses Docker MCP Toolkit (profile ${t.profile}): ${count}; `,
        button('Import…', { class: 'button small', 'data-action': 'import-docker', 'data-client': c.id }),
      ),
    );
  }
  return out;
}

/** What a Docker MCP Toolkit import did, in one line (and the secrets still to set). */
export function importSummary(out: DockerImport): string {
  const from = out.source.kind === 'profile' ? `profile ${out.source.profile} of Docker MCP Toolkit` : 'Docker MCP Toolkit’s legacy files';
  const parts = [`Imported ${out.servers.length} server${out.servers.length === 1 ? '' : 's'} from ${from}`];
  if (out.skipped.length > 0) parts.push(`skipped ${out.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`);
  if (out.missingSecrets.length > 0) parts.push(`set these secrets before they can start: ${out.missingSecrets.map((n) => `dockside secret set ${n}`).join(', ')}`);
  return parts.join('; ');
}

export function mountClients(api: DocksideApi, toast: Toaster): ClientsScreen {
  let rows: ClientView[] = [];
  let preview: { id: string; diff: ClientDiff } | null = null;
  /** The client whose Docker MCP Toolkit profile the user is about to import. */
  let importing: ClientView | null = null;
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
          el('td', { class: 'path' }, el('code', { title: c.path }, c.path), ...notes(c)),
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
    } else if (importing?.dockerToolkit) {
      const c = importing;
      const t = importing.dockerToolkit;
      const go = button('Import', { class: 'button primary', 'data-action': 'import-docker-confirm' });
      go.disabled = busy.has(c.id);
      go.addEventListener('click', () => void importToolkit(c));
      const cancel = button('Cancel', { 'data-action': 'close-diff' });
      cancel.addEventListener('click', () => {
        importing = null;
        render();
      });
      diffBox.replaceChildren(
        el('div', { class: 'editor-head' }, el('div', {}, el('h3', {}, `Import from Docker MCP Toolkit · profile ${t.profile}`)), cancel),
        el(
          'p',
          { class: 'note' },
          `${c.name} runs Docker’s MCP gateway (“${t.entry}”). Its profile’s servers come over to Dockside’s catalog docker-${t.profile} with the same images and secret names; image servers run in docker mode. Docker’s files are not changed, and ${c.name} keeps “${t.entry}” until the production switch replaces it.`,
        ),
        el('div', { class: 'actions' }, go),
      );
    }
    diffBox.hidden = preview === null && importing === null;
  }

  async function importToolkit(c: ClientView): Promise<void> {
    if (!c.dockerToolkit) return;
    busy.add(c.id);
    render();
    try {
      const out = await api.importDockerToolkit(c.dockerToolkit.profile);
      toast.info(importSummary(out));
      importing = null;
    } catch (err) {
      toast.error(`Import from Docker MCP Toolkit failed: ${errorMessage(err)}`);
    }
    busy.delete(c.id);
    await refresh();
  }

  async function act(id: string, action: string): Promise<void> {
    busy.add(id);
    render();
    try {
      if (action === 'diff') preview = { id, diff: await api.clientDiff(id) };
      else if (action === 'import-docker') {
        importing = rows.find((r) => r.id === id) ?? null;
        preview = null;
      } else if (action === 'connect') {
        const out = await api.connectClient(id);
        toast.info(`Connected ${id}: ${out.path}`);
        preview = null;
      } else if (action === 'disconnect') {
        const out = await api.disconnectClient(id);
        toast.info(`Disconnected ${id}: ${out.path}`);
        preview = null;
      }
      busy.delete(id);
      if (action === 'connect' || action === 'disconnect') await refresh();
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
