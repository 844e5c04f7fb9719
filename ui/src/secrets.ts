/**
 * The Secrets screen: every secret name a server declares (`secrets: [{name, env}]`) or the
 * store holds (src-tauri/src/secrets.rs over core::secrets), which servers use it, whether it
 * is set, and where values live (the OS keychain, or a 0600 file with a warning).
 *
 * A value goes one way: typed into a password field, sent once to `set_secret`, the field
 * emptied. The app never sends one back, so nothing here can show it. Removing asks first.
 * Secrets that an enabled server needs and the store lacks are highlighted.
 */
import { errorMessage, MODE_LABELS, type DocksideApi, type SecretRow, type SecretsView } from './api';
import { button, el } from './dom';
import type { Toaster } from './servers';

export interface SecretsScreen {
  element: HTMLElement;
  refresh(): Promise<void>;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "3 secrets · 1 set · 2 missing". */
export function secretsSummary(rows: SecretRow[]): string {
  if (rows.length === 0) return 'No server declares a secret and none is stored';
  const set = rows.filter((r) => r.set).length;
  const missing = rows.filter((r) => r.missing).length;
  const parts = [plural(rows.length, 'secret'), `${set} set`];
  if (missing > 0) parts.push(`${missing} missing`);
  return parts.join(' · ');
}

/** What a row's status pill says, and its colour. */
export function secretStatus(row: SecretRow): { text: string; kind: 'ok' | 'bad' | 'idle' } {
  if (row.set) return { text: 'set', kind: 'ok' };
  if (row.missing) return { text: 'missing', kind: 'bad' };
  return { text: 'not set', kind: 'idle' };
}

/** Rows with the missing ones first, then by name (the order the app sends). */
export function sortRows(rows: SecretRow[]): SecretRow[] {
  return [...rows].sort((a, b) => Number(b.missing) - Number(a.missing) || a.name.localeCompare(b.name));
}

/** The store line: where values live. */
export function storeLine(view: SecretsView): string {
  return `Values are kept in ${view.store}${view.backend === 'file' ? ', readable only by you' : ''}; they are never shown here again.`;
}

/** What the toast says once a value is stored: where, and which running servers need a restart
 * to get it (the gateway passes secrets when it starts a server). */
export function storedMessage(name: string, view: SecretsView): string {
  const gateway = view.secrets.find((r) => r.name === name)?.users.filter((u) => u.mode === 'managed' || u.mode === 'docker').map((u) => u.server) ?? [];
  const restart = gateway.length ? `; ${gateway.join(', ')} ${gateway.length === 1 ? 'gets' : 'get'} it at the next start (Restart on the Servers screen)` : '';
  return `Stored ${name} in ${view.store}${restart}`;
}

/** An inline "value for NAME" form: a password field and Save; the field is emptied once sent. */
export function valueForm(
  name: string | null,
  onSave: (name: string, value: string) => Promise<string | null>,
  onCancel: (() => void) | null,
  opts: { label?: string; compact?: boolean } = {},
): HTMLElement {
  const id = `secret-${Math.random().toString(36).slice(2, 9)}`;
  const nameInput = name === null ? el('input', { class: 'input', type: 'text', id: `${id}-name`, 'data-field': 'name', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. github.personal_access_token' }) : null;
  const value = el('input', {
    class: 'input',
    type: 'password',
    id: `${id}-value`,
    'data-field': 'value',
    autocomplete: 'new-password',
    spellcheck: 'false',
    'aria-label': name === null ? 'Value' : `Value for ${name}`,
    placeholder: 'Value (never shown again)',
  });
  const error = el('div', { class: 'field-error', role: 'alert', 'data-field-error': 'secret' });
  error.hidden = true;
  const save = button('Save', { class: `button primary${opts.compact ? ' small' : ''}`, type: 'submit', 'data-action': 'save-secret' });
  const form = el(
    'form',
    { class: `secret-form${opts.compact ? ' compact' : ''}`, 'data-secret-form': name ?? '' },
    nameInput ? el('label', { class: 'label', for: nameInput.id }, 'Name') : null,
    nameInput,
    opts.label ? el('label', { class: 'label', for: value.id }, opts.label) : null,
    el('div', { class: 'secret-form-row' }, value, save, onCancel ? button('Cancel', { class: `button${opts.compact ? ' small' : ''}`, 'data-action': 'cancel-secret' }) : null),
    error,
  );
  form.querySelector('[data-action="cancel-secret"]')?.addEventListener('click', () => onCancel?.());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const target = name ?? nameInput!.value.trim();
    const text = value.value;
    save.disabled = true;
    void onSave(target, text).then((problem) => {
      save.disabled = false;
      if (problem === null) {
        // Sent once: the field does not keep it.
        value.value = '';
        error.hidden = true;
        return;
      }
      error.textContent = problem;
      error.hidden = false;
      (problem.startsWith('invalid secret name') && nameInput ? nameInput : value).setAttribute('aria-invalid', 'true');
    });
  });
  return form;
}

export function mountSecrets(api: DocksideApi, toast: Toaster): SecretsScreen {
  let view: SecretsView | null = null;
  let loadError: string | null = null;
  /** The row whose value form is open, `''` for the "Add" form. */
  let editing: string | null = null;
  /** The row asking "remove?". */
  let confirming: string | null = null;
  const busy = new Set<string>();

  const summary = el('p', { class: 'screen-summary' }, 'Values for the secrets servers declare; set here, never shown back');
  const addButton = button('Add a secret', { class: 'button', 'data-action': 'add-secret' });
  const top = el('div', { class: 'secrets-top' });
  const tbody = el('tbody');
  const table = el(
    'table',
    { class: 'grid secrets' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col' }, 'Secret'),
        el('th', { scope: 'col' }, 'Used by'),
        el('th', { scope: 'col' }, 'Value'),
        el('th', { scope: 'col', class: 'actions-col' }, el('span', { class: 'sr-only' }, 'Actions')),
      ),
    ),
    tbody,
  );
  const element = el(
    'section',
    { class: 'screen', 'aria-labelledby': 'tab-secrets' },
    el('div', { class: 'screen-head' }, el('div', {}, el('h2', {}, 'Secrets'), summary), addButton),
    top,
    table,
  );

