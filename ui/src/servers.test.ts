import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Mode, ServerView } from './api';
import { fakeApi } from './fakeApi';
import { applyEvent, mountServers, serverLatency, type ServersScreen } from './servers';
import { sparkPoints } from './sparkline';

const SERVERS: ServerView[] = [
  { name: 'github', title: 'GitHub', mode: 'native', state: 'run by clients' },
  { name: 'fetch', title: 'Fetch <b>web</b> pages', mode: 'off', state: 'off' },
  { name: 'demo', title: 'Demo', mode: 'managed', state: 'running', tools: 5, restarts: 0 },
];

let root: HTMLElement;
const toast = { error: vi.fn(), info: vi.fn() };
const showLogs = vi.fn();

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  root = document.getElementById('app')!;
  toast.error.mockReset();
  toast.info.mockReset();
});

function mount(api = fakeApi(SERVERS)): { api: ReturnType<typeof fakeApi>; screen: ServersScreen } {
  const screen = mountServers(api, toast, showLogs);
  root.append(screen.element);
  return { api, screen };
}

function row(name: string): HTMLTableRowElement {
  const tr = root.querySelector<HTMLTableRowElement>(`tbody tr[data-server="${name}"]`);
  if (!tr) throw new Error(`no row for ${name}`);
  return tr;
}

const checkedMode = (name: string) => row(name).querySelector<HTMLInputElement>('input[type=radio]:checked')?.value;

