import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CatalogServer, SecretRow, SecretsView } from './api';
import { fakeApi } from './fakeApi';
import { mountSecrets, secretStatus, secretsSummary, sortRows, storedMessage } from './secrets';

const VALUE = 'ghp_Sup3rS3cretValue0123456789';

const server = (name: string, mode: CatalogServer['mode'], secrets: { name: string; env: string }[]): CatalogServer => ({
  catalog: 'local',
  name,
  server: { image: `mcp/${name}`, secrets },
  limits: {},
  network: 'catalog',
  mode,
});

const CATALOG: CatalogServer[] = [
  server('github', 'docker', [{ name: 'github.personal_access_token', env: 'GITHUB_PERSONAL_ACCESS_TOKEN' }]),
  server('notes', 'off', [{ name: 'notes.key', env: 'NOTES_KEY' }]),
  server('slack', 'managed', [
    { name: 'slack.token', env: 'SLACK_BOT_TOKEN' },
    { name: 'github.personal_access_token', env: 'GH_TOKEN' },
  ]),
];

let root: HTMLElement;
const toast = { error: vi.fn(), info: vi.fn() };

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  root = document.getElementById('app')!;
  toast.error.mockClear();
  toast.info.mockClear();
});

async function mounted(api = fakeApi([], CATALOG)) {
  const screen = mountSecrets(api, toast);
  root.append(screen.element);
  await screen.refresh();
  return { api, screen };
}

const row = (name: string) => root.querySelector<HTMLElement>(`tr[data-secret="${name}"]`);
const status = (name: string) => row(name)?.querySelector('[data-status]')?.textContent;
const click = (sel: string) => root.querySelector<HTMLElement>(sel)!.click();

/** Types a value and submits the open form, as a user would. */
function submit(form: HTMLElement, value: string, name?: string): void {
  if (name !== undefined) form.querySelector<HTMLInputElement>('input[data-field="name"]')!.value = name;
  form.querySelector<HTMLInputElement>('input[type="password"]')!.value = value;
  (form instanceof HTMLFormElement ? form : form.querySelector('form')!).requestSubmit();
}

/** No value anywhere in the page: text, attributes, or a field left holding it. */
function expectNoValue(value: string): void {
  expect(document.body.innerHTML).not.toContain(value);
  for (const input of document.querySelectorAll('input')) expect(input.value).not.toBe(value);
}

describe('secrets logic', () => {
  const r = (name: string, set: boolean, missing: boolean): SecretRow => ({ name, set, missing, users: [] });

  it('summarises, labels and orders the rows (missing first)', () => {
    const rows = [r('b.set', true, false), r('c.missing', false, true), r('a.unused', false, false)];
    expect(secretsSummary(rows)).toBe('3 secrets · 1 set · 1 missing');
    expect(secretsSummary([r('x', true, false)])).toBe('1 secret · 1 set');
    expect(secretsSummary([])).toMatch(/^No server declares a secret/);
    expect(rows.map(secretStatus)).toEqual([
      { text: 'set', kind: 'ok' },
      { text: 'missing', kind: 'bad' },
      { text: 'not set', kind: 'idle' },
    ]);
    expect(sortRows(rows).map((x) => x.name)).toEqual(['c.missing', 'a.unused', 'b.set']);
  });

  it('says which running servers get a stored value at their next start', () => {
    const view: SecretsView = {
      backend: 'keychain',
      store: 'the OS keychain',
      warning: null,
      catalogError: null,
      secrets: [
        { name: 'a', set: true, missing: false, users: [{ server: 'web', env: 'A', mode: 'docker' }, { server: 'cli', env: 'A', mode: 'native' }, { server: 'old', env: 'A', mode: 'off' }] },
        { name: 'b', set: true, missing: false, users: [] },
      ],
    };
    expect(storedMessage('a', view)).toBe('Stored a in the OS keychain; web gets it at the next start (Restart on the Servers screen)');
    expect(storedMessage('b', view)).toBe('Stored b in the OS keychain');
  });
});