  async function save(name: string, value: string): Promise<string | null> {
    busy.add(name);
    try {
      view = await api.setSecret(name, value);
      busy.delete(name);
      editing = null;
      toast.info(storedMessage(name, view));
      render();
      return null;
    } catch (err) {
      busy.delete(name);
      return errorMessage(err);
    }
  }

  async function remove(name: string): Promise<void> {
    busy.add(name);
    render();
    try {
      view = await api.removeSecret(name);
      toast.info(`Removed ${name}`);
    } catch (err) {
      toast.error(`Could not remove ${name}: ${errorMessage(err)}`);
    }
    busy.delete(name);
    confirming = null;
    render();
  }

  function usersCell(row: SecretRow): HTMLElement {
    if (row.users.length === 0) return el('td', { class: 'subtitle' }, 'No server declares it');
    return el(
      'td',
      { class: 'secret-users' },
      ...row.users.map((u) =>
        el(
          'div',
          { class: `secret-user${u.mode === 'off' ? ' off' : ''}`, 'data-server': u.server, title: `${u.server} gets it in $${u.env}` },
          el('code', {}, u.server),
          el('span', { class: 'subtitle' }, ` as ${u.env}`),
          el('span', { class: 'badge', title: u.mode === 'native' ? 'The AI client starts it through `dockside exec`, which passes the value' : undefined }, MODE_LABELS[u.mode] ?? u.mode),
        ),
      ),
    );
  }

  function actionsCell(row: SecretRow): HTMLElement {
    if (confirming === row.name) {
      const yes = button('Remove', { class: 'button danger small', 'data-action': 'confirm-remove', 'data-secret': row.name });
      const no = button('Cancel', { class: 'button small', 'data-action': 'cancel-remove', 'data-secret': row.name });
      yes.disabled = busy.has(row.name);
      const using = row.users.filter((u) => u.mode !== 'off').map((u) => u.server);
      return el(
        'td',
        { class: 'actions confirm' },
        el('span', { class: 'confirm-text' }, using.length ? `Remove? ${using.join(', ')} will start without it. ` : 'Remove the value? '),
        yes,
        no,
      );
    }
    const set = button(row.set ? 'Replace' : 'Set', { class: `button small${row.missing ? ' primary' : ''}`, 'data-action': 'edit-secret', 'data-secret': row.name });
    set.disabled = busy.has(row.name);
    const cells: HTMLElement[] = [set];
    if (row.set) {
      const rm = button('Remove', { class: 'button small danger', 'data-action': 'remove-secret', 'data-secret': row.name });
      rm.disabled = busy.has(row.name);
      cells.push(rm);
    }
    return el('td', { class: 'actions' }, ...cells);
  }