function pick(name: string, mode: Mode): void {
  const input = row(name).querySelector<HTMLInputElement>(`input[value="${mode}"]`)!;
  input.checked = true;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

const visible = (selector: string) => {
  const node = root.querySelector<HTMLElement>(selector);
  return node !== null && !node.hidden;
};

describe('servers screen', () => {
  it('renders one row per server with mode, state and tools', async () => {
    const { screen } = mount();
    expect(await screen.refresh()).toEqual({ servers: 3, error: null });
    const names = Array.from(root.querySelectorAll('tbody td.name code')).map((td) => td.textContent);
    expect(names).toEqual(['github', 'fetch', 'demo']);
    expect(checkedMode('github')).toBe('native');
    expect(row('demo').querySelector('.pill')?.className).toContain('pill-ok');
    expect(row('demo').querySelector('td.tools')?.textContent).toBe('5');
    expect(root.querySelector('.screen-summary')?.textContent).toBe('3 servers · 1 running');
    const labels = Array.from(row('github').querySelectorAll('.segment span')).map((s) => s.textContent);
    expect(labels).toEqual(['Native', 'Managed', 'Docker', 'Off']);
  });

  it('renders backend text as text, never as HTML', async () => {
    const { screen } = mount();
    await screen.refresh();
    const title = row('fetch').querySelector('.subtitle')!;
    expect(title.textContent).toBe('Fetch <b>web</b> pages');
    expect(title.querySelector('b')).toBeNull();
  });

  it('shows the empty state and the loading line', async () => {
    const pending = mount(fakeApi(SERVERS, [], { listServers: () => new Promise<ServerView[]>(() => {}) }));
    void pending.screen.refresh();
    expect(visible('.loading')).toBe(true);
    root.replaceChildren();
    const { screen } = mount(fakeApi([]));
    await screen.refresh();
    expect(visible('.empty')).toBe(true);
    expect(visible('table.servers')).toBe(false);
  });

  it('switches a mode through the api and updates the row', async () => {
    const { api, screen } = mount();
    await screen.refresh();
    pick('fetch', 'docker');
    expect(row('fetch').getAttribute('aria-busy')).toBe('true');
    await vi.waitFor(() => expect(row('fetch').getAttribute('aria-busy')).toBeNull());
    expect(api.setMode).toHaveBeenCalledExactlyOnceWith('fetch', 'docker');
    expect(checkedMode('fetch')).toBe('docker');
    expect(row('fetch').querySelector('.pill')?.textContent).toBe('running');
  });

  it('reverts the control and explains when a mode change fails', async () => {
    const { screen } = mount(
      fakeApi(SERVERS, [], {
        setMode: vi.fn(async () => {
          throw 'server `github` cannot run in `managed` mode';
        }),
      }),
    );
    await screen.refresh();
    pick('github', 'managed');
    await vi.waitFor(() => expect(toast.error).toHaveBeenCalled());
    expect(checkedMode('github')).toBe('native');
    expect(toast.error).toHaveBeenLastCalledWith('Could not switch github to Managed: server `github` cannot run in `managed` mode');
  });

  it('updates a row at once on daemon events', async () => {
    const { screen } = mount();
    await screen.refresh();
    screen.applyEvent({ type: 'server-crashed', server: 'demo', how: 'exit status 1' });
    expect(row('demo').dataset.state).toBe('crashed');
    expect(row('demo').querySelector('.pill')?.className).toContain('pill-bad');
    expect(row('demo').querySelector('.state-detail')?.textContent).toBe('exit status 1');
    screen.applyEvent({ type: 'server-restarted', server: 'demo', pid: 3, attempt: 1 });
    expect(row('demo').dataset.state).toBe('running');
    screen.applyEvent({ type: 'crash-loop', server: 'demo', crashes: 5 });
    expect(row('demo').querySelector('.pill')?.textContent).toBe('crash-loop');
    expect(root.querySelector('.screen-summary')?.textContent).toContain('1 needs attention');
  });

  it('shows a remote server out of reach, and back', async () => {
    const { screen } = mount();
    await screen.refresh();
    screen.applyEvent({ type: 'server-unavailable', server: 'demo', state: 'unreachable', error: 'http://h/mcp: connection refused' });
    expect(row('demo').dataset.state).toBe('unreachable');
    expect(row('demo').querySelector('.pill')?.className).toContain('pill-bad');
    expect(row('demo').querySelector('.state-detail')?.textContent).toBe('http://h/mcp: connection refused');
    screen.applyEvent({ type: 'server-restarted', server: 'demo', pid: null, attempt: 2 });
    expect(row('demo').dataset.state).toBe('running');
    screen.applyEvent({ type: 'server-unavailable', server: 'demo', state: 'needs-sign-in', error: 'HTTP 401' });
    expect(row('demo').querySelector('.pill')?.textContent).toBe('needs sign-in');
  });

  it('says when Docker is not available, and when it is back', async () => {
    const { screen } = mount();
    await screen.refresh();
    screen.applyEvent({ type: 'docker-availability', available: false, detail: 'cannot connect to /var/run/docker.sock: start Docker' });
    expect(visible('.notice')).toBe(true);
    expect(root.querySelector('.notice')?.textContent).toContain('start Docker');
    screen.applyEvent({ type: 'docker-availability', available: true, detail: '' });
    expect(visible('.notice')).toBe(false);
  });

  it('shows image pull progress', async () => {
    const { screen } = mount();
    await screen.refresh();
    const pull = { type: 'image-pull-progress', server: 'demo', image: 'mcp/x', layers_done: 1, layers_total: 4, bytes_done: 50, bytes_total: 200, done: false } as const;
    screen.applyEvent(pull);
    const bar = row('demo').querySelector<HTMLProgressElement>('progress')!;
    expect(bar.value).toBe(25);
    expect(row('demo').querySelector('.pull-text')?.textContent).toBe('mcp/x · 25%');
    screen.applyEvent({ ...pull, done: true, bytes_done: 200 });
    expect(row('demo').querySelector('progress')).toBeNull();
  });

  it('restarts and opens logs from the row', async () => {
    const { api, screen } = mount();
    await screen.refresh();
    expect(row('github').querySelector<HTMLButtonElement>('[data-action=restart]')!.disabled).toBe(true);
    row('demo').querySelector<HTMLButtonElement>('[data-action=restart]')!.click();
    await vi.waitFor(() => expect(api.restartServer).toHaveBeenCalledWith('demo'));
    row('demo').querySelector<HTMLButtonElement>('[data-action=logs]')!.click();
    expect(showLogs).toHaveBeenCalledWith('demo');
  });

  it('checks a package server for a newer version and moves its pin on request', async () => {
    const everything: ServerView = { name: 'everything', title: '', mode: 'docker', state: 'running', package: 'npm:@modelcontextprotocol/server-everything@2025.1.0' };
    const { api, screen } = mount(fakeApi([...SERVERS, everything]));
    await screen.refresh();
    expect(row('demo').querySelector('[data-action=check-update]')).toBeNull();
    expect(row('everything').querySelector('.package code')?.textContent).toBe(everything.package);
    row('everything').querySelector<HTMLButtonElement>('[data-action=check-update]')!.click();
    await vi.waitFor(() => expect(api.updatePackage).toHaveBeenCalledWith('everything', true));
    const offer = await vi.waitFor(() => row('everything').querySelector<HTMLButtonElement>('[data-action=update-package]')!);
    expect(offer.textContent).toBe('Update to 2025.2.0');
    offer.click();
    await vi.waitFor(() => expect(api.updatePackage).toHaveBeenCalledWith('everything', false));
    await vi.waitFor(() =>
      expect(toast.info).toHaveBeenCalledWith('everything: npm @modelcontextprotocol/server-everything 2025.1.0 → 2025.2.0'),
    );
    expect(row('everything').querySelector('[data-action=check-update]')).not.toBeNull();
  });

  it('offers Sign in on a remote server that needs it, and says where to finish', async () => {
    const { api, screen } = mount();
    await screen.refresh();
    expect(row('demo').querySelector('[data-action=sign-in]')).toBeNull();
    screen.applyEvent({ type: 'server-unavailable', server: 'demo', state: 'needs-sign-in', error: 'run `dockside auth login demo`' });
    row('demo').querySelector<HTMLButtonElement>('[data-action=sign-in]')!.click();
    await vi.waitFor(() => expect(api.signIn).toHaveBeenCalledWith('demo'));
    await vi.waitFor(() =>
      expect(toast.info).toHaveBeenCalledWith('Open this address in a browser to sign in to demo: http://127.0.0.1:9/authorize?for=demo'),
    );
  });

  it('says when a package server already runs the newest version, and shows errors', async () => {
    const everything: ServerView = { name: 'everything', title: '', mode: 'managed', state: 'running', package: 'npm:x@1.0.0' };
    const api = fakeApi([everything]);
    vi.mocked(api.updatePackage).mockResolvedValueOnce({ server: 'everything', package: 'npm x', from: '1.0.0', to: '1.0.0', updated: false });
    vi.mocked(api.updatePackage).mockRejectedValueOnce(new Error('npm view x: registry http://127.0.0.1:9/ unreachable'));
    const { screen } = mount(api);
    await screen.refresh();
    row('everything').querySelector<HTMLButtonElement>('[data-action=check-update]')!.click();
    await vi.waitFor(() => expect(toast.info).toHaveBeenCalledWith('everything: npm x 1.0.0 is the newest'));
    row('everything').querySelector<HTMLButtonElement>('[data-action=check-update]')!.click();
    await vi.waitFor(() =>
      expect(toast.error).toHaveBeenCalledWith('Could not check the package of everything: npm view x: registry http://127.0.0.1:9/ unreachable'),
    );
  });

  it('keeps a latency history per server for the sparkline', async () => {
    const { screen } = mount();
    await screen.refresh();
    const stat = (p50Ms: number, calls: number) => ({ server: 'demo', tool: 'echo', calls, errors: 0, meanMs: p50Ms, p50Ms, p95Ms: p50Ms, lastMs: p50Ms });
    screen.setLatency([stat(2, 10)]);
    screen.setLatency([stat(4, 20)]);
    expect(row('demo').querySelector('td.calls')?.textContent).toBe('20');
    expect(row('demo').querySelector('td.latency')?.textContent).toBe('4.0 ms');
    expect(row('demo').querySelector('polyline')?.getAttribute('points')).toBe(sparkPoints([2, 4]));
  });

  it('keeps the controls under the pointer through re-renders that do not change them', async () => {
    const { screen } = mount();
    await screen.refresh();
    const off = row('demo').querySelector<HTMLLabelElement>('label.segment:nth-child(4)')!;
    const restart = row('demo').querySelector<HTMLButtonElement>('[data-action="restart"]')!;
    const stat = { server: 'demo', tool: 'echo', calls: 3, errors: 0, meanMs: 2, p50Ms: 2, p95Ms: 2, lastMs: 2 };
    screen.setLatency([stat]); // a latency poll
    screen.applyEvent({ type: 'server-restarted', server: 'demo', pid: 3, attempt: 1 }); // a status event
    screen.setRows(SERVERS.map((s) => ({ ...s }))); // a listing
    expect(row('demo').querySelector('td.calls')?.textContent).toBe('3');
    expect(off.isConnected && restart.isConnected).toBe(true);
    // A mode change does swap the mode cell (its checked control differs).
    screen.applyEvent({ type: 'server-stopped', server: 'demo' });
    screen.setRows(SERVERS.map((s) => (s.name === 'demo' ? { ...s, mode: 'off', state: 'off' } : { ...s })));
    expect(off.isConnected).toBe(false);
    expect(checkedMode('demo')).toBe('off');
  });

  it('does not start a second load while one is running', async () => {
    const { api, screen } = mount();
    await Promise.all([screen.refresh(), screen.refresh()]);
    expect(api.listServers).toHaveBeenCalledTimes(1);
  });
});

describe('pure helpers', () => {
  it('uses the last stderr line and the phase of a crash', () => {
    const next = applyEvent(SERVERS, { type: 'server-crashed', server: 'demo', how: 'exited with code 1', phase: 'startup', stderr: ['a', 'Error: no module', ''] })!;
    expect(next[2]).toMatchObject({ state: 'failed', error: 'exited with code 1: Error: no module' });
    expect(applyEvent(next, { type: 'server-recovered', server: 'demo', crashes: 2 })![2]!.state).toBe('running');
  });

  it('applies only events about known servers', () => {
    expect(applyEvent(SERVERS, { type: 'server-crashed', server: 'nope', how: 'x' })).toBeNull();
    expect(applyEvent(SERVERS, { type: 'log', server: 'demo', line: 'x' })).toBeNull();
    const next = applyEvent(SERVERS, { type: 'tools-changed', server: 'demo', tools: 9 })!;
    expect(next[2]!.tools).toBe(9);
    expect(SERVERS[2]!.tools).toBe(5);
  });

  it('leaves native and off rows to their mode: a late server-stopped does not turn "off" into "stopped"', () => {
    expect(applyEvent(SERVERS, { type: 'server-stopped', server: 'fetch' })).toBeNull();
    expect(applyEvent(SERVERS, { type: 'server-started', server: 'github', pid: 1, tools: 2 })).toBeNull();
    expect(applyEvent(SERVERS, { type: 'server-stopped', server: 'demo' })![2]!.state).toBe('stopped');
  });

  it('weights p50 by calls across tools', () => {
    const l = serverLatency([
      { server: 'a', tool: 'x', calls: 1, errors: 0, meanMs: 0, p50Ms: 10, p95Ms: 0, lastMs: 0 },
      { server: 'a', tool: 'y', calls: 3, errors: 0, meanMs: 0, p50Ms: 2, p95Ms: 0, lastMs: 0 },
    ]);
    expect(l.get('a')).toEqual({ calls: 4, p50: 4 });
  });

  it('draws sparklines newest on the right', () => {
    expect(sparkPoints([])).toBe('');
    expect(sparkPoints([1, 2], 10, 10)).toBe('0,5 10,1');
  });
});
