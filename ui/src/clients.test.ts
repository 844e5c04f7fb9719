import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClientView, DockerImport } from './api';
import { importSummary, mountClients } from './clients';
import { fakeApi } from './fakeApi';

const WINDSURF: ClientView = {
  id: 'windsurf',
  name: 'Windsurf',
  path: '/home/me/.codeium/windsurf/mcp_config.json',
  detected: true,
  connected: true,
  singleEntry: false,
  servers: 5,
  error: null,
  disabled: ['git'],
  aliases: [{ server: 'github-windsurf', entry: 'github' }],
  dockerToolkit: null,
};

let root: HTMLElement;
const toast = { error: vi.fn(), info: vi.fn() };

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  root = document.getElementById('app')!;
});

describe('clients screen', () => {
  it('shows the names a client keeps and the entries it has switched off', async () => {
    const cursor = { ...WINDSURF, id: 'cursor', name: 'Cursor', disabled: [], aliases: [] };
    const api = fakeApi([], [], { listClients: async () => [WINDSURF, cursor] });
    const screen = mountClients(api, toast);
    root.append(screen.element);
    await screen.refresh();
    const row = (id: string) => root.querySelector<HTMLElement>(`tr[data-client="${id}"]`)!;
    expect(row('windsurf').querySelector('[data-note="aliases"]')?.textContent).toBe('Keeps its names: github-windsurf as “github”');
    expect(row('windsurf').querySelector('[data-note="disabled"]')?.textContent).toBe('Off in this client: git');
    expect(row('cursor').querySelector('[data-note]')).toBeNull();
  });
});

const CLAUDE: ClientView = {
  id: 'claude-desktop',
  name: 'Claude Desktop',
  path: '/home/me/.config/Claude/claude_desktop_config.json',
  detected: true,
  connected: false,
  singleEntry: false,
  servers: 2,
  error: null,
  disabled: [],
  aliases: [],
  dockerToolkit: { entry: 'MCP_DOCKER', profile: 'default', servers: 3, error: null },
};

const IMPORTED: DockerImport = {
  source: { kind: 'profile', path: '/home/me/.docker/mcp/mcp-toolkit.db', profile: 'default', name: 'Default Profile' },
  servers: [
    { name: 'github-official', catalog: 'docker-default', mode: 'docker', added: true, image: 'mcp/github@sha256:1', secrets: ['github.personal_access_token'] },
    { name: 'filesystem', catalog: 'docker-default', mode: 'docker', added: true, image: 'mcp/filesystem@sha256:2', secrets: [] },
  ],
  skipped: [{ name: 'mcp/x', reason: 'no snapshot' }],
  notes: [],
  missingSecrets: ['github.personal_access_token'],
};

describe('Docker MCP Toolkit on the clients screen', () => {
  it('says which clients run Docker’s gateway, and imports its profile', async () => {
    const api = fakeApi([], [], { listClients: vi.fn(async () => [CLAUDE, WINDSURF]), importDockerToolkit: vi.fn(async () => IMPORTED) });
    const screen = mountClients(api, toast);
    root.append(screen.element);
    await screen.refresh();
    const note = root.querySelector('tr[data-client="claude-desktop"] [data-note="docker-toolkit"]');
    expect(note?.textContent).toBe('Uses Docker MCP Toolkit (profile default): 3 servers; Import…');
    expect(root.querySelector('tr[data-client="windsurf"] [data-note="docker-toolkit"]')).toBeNull();

    note!.querySelector<HTMLButtonElement>('[data-action="import-docker"]')!.click();
    await vi.waitFor(() => expect(root.querySelector('.diff-card h3')?.textContent).toBe('Import from Docker MCP Toolkit · profile default'));
    expect(api.importDockerToolkit).not.toHaveBeenCalled();
    root.querySelector<HTMLButtonElement>('[data-action="import-docker-confirm"]')!.click();
    await vi.waitFor(() => expect(api.importDockerToolkit).toHaveBeenCalledWith('default'));
    await vi.waitFor(() => expect(toast.info).toHaveBeenCalledWith(importSummary(IMPORTED)));
    await vi.waitFor(() => expect(root.querySelector<HTMLElement>('.diff-card')!.hidden).toBe(true));
    expect(api.listClients).toHaveBeenCalledTimes(2);
  });

  it('says why the servers cannot be counted', async () => {
    const row: ClientView = { ...CLAUDE, dockerToolkit: { entry: 'MCP_DOCKER', profile: 'work', servers: null, error: 'no profile `work`' } };
    const screen = mountClients(fakeApi([], [], { listClients: async () => [row] }), toast);
    await screen.refresh();
    expect(screen.element.querySelector('[data-note="docker-toolkit"]')?.textContent).toBe('Uses Docker MCP Toolkit (profile work): servers unknown (no profile `work`); Import…');
  });

  it('sums up an import with the secrets still to set', () => {
    expect(importSummary(IMPORTED)).toBe(
      'Imported 2 servers from profile default of Docker MCP Toolkit; skipped mcp/x (no snapshot); set these secrets before they can start: dockside secret set github.personal_access_token',
    );
    expect(importSummary({ ...IMPORTED, source: { kind: 'legacy', path: '/d' }, servers: [IMPORTED.servers[1]!], skipped: [], missingSecrets: [] })).toBe(
      'Imported 1 server from Docker MCP Toolkit’s legacy files',
    );
  });
});