  function render(): void {
    const rows = view ? sortRows(view.secrets) : [];
    summary.textContent = view ? secretsSummary(rows) : loadError ? 'The secrets could not be listed' : 'Loading…';
    const notes: HTMLElement[] = [];
    if (loadError) notes.push(el('div', { class: 'banner', role: 'alert' }, el('span', { class: 'banner-text' }, loadError)));
    if (view) {
      notes.push(el('p', { class: 'store-line', 'data-store': view.backend }, storeLine(view)));
      if (view.warning) notes.push(el('p', { class: 'notice', 'data-note': 'store-warning' }, view.warning));
      if (view.catalogError) notes.push(el('p', { class: 'notice', 'data-note': 'catalog-error' }, `The catalogs could not be read, so only stored names are listed: ${view.catalogError}`));
    }
    if (editing === '') {
      notes.push(
        el(
          'div',
          { class: 'card secret-add' },
          el('h3', {}, 'Add a secret'),
          el('p', { class: 'muted' }, 'Use the name a server declares in its catalog entry (secrets: name). Letters, digits, “.”, “_” and “-”.'),
          valueForm(null, save, () => {
            editing = null;
            render();
          }, { label: 'Value' }),
        ),
      );
    }
    top.replaceChildren(...notes);
    addButton.disabled = view === null;

    const trs: HTMLElement[] = [];
    for (const row of rows) {
      const status = secretStatus(row);
      trs.push(
        el(
          'tr',
          { 'data-secret': row.name, class: row.missing ? 'missing' : undefined },
          el('td', { class: 'name' }, el('code', {}, row.name)),
          usersCell(row),
          el('td', {}, el('span', { class: `pill pill-${status.kind}`, 'data-status': status.text }, status.text), row.missing ? el('div', { class: 'subtitle' }, 'an enabled server needs it') : null),
          actionsCell(row),
        ),
      );
      if (editing === row.name) {
        trs.push(
          el(
            'tr',
            { class: 'secret-edit', 'data-edit': row.name },
            el(
              'td',
              { colspan: '4' },
              valueForm(row.name, save, () => {
                editing = null;
                render();
              }, { label: `${row.set ? 'New value' : 'Value'} for ${row.name}` }),
            ),
          ),
        );
      }
    }
    if (view && rows.length === 0) {
      trs.push(el('tr', {}, el('td', { colspan: '4', class: 'muted' }, 'No secrets yet. Servers declare them in their catalog entry (secrets: name, env); “Add a secret” stores one by name.')));
    }
    tbody.replaceChildren(...trs);
  }

  /** Focus the form just opened. */
  function focusForm(): void {
    element.querySelector<HTMLInputElement>('tr.secret-edit input[type=password], .secret-add input')?.focus();
  }

  async function refresh(): Promise<void> {
    try {
      view = await api.listSecrets();
      loadError = null;
    } catch (err) {
      loadError = `Could not list the secrets: ${errorMessage(err)}`;
    }
    render();
  }

  tbody.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest<HTMLElement>('button[data-action][data-secret]') : null;
    const name = target?.dataset.secret;
    if (!target || name === undefined) return;
    switch (target.dataset.action) {
      case 'edit-secret':
        editing = editing === name ? null : name;
        confirming = null;
        render();
        focusForm();
        break;
      case 'remove-secret':
        confirming = name;
        editing = null;
        render();
        break;
      case 'cancel-remove':
        confirming = null;
        render();
        break;
      case 'confirm-remove':
        void remove(name);
        break;
    }
  });
  addButton.addEventListener('click', () => {
    editing = editing === '' ? null : '';
    confirming = null;
    render();
    focusForm();
  });

  render();
  return { element, refresh };
}