describe('secrets screen', () => {
  it('lists every declared name with its users, highlights the missing ones, and says where values live', async () => {
    const { api } = await mounted();
    expect(api.listSecrets).toHaveBeenCalledTimes(1);
    expect([...root.querySelectorAll('tbody tr[data-secret]')].map((tr) => tr.getAttribute('data-secret'))).toEqual([
      'github.personal_access_token',
      'slack.token',
      'notes.key',
    ]);
    const gh = row('github.personal_access_token')!;
    expect([...gh.querySelectorAll('.secret-user')].map((u) => u.textContent)).toEqual(['github as GITHUB_PERSONAL_ACCESS_TOKENDocker', 'slack as GH_TOKENManaged']);
    expect(gh.classList.contains('missing')).toBe(true);
    expect(status('github.personal_access_token')).toBe('missing');
    // Only an off server uses it: not needed now, not highlighted.
    expect(row('notes.key')!.classList.contains('missing')).toBe(false);
    expect(status('notes.key')).toBe('not set');
    expect(root.querySelector('.screen-summary')?.textContent).toBe('3 secrets · 0 set · 2 missing');
    expect(root.querySelector('.store-line')?.textContent).toContain('/home/me/.config/dockside/secrets.json (mode 0600)');
    expect(root.querySelector('[data-note="store-warning"]')).toBeNull();
    // No Remove where there is nothing to remove.
    expect(gh.querySelector('[data-action="remove-secret"]')).toBeNull();
  });

  it('shows the store’s warning when it falls back to the file', async () => {
    const view: SecretsView = {
      backend: 'file',
      store: '/h/secrets.json (mode 0600)',
      warning: 'no OS keychain service is available (no D-Bus session bus); secrets are kept in /h/secrets.json (mode 0600)',
      secrets: [],
      catalogError: null,
    };
    await mounted(fakeApi([], [], { listSecrets: vi.fn(async () => view) }));
    expect(root.querySelector('[data-note="store-warning"]')?.textContent).toBe(view.warning);
    expect(root.querySelector('tbody')?.textContent).toMatch(/^No secrets yet/);
  });

  it('sets a value once through a password field and never shows it', async () => {
    const { api } = await mounted();
    click('tr[data-secret="github.personal_access_token"] [data-action="edit-secret"]');
    const edit = root.querySelector<HTMLElement>('tr[data-edit="github.personal_access_token"]')!;
    const field = edit.querySelector<HTMLInputElement>('input[data-field="value"]')!;
    expect(field.type).toBe('password');
    expect(field.getAttribute('autocomplete')).toBe('new-password');
    expect(document.activeElement).toBe(field);
    submit(edit, VALUE);
    await vi.waitFor(() => expect(status('github.personal_access_token')).toBe('set'));
    expect(api.setSecret).toHaveBeenCalledTimes(1);
    expect(api.setSecret).toHaveBeenCalledWith('github.personal_access_token', VALUE);
    expect(api.secretValues.get('github.personal_access_token')).toBe(VALUE);
    expect(row('github.personal_access_token')!.classList.contains('missing')).toBe(false);
    expect(root.querySelector('tr.secret-edit')).toBeNull();
    expect(toast.info).toHaveBeenCalledWith(
      'Stored github.personal_access_token in /home/me/.config/dockside/secrets.json (mode 0600); github, slack get it at the next start (Restart on the Servers screen)',
    );
    expectNoValue(VALUE);
    expect(JSON.stringify(toast.info.mock.calls)).not.toContain(VALUE);
    // Nothing the app returned holds it either.
    for (const result of vi.mocked(api.setSecret).mock.results) expect(JSON.stringify(await result.value)).not.toContain(VALUE);
    expect(JSON.stringify(await api.listSecrets())).not.toContain(VALUE);

    // Now it can be replaced: the form starts empty.
    expect(row('github.personal_access_token')!.querySelector('[data-action="edit-secret"]')?.textContent).toBe('Replace');
    click('tr[data-secret="github.personal_access_token"] [data-action="edit-secret"]');
    expect(root.querySelector<HTMLInputElement>('tr.secret-edit input[type="password"]')!.value).toBe('');
    click('tr.secret-edit [data-action="cancel-secret"]');
    expect(root.querySelector('tr.secret-edit')).toBeNull();
  });

  it('shows the store’s own error for a bad name, and an empty value is refused', async () => {
    const { api } = await mounted();
    click('[data-action="add-secret"]');
    const card = root.querySelector<HTMLElement>('.secret-add')!;
    submit(card, VALUE, '../etc/passwd');
    const error = card.querySelector<HTMLElement>('[data-field-error="secret"]')!;
    await vi.waitFor(() => expect(error.hidden).toBe(false));
    expect(error.textContent).toBe('invalid secret name `../etc/passwd`: use letters, digits, `.`, `_` and `-` (e.g. github.personal_access_token)');
    expect(card.querySelector('input[data-field="name"]')?.getAttribute('aria-invalid')).toBe('true');
    expect(api.secretValues.size).toBe(0);

    submit(card, VALUE, 'spare.token');
    await vi.waitFor(() => expect(status('spare.token')).toBe('set'));
    expect(row('spare.token')!.textContent).toContain('No server declares it');
    expect(root.querySelector('.secret-add')).toBeNull();
    expectNoValue(VALUE);

    click('tr[data-secret="slack.token"] [data-action="edit-secret"]');
    const edit = root.querySelector<HTMLElement>('tr.secret-edit')!;
    submit(edit, '');
    await vi.waitFor(() => expect(edit.querySelector('[data-field-error="secret"]')?.textContent).toBe('no value for slack.token: type or paste it'));
    expect(status('slack.token')).toBe('missing');
  });

  it('removes a value only after confirming', async () => {
    const { api } = await mounted();
    await api.setSecret('github.personal_access_token', VALUE);
    await api.setSecret('slack.token', VALUE);
    const screen = mountSecrets(api, toast);
    root.replaceChildren(screen.element);
    await screen.refresh();
    expect(status('slack.token')).toBe('set');

    click('tr[data-secret="slack.token"] [data-action="remove-secret"]');
    expect(row('slack.token')!.querySelector('.confirm-text')?.textContent).toBe('Remove? slack will start without it. ');
    click('tr[data-secret="slack.token"] [data-action="cancel-remove"]');
    expect(row('slack.token')!.querySelector('.confirm-text')).toBeNull();
    expect(api.removeSecret).not.toHaveBeenCalled();

    click('tr[data-secret="slack.token"] [data-action="remove-secret"]');
    click('tr[data-secret="slack.token"] [data-action="confirm-remove"]');
    await vi.waitFor(() => expect(status('slack.token')).toBe('missing'));
    expect(api.removeSecret).toHaveBeenCalledWith('slack.token');
    expect(row('slack.token')!.classList.contains('missing')).toBe(true);
    expect(toast.info).toHaveBeenLastCalledWith('Removed slack.token');
    expect(status('github.personal_access_token')).toBe('set');
    expectNoValue(VALUE);
  });

  it('says so when the list cannot be read', async () => {
    await mounted(fakeApi([], CATALOG, { listSecrets: vi.fn(async () => Promise.reject('the OS keychain refused: locked')) }));
    expect(root.querySelector('.banner')?.textContent).toBe('Could not list the secrets: the OS keychain refused: locked');
  });
});
