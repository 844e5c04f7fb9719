import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CatalogServer } from './api';
import { importSummary, mountCatalog } from './catalog';
import { fakeApi } from './fakeApi';

const WEB: CatalogServer = {
  catalog: 'local',
  name: 'web',
  server: { image: 'mcp/web:1', dateAdded: '2025' },
  limits: { memory: '256m' },
  network: 'none',
  mode: 'docker',
};

let root: HTMLElement;
const toast = { error: vi.fn(), info: vi.fn() };

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  root = document.getElementById('app')!;
});

async function mount(api = fakeApi([], [WEB])) {
  const screen = mountCatalog(api, toast, () => {});
  root.append(screen.element);
  await screen.refresh();
  return { api, screen };
}

function type(selector: string, value: string): void {
  const input = root.querySelector<HTMLInputElement | HTMLTextAreaElement>(selector)!;
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

describe('catalog editor', () => {
  it('shows field errors as you type and asks core with the draft', async () => {
    const { api } = await mount();
    root.querySelector<HTMLElement>('[data-action=new]')!.click();
    type('[name=name]', 'web');
    expect(root.querySelector('[data-field-error=name]')?.textContent).toContain('already exists');
    expect(root.querySelector<HTMLButtonElement>('[data-action=save]')!.disabled).toBe(true);
    await vi.waitFor(() => expect(api.validateServer).toHaveBeenCalled());
    expect(vi.mocked(api.validateServer).mock.lastCall![0]).toMatchObject({ name: 'web', catalog: 'local' });
  });

  it('edits through the YAML view, read back by core, and saves what it says', async () => {
    const api = fakeApi([], [WEB]);
    vi.mocked(api.serverYaml).mockResolvedValue('registry:\n  web:\n    image: mcp/web:1\n');
    vi.mocked(api.parseServerYaml).mockResolvedValue({ entry: { name: 'web', server: { image: 'mcp/web:2', dateAdded: '2025' } }, issues: [] });
    await mount(api);
    root.querySelector<HTMLElement>('.server-item[data-server=web]')!.click();
    root.querySelector<HTMLElement>('[data-view=yaml]')!.click();
    await vi.waitFor(() => expect(root.querySelector<HTMLTextAreaElement>('textarea[name=yaml]')?.value).toContain('mcp/web:1'));
    type('textarea[name=yaml]', 'registry:\n  web:\n    image: mcp/web:2\n');
    await vi.waitFor(() => expect(api.parseServerYaml).toHaveBeenCalledWith('registry:\n  web:\n    image: mcp/web:2\n'));
    await vi.waitFor(() => expect(root.querySelector<HTMLButtonElement>('[data-action=save]')!.disabled).toBe(false));
    root.querySelector<HTMLButtonElement>('[data-action=save]')!.click();
    await vi.waitFor(() => expect(api.saveServer).toHaveBeenCalled());
    expect(vi.mocked(api.saveServer).mock.lastCall![0]).toEqual({
      original: 'web',
      catalog: 'local',
      name: 'web',
      server: { image: 'mcp/web:2', dateAdded: '2025' },
      limits: { cpus: null, memory: '256m', pids: null },
      network: 'none',
    });
  });

  it('shows where the YAML is wrong and does not save it', async () => {
    const api = fakeApi([], [WEB]);
    vi.mocked(api.parseServerYaml).mockResolvedValue({ entry: null, issues: [{ field: 'yaml', message: 'line 3, column 16: invalid type', fix: null }] });
    await mount(api);
    root.querySelector<HTMLElement>('.server-item[data-server=web]')!.click();
    root.querySelector<HTMLElement>('[data-view=yaml]')!.click();
    await vi.waitFor(() => expect(root.querySelector('textarea[name=yaml]')).not.toBeNull());
    type('textarea[name=yaml]', 'registry:\n  web:\n    longLived: maybe\n');
    await vi.waitFor(() => expect(root.querySelector('[data-field-error=yaml]')?.textContent).toContain('line 3, column 16'));
    expect(root.querySelector<HTMLButtonElement>('[data-action=save]')!.disabled).toBe(true);
  });
});

describe('importSummary', () => {
  it('names each new server with its mode and the name its client keeps', () => {
    expect(
      importSummary([
        { name: 'github-windsurf', status: 'added', mode: 'native', sources: ['windsurf: /h/.codeium/windsurf/mcp_config.json (as github)'] },
        { name: 'thinking', status: 'added', mode: 'off', sources: ['cline: /h/cline.json'] },
        { name: 'old', status: 'exists', mode: 'native', sources: ['cursor: /h/.cursor/mcp.json'] },
      ]),
    ).toBe('Imported github-windsurf (native; the client keeps calling it github), thinking (off, as in the client)');
    expect(importSummary([])).toBe('Nothing new to import');
  });
});
