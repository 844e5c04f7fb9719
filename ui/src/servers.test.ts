import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { DocksideApi, Mode, ServerView } from './api';
import { mountDashboard } from './dashboard';

/** An in-memory DocksideApi; each test can override single methods. */
function fakeApi(servers: ServerView[], overrides: Partial<DocksideApi> = {}) {
  const rows = servers.map((s) => ({ ...s }));
  const api = {
    listServers: vi.fn(async () => rows.map((s) => ({ ...s }))),
    setMode: vi.fn(async (name: string, mode: Mode) => {
      const row = rows.find((s) => s.name === name);
      if (!row) throw `no server named ${name}`;
      row.mode = mode;
      row.state = mode === 'off' ? 'stopped' : 'running';
      return { ...row };
    }),
    uiReady: vi.fn(async () => {}),
    ...overrides,
  };
  return api;
}

const SERVERS: ServerView[] = [
  { name: 'github', title: 'GitHub', mode: 'native', state: 'running' },
  { name: 'fetch', title: 'Fetch <b>web</b> pages', mode: 'off', state: 'stopped' },
];

let root: HTMLElement;

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  root = document.getElementById('app')!;
});

function row(name: string): HTMLTableRowElement {
  const tr = root.querySelector<HTMLTableRowElement>(`tbody tr[data-server="${name}"]`);
  if (!tr) throw new Error(`no row for ${name}`);
  return tr;
}

function checkedMode(name: string): string | undefined {
  return row(name).querySelector<HTMLInputElement>('input[type=radio]:checked')?.value;
}

function radio(name: string, mode: Mode): HTMLInputElement {
  return row(name).querySelector<HTMLInputElement>(`input[value="${mode}"]`)!;
}

/** Selects a segment the way a user does, which fires `change` on the radio. */
function pick(name: string, mode: Mode): void {
  const input = radio(name, mode);
  input.checked = true;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

const visible = (selector: string) => {
  const node = root.querySelector<HTMLElement>(selector);
  return node !== null && !node.hidden;
};

describe('dashboard', () => {
  it('only counts running servers when some are running', async () => {
    await mountDashboard(root, fakeApi([{ ...SERVERS[1]!, state: 'unknown' }])).refresh();
    expect(root.querySelector('.summary')?.textContent).toBe('1 server');
  });

  it('renders the header and one row per server', async () => {
    const api = fakeApi(SERVERS);
    const report = await mountDashboard(root, api).refresh();

    expect(report).toEqual({ servers: 2, error: null });
    expect(root.querySelector('h1')?.textContent).toBe('Dockside');
    const names = Array.from(root.querySelectorAll('tbody td.name')).map((td) => td.textContent);
    expect(names).toEqual(['github', 'fetch']);
    expect(row('github').querySelector('td.title')?.textContent).toBe('GitHub');
    expect(row('github').querySelector('.pill')?.textContent).toBe('running');
    expect(row('github').querySelector('.pill')?.className).toContain('pill-ok');
    expect(checkedMode('github')).toBe('native');
    expect(checkedMode('fetch')).toBe('off');
    expect(root.querySelector('.summary')?.textContent).toBe('2 servers · 1 running');
    expect(visible('.empty')).toBe(false);
    expect(visible('.banner')).toBe(false);
  });

  it('shows the four modes as a segmented control in order', async () => {
    await mountDashboard(root, fakeApi(SERVERS)).refresh();
    const labels = Array.from(row('github').querySelectorAll('.segment span')).map((s) => s.textContent);
    expect(labels).toEqual(['Native', 'Managed', 'Docker', 'Off']);
    expect(row('github').querySelector('fieldset')?.getAttribute('aria-label')).toBe('Mode of github');
  });

  it('renders backend text as text, never as HTML', async () => {
    await mountDashboard(root, fakeApi(SERVERS)).refresh();
    const title = row('fetch').querySelector('td.title')!;
    expect(title.textContent).toBe('Fetch <b>web</b> pages');
    expect(title.querySelector('b')).toBeNull();
  });

  it('shows the empty state when there are no servers', async () => {
    await mountDashboard(root, fakeApi([])).refresh();
    expect(visible('.empty')).toBe(true);
    expect(root.querySelector('.empty')?.textContent).toContain('No MCP servers yet');
    expect(visible('table.servers')).toBe(false);
    expect(visible('.loading')).toBe(false);
  });

  it('shows a loading line before the first answer', () => {
    const api = fakeApi(SERVERS, { listServers: () => new Promise<ServerView[]>(() => {}) });
    void mountDashboard(root, api).refresh();
    expect(visible('.loading')).toBe(true);
    expect(visible('table.servers')).toBe(false);
  });

  it('switches a mode through the api and updates the row', async () => {
    const api = fakeApi(SERVERS);
    await mountDashboard(root, api).refresh();

    pick('fetch', 'docker');
    expect(row('fetch').getAttribute('aria-busy')).toBe('true');
    expect(row('fetch').querySelector('fieldset')?.disabled).toBe(true);
    await vi.waitFor(() => expect(row('fetch').getAttribute('aria-busy')).toBeNull());

    expect(api.setMode).toHaveBeenCalledExactlyOnceWith('fetch', 'docker');
    expect(checkedMode('fetch')).toBe('docker');
    expect(row('fetch').querySelector('.pill')?.textContent).toBe('running');
    expect(root.querySelector('.summary')?.textContent).toBe('2 servers · 2 running');
  });

  it('reverts the control and explains when a mode change fails', async () => {
    const api = fakeApi(SERVERS, {
      setMode: vi.fn(async () => {
        throw 'not connected to Dockside core yet';
      }),
    });
    await mountDashboard(root, api).refresh();

    pick('github', 'managed');
    await vi.waitFor(() => expect(visible('.banner')).toBe(true));

    expect(checkedMode('github')).toBe('native');
    expect(row('github').querySelector('fieldset')?.disabled).toBe(false);
    expect(root.querySelector('.banner-text')?.textContent).toBe(
      'Could not switch github to Managed: not connected to Dockside core yet',
    );

    expect(root.querySelector('.banner')?.classList.contains('toast')).toBe(true);
    root.querySelector<HTMLButtonElement>('[data-action=dismiss]')!.click();
    expect(visible('.banner')).toBe(false);
  });

  it('reports a failed load and retries on demand', async () => {
    let fail = true;
    const api = fakeApi(SERVERS);
    const list = api.listServers;
    api.listServers = vi.fn(async () => {
      if (fail) throw new Error('not connected to Dockside core yet');
      return list();
    });
    const dashboard = mountDashboard(root, api);

    expect(await dashboard.refresh()).toEqual({ servers: null, error: 'not connected to Dockside core yet' });
    expect(visible('.banner')).toBe(true);
    expect(root.querySelector('.banner-text')?.textContent).toBe(
      'Could not load servers: not connected to Dockside core yet',
    );
    expect(visible('.loading')).toBe(false);
    expect(visible('.empty')).toBe(false);
    expect(visible('[data-action=dismiss]')).toBe(false);
    expect(root.querySelector('.banner')?.classList.contains('toast')).toBe(false);

    fail = false;
    root.querySelector<HTMLButtonElement>('[data-action=retry]')!.click();
    await vi.waitFor(() => expect(visible('table.servers')).toBe(true));
    expect(visible('.banner')).toBe(false);
  });

  it('does not start a second load while one is running', async () => {
    const api = fakeApi(SERVERS);
    const dashboard = mountDashboard(root, api);
    await Promise.all([dashboard.refresh(), dashboard.refresh()]);
    expect(api.listServers).toHaveBeenCalledTimes(1);
  });
});
