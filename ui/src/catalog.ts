/**
 * The Catalog editor: add, edit and remove servers with a form (or see the entry as YAML),
 * validated live — cheap per-field checks here, everything else by core through
 * `validate_server` — and saved atomically by core (`save_server`). Imports a Docker catalog
 * file / `~/.docker/mcp` folder, or an AI client's servers.
 */
import {
  errorMessage,
  type CatalogServer,
  type CatalogView,
  type ClientView,
  type DocksideApi,
  type FieldIssue,
  type ImportedServer,
  type NetworkPolicy,
} from './api';
import { clientIssues, emptyForm, formFromServer, mergeIssues, toDraft, type Pair, type ServerForm } from './catalogForm';
import { button, debounce, el, icon } from './dom';
import type { Toaster } from './servers';

export interface CatalogScreen {
  element: HTMLElement;
  refresh(): Promise<void>;
}

let uid = 0;
const nextId = (base: string) => `${base}-${++uid}`;

export function mountCatalog(api: DocksideApi, toast: Toaster, onSaved: () => void): CatalogScreen {
  let view: CatalogView = { catalogs: ['local'], servers: [] };
  let form: ServerForm | null = null;
  let issues: FieldIssue[] = [];
  /** Core's last verdict on the form. */
  let coreIssues: FieldIssue[] = [];
  let tab: 'form' | 'yaml' = 'form';
  let validation = 0;
  let clients: ClientView[] = [];

  const list = el('ul', { class: 'server-list', role: 'listbox', 'aria-label': 'Servers in the catalog' });
  const newButton = el('button', { type: 'button', class: 'button primary', 'data-action': 'new' }, icon('plus'), 'New server');

  const importPath = el('input', {
    type: 'text',
    id: 'import-path',
    class: 'input',
    placeholder: '~/.docker/mcp or a catalog .yaml file',
    spellcheck: 'false',
  });
  const importButton = button('Import', { 'data-action': 'import-catalog' });
  const clientSelect = el('select', { id: 'import-client', class: 'input' });
  const clientButton = button('Import', { 'data-action': 'import-client' });
  const importCard = el(
    'div',
    { class: 'card import-card' },
    el('h3', {}, 'Import'),
    el('label', { class: 'label', for: 'import-path' }, 'Docker catalog'),
    el('div', { class: 'inline' }, importPath, importButton),
    el('label', { class: 'label', for: 'import-client' }, 'From an AI client'),
    el('div', { class: 'inline' }, clientSelect, clientButton),
  );

  const sidebar = el(
    'aside',
    { class: 'catalog-side' },
    el('div', { class: 'card list-card' }, el('div', { class: 'list-head' }, el('h3', {}, 'Servers'), newButton), list),
    importCard,
  );

  const editor = el('div', { class: 'card editor' });
  const placeholder = el(
    'div',
    { class: 'card editor-empty' },
    el('h3', {}, 'Pick a server to edit'),
    el('p', {}, 'Or create one with “New server”. Changes are checked as you type and saved atomically.'),
  );

  const element = el(
    'section',
    { class: 'screen', 'aria-labelledby': 'tab-catalog' },
    el('div', { class: 'screen-head' }, el('div', {}, el('h2', {}, 'Catalog'), el('p', { class: 'screen-summary' }, 'Servers, how they run, and their limits'))),
    el('div', { class: 'catalog-layout' }, sidebar, el('div', { class: 'catalog-main' }, placeholder, editor)),
  );
  editor.hidden = true;

  function otherNames(): string[] {
    return view.servers.map((s) => s.name).filter((n) => n !== form?.original);
  }

  function renderList(): void {
    const items: HTMLElement[] = [];
    for (const s of view.servers) {
      const selected = form?.original === s.name;
      const item = el(
        'li',
        {
          role: 'option',
          tabindex: '0',
          class: 'server-item',
          'data-server': s.name,
          'aria-selected': selected ? 'true' : 'false',
        },
        el('code', {}, s.name),
        el('span', { class: 'item-meta' }, `${s.catalog} · ${s.server.image ? 'image' : s.server.remote ? 'remote' : 'command'}`),
      );
      items.push(item);
    }
    if (form && form.original === undefined) {
      items.push(
        el(
          'li',
          { role: 'option', tabindex: '0', class: 'server-item', 'aria-selected': 'true' },
          el('code', {}, form.name || 'new server'),
          el('span', { class: 'item-meta' }, `${form.catalog} · unsaved`),
        ),
      );
    }
    if (items.length === 0) items.push(el('li', { class: 'server-item muted' }, 'No servers yet'));
    list.replaceChildren(...items);
  }

  function errorsFor(field: string): FieldIssue[] {
    return issues.filter((i) => i.field === field || (field === 'limits' && i.field.startsWith('limits.')));
  }

  /** A labelled field with its error slot; `control` gets aria wiring. */
  /** On a rename, whether AI clients' entries take the new name (by default they keep theirs). */
  function renameInClients(f: ServerForm): HTMLElement {
    const box = el('input', { type: 'checkbox', name: 'renameInClients' });
    box.checked = f.renameInClients;
    box.addEventListener('change', () => {
      f.renameInClients = box.checked;
      changed();
    });
    return el('label', { class: 'check' }, box, el('span', {}, 'When renamed, rename it in AI clients too (the tool names they show change)'));
  }

  function field(label: string, name: string, control: HTMLElement, hint?: string): HTMLElement {
    const id = control.id || nextId(`f-${name}`);
    control.id = id;
    const errs = errorsFor(name);
    const errorId = `${id}-error`;
    const wrap = el('div', { class: 'field', 'data-field': name }, el('label', { class: 'label', for: id }, label), control);
    if (hint) wrap.append(el('div', { class: 'hint' }, hint));
    if (errs.length > 0) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', errorId);
      wrap.append(
        el(
          'div',
          { class: 'field-error', id: errorId, role: 'alert', 'data-field-error': name },
          ...errs.map((e) => el('div', {}, e.message, e.fix ? el('span', { class: 'fix' }, ` — ${e.fix}`) : null)),
        ),
      );
    }
    return wrap;
  }

  function text(name: string, value: string, onInput: (v: string) => void, attrs: Record<string, string> = {}): HTMLInputElement {
    const input = el('input', { type: 'text', class: 'input', name, spellcheck: 'false', autocomplete: 'off', ...attrs });
    input.value = value;
    input.addEventListener('input', () => {
      onInput(input.value);
      changed();
    });
    return input;
  }

  function area(name: string, values: string[], onInput: (v: string[]) => void, placeholder: string): HTMLTextAreaElement {
    const ta = el('textarea', { class: 'input', name, rows: String(Math.max(2, values.length + 1)), spellcheck: 'false', placeholder });
    ta.value = values.join('\n');
    ta.addEventListener('input', () => {
      onInput(ta.value.split('\n'));
      changed();
    });
    return ta;
  }

  /** Rows of two inputs (`noun N key` / `noun N value` for screen readers), plus Add. */
  function pairs(name: string, rows: Pair[], noun: string, keyLabel: string, valueLabel: string, keyPlaceholder: string, valuePlaceholder: string): HTMLElement {
    const box = el('div', { class: 'pairs', id: nextId(`f-${name}`), 'data-pairs': name });
    const draw = () => {
      const children: HTMLElement[] = rows.map((p, i) => {
        const k = el('input', { type: 'text', class: 'input', 'aria-label': `${noun} ${i + 1} ${keyLabel}`, placeholder: keyPlaceholder, spellcheck: 'false' });
        k.value = p.key;
        k.addEventListener('input', () => {
          p.key = k.value;
          changed();
        });
        const v = el('input', { type: 'text', class: 'input', 'aria-label': `${noun} ${i + 1} ${valueLabel}`, placeholder: valuePlaceholder, spellcheck: 'false' });
        v.value = p.value;
        v.addEventListener('input', () => {
          p.value = v.value;
          changed();
        });
        const remove = el('button', { type: 'button', class: 'icon-button', 'aria-label': `Remove ${noun.toLowerCase()} ${i + 1}` }, icon('close'));
        remove.addEventListener('click', () => {
          rows.splice(i, 1);
          draw();
          changed();
        });
        return el('div', { class: 'pair' }, k, v, remove);
      });
      const add = el('button', { type: 'button', class: 'button small' }, icon('plus'), `Add ${noun.toLowerCase()}`);
      add.addEventListener('click', () => {
        rows.push({ key: '', value: '' });
        draw();
        box.querySelector<HTMLInputElement>('.pair:last-of-type input')?.focus();
      });
      box.replaceChildren(...children, add);
    };
    draw();
    return box;
  }

  function section(title: string, ...children: (HTMLElement | null)[]): HTMLElement {
    return el('fieldset', { class: 'section' }, el('legend', {}, title), ...children.filter((c) => c !== null));
  }

  function renderForm(f: ServerForm): HTMLElement {
    const catalog = el('select', { class: 'input', name: 'catalog' });
    for (const c of view.catalogs) {
      const o = el('option', { value: c }, c);
      o.selected = c === f.catalog;
      catalog.append(o);
    }
    catalog.disabled = f.original !== undefined;
    catalog.addEventListener('change', () => {
      f.catalog = catalog.value;
      changed();
    });

    const runs = el('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'Runs' });
    for (const [value, label] of [
      ['command', 'Host command'],
      ['image', 'Container image'],
    ] as const) {
      const input = el('input', { type: 'radio', name: 'runs', value });
      input.checked = f.runs === value;
      input.addEventListener('change', () => {
        f.runs = value;
        changed();
        draw();
      });
      runs.append(el('label', { class: 'segment' }, input, el('span', {}, label)));
    }

    const network = el('select', { class: 'input', name: 'network' });
    for (const [value, label] of [
      ['catalog', 'As the catalog says'],
      ['none', 'No network'],
      ['open', 'Open network'],
    ] as const) {
      const o = el('option', { value }, label);
      o.selected = f.network === value;
      network.append(o);
    }
    network.addEventListener('change', () => {
      f.network = network.value as NetworkPolicy;
      changed();
    });
    const disable = el('input', { type: 'checkbox', name: 'disableNetwork' });
    disable.checked = f.disableNetwork;
    disable.addEventListener('change', () => {
      f.disableNetwork = disable.checked;
      changed();
    });

    const runField =
      f.runs === 'command'
        ? field('Program', 'program', text('program', f.program, (v) => (f.program = v), { placeholder: 'npx, uvx, /usr/local/bin/server…' }))
        : field('Image', 'image', text('image', f.image, (v) => (f.image = v), { placeholder: 'mcp/fetch:latest' }));

    return el(
      'div',
      { class: 'form' },
      section(
        'General',
        el(
          'div',
          { class: 'row2' },
          field('Name', 'name', text('name', f.name, (v) => (f.name = v), { placeholder: 'my-server' }), 'The entry name AI clients see'),
          field('Catalog', 'catalog', catalog),
        ),
        f.original === undefined ? null : renameInClients(f),
        field('Title', 'title', text('title', f.title, (v) => (f.title = v))),
        field('Description', 'description', text('description', f.description, (v) => (f.description = v))),
      ),
      section(
        'Run',
        el('div', { class: 'field' }, el('span', { class: 'label', id: 'runs-label' }, 'Runs'), runs),
        runField,
        field(
          'Arguments',
          'args',
          area('args', f.args, (v) => (f.args = v), 'one argument per line'),
          f.runs === 'image' ? 'Passed to the container' : 'Passed to the program',
        ),
      ),
      section(
        'Environment and secrets',
        field('Environment', 'env', pairs('env', f.env, 'Variable', 'name', 'value', 'NAME', 'value')),
        field('Secrets', 'secrets', pairs('secrets', f.secrets, 'Secret', 'name', 'variable', 'github.token', 'GITHUB_TOKEN'), 'Read from the secret store, given to the server as the variable'),
      ),
      section(
        'Files',
        field('Volumes', 'volumes', area('volumes', f.volumes, (v) => (f.volumes = v), '/host/path:/container/path:ro')),
        field('Watch paths', 'watch', area('watch', f.watch, (v) => (f.watch = v), 'paths whose changes restart the server'), 'Changes restart the server (managed and docker modes)'),
      ),
      section(
        'Network',
        el('div', { class: 'row2' }, field('Policy', 'network', network), el('label', { class: 'check' }, disable, el('span', {}, 'Disable network in the catalog entry'))),
        field('Allowed hosts', 'allowHosts', area('allowHosts', f.allowHosts, (v) => (f.allowHosts = v), 'api.github.com:443')),
      ),
      section(
        'Limits',
        el(
          'div',
          { class: 'row3' },
          field('CPUs', 'limits.cpus', text('cpus', f.cpus, (v) => (f.cpus = v), { placeholder: '0.5', inputmode: 'decimal' })),
          field('Memory', 'limits.memory', text('memory', f.memory, (v) => (f.memory = v), { placeholder: '256m' })),
          field('Processes', 'limits.pids', text('pids', f.pids, (v) => (f.pids = v), { placeholder: '64', inputmode: 'numeric' })),
        ),
      ),
    );
  }

  // The YAML view edits the same server in the catalog's own shape; core reads it back
  // (`parse_server_yaml`) and the form follows. One element for the editor's life, so a
  // re-render keeps its cursor.
  const yamlArea = el('textarea', {
    class: 'input yaml-edit',
    name: 'yaml',
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-label': 'Catalog entry as YAML',
  });
  let yamlIssues: FieldIssue[] = [];

  async function refreshYaml(): Promise<void> {
    if (!form) return;
    try {
      yamlArea.value = await api.serverYaml(toDraft(form));
    } catch (err) {
      yamlArea.value = `# ${errorMessage(err)}`;
    }
    yamlIssues = [];
  }

  const readYaml = debounce(async () => {
    if (!form || tab !== 'yaml') return;
    const f = form;
    try {
      const parsed = await api.parseServerYaml(yamlArea.value);
      if (form !== f || tab !== 'yaml') return;
      yamlIssues = parsed.issues;
      if (parsed.entry) {
        const limits = { cpus: f.cpus || null, memory: f.memory || null, pids: f.pids || null };
        const next = formFromServer({ catalog: f.catalog, name: parsed.entry.name, server: parsed.entry.server, limits, network: f.network, mode: 'off' });
        if (f.original === undefined) delete next.original;
        else next.original = f.original;
        form = next;
        changed();
        return;
      }
    } catch (err) {
      yamlIssues = [{ field: 'yaml', message: errorMessage(err), fix: null }];
    }
    draw();
  }, 300);
  yamlArea.addEventListener('input', () => readYaml());

  const FIELD_LABELS: Record<string, string> = {
    name: 'Name',
    image: 'Image',
    program: 'Program',
    env: 'Environment',
    secrets: 'Secrets',
    volumes: 'Volumes',
    network: 'Network',
    mode: 'Mode',
    'limits.cpus': 'CPUs',
    'limits.memory': 'Memory',
    'limits.pids': 'Processes',
  };

  function yamlBody(): HTMLElement {
    const shown = [...yamlIssues, ...issues];
    const wrap = el('div', { class: 'yaml-body' }, yamlArea);
    if (shown.length > 0) {
      wrap.append(
        el(
          'div',
          { class: 'field-error yaml-errors', role: 'alert', 'data-field-error': 'yaml' },
          ...shown.map((e) => el('div', {}, FIELD_LABELS[e.field] ? `${FIELD_LABELS[e.field]}: ` : '', e.message, e.fix ? el('span', { class: 'fix' }, ` — ${e.fix}`) : null)),
        ),
      );
    }
    return wrap;
  }

  function draw(): void {
    if (!form) {
      editor.hidden = true;
      placeholder.hidden = false;
      renderList();
      return;
    }
    const f = form;
    editor.hidden = false;
    placeholder.hidden = true;
    const yamlFocused = document.activeElement === yamlArea;
    const focusedName = !yamlFocused && document.activeElement instanceof HTMLElement && editor.contains(document.activeElement) ? focusKey(document.activeElement) : null;

    const tabs = el('div', { class: 'tabs small', role: 'tablist', 'aria-label': 'Editor view' });
    for (const [value, label] of [
      ['form', 'Form'],
      ['yaml', 'YAML'],
    ] as const) {
      const t = el('button', { type: 'button', role: 'tab', class: 'tab', 'aria-selected': tab === value ? 'true' : 'false', 'data-view': value }, label);
      t.addEventListener('click', async () => {
        if (tab === value) return;
        if (value === 'yaml') await refreshYaml();
        tab = value;
        draw();
      });
      tabs.append(t);
    }
    const general = issues.filter((i) => i.field === 'general' || i.field === 'mode');
    const summary =
      general.length > 0
        ? el('div', { class: 'banner', role: 'alert' }, el('div', { class: 'banner-text' }, ...general.map((i) => el('div', {}, i.message, i.fix ? ` — ${i.fix}` : ''))))
        : null;
    const count = issues.length + (tab === 'yaml' ? yamlIssues.length : 0);
    const status = el(
      'span',
      { class: `form-status ${count > 0 ? 'bad' : 'ok'}`, 'aria-live': 'polite' },
      count > 0 ? `${count} problem${count === 1 ? '' : 's'} to fix` : 'No problems found',
    );
    const save = button(f.original === undefined ? 'Add server' : 'Save changes', { class: 'button primary', 'data-action': 'save' });
    save.disabled = count > 0;
    save.addEventListener('click', () => void doSave());
    const revert = button(f.original === undefined ? 'Cancel' : 'Revert', { 'data-action': 'revert' });
    revert.addEventListener('click', () => {
      const original = view.servers.find((s) => s.name === f.original);
      open(original ?? null);
    });
    const remove = button('Remove', { class: 'button danger', 'data-action': 'remove' });
    remove.hidden = f.original === undefined;
    remove.addEventListener('click', () => void doRemove());

    const body = tab === 'form' ? renderForm(f) : yamlBody();
    editor.replaceChildren(
      el(
        'div',
        { class: 'editor-head' },
        el('div', {}, el('h3', {}, f.original === undefined ? 'New server' : f.original), el('span', { class: 'badge' }, f.catalog)),
        tabs,
      ),
      ...(summary ? [summary] : []),
      body,
      el('div', { class: 'editor-foot' }, status, el('span', { class: 'spacer' }), remove, revert, save),
    );
    if (yamlFocused) yamlArea.focus();
    else if (focusedName) restoreFocus(focusedName);
    renderList();
  }

  function focusKey(node: HTMLElement): string | null {
    if (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement || node instanceof HTMLSelectElement) {
      if (node.name) return `[name="${node.name}"]`;
      const label = node.getAttribute('aria-label');
      if (label) return `[aria-label="${label}"]`;
    }
    return null;
  }

  function restoreFocus(selector: string): void {
    const node = editor.querySelector<HTMLInputElement | HTMLTextAreaElement>(selector);
    if (!node) return;
    node.focus();
    if ('selectionStart' in node && node.type !== 'checkbox' && node.type !== 'radio') {
      const end = node.value.length;
      try {
        node.setSelectionRange(end, end);
      } catch {
        /* not a text control */
      }
    }
  }

  const validateWithCore = debounce(async () => {
    if (!form) return;
    const ticket = ++validation;
    const f = form;
    const local = clientIssues(f, otherNames());
    try {
      const core = await api.validateServer(toDraft(f));
      if (ticket !== validation || form !== f) return;
      coreIssues = core;
      issues = mergeIssues(f, local, core);
    } catch (err) {
      if (ticket !== validation) return;
      issues = [...local, { field: 'general', message: `Could not check the server: ${errorMessage(err)}`, fix: null }];
    }
    draw();
  }, 250);

  function changed(): void {
    if (!form) return;
    // Cheap checks at once, core's a moment later.
    issues = mergeIssues(form, clientIssues(form, otherNames()), coreIssues);
    draw();
    validateWithCore();
  }

  function open(server: CatalogServer | null, fresh = false): void {
    form = server ? formFromServer(server) : fresh ? emptyForm(view.catalogs[0] ?? 'local') : null;
    issues = [];
    coreIssues = [];
    yamlIssues = [];
    tab = 'form';
    draw();
    if (form && fresh) editor.querySelector<HTMLInputElement>('[name="name"]')?.focus();
    if (form && !fresh) validateWithCore();
  }

  async function doSave(): Promise<void> {
    if (!form) return;
    const f = form;
    const local = clientIssues(f, otherNames());
    if (local.length > 0 || (tab === 'yaml' && yamlIssues.length > 0)) {
      issues = local;
      draw();
      return;
    }
    try {
      const result = await api.saveServer(toDraft(f));
      if (result.length > 0) {
        coreIssues = result;
        issues = mergeIssues(f, [], result);
        draw();
        return;
      }
      toast.info(`Saved ${f.name.trim()}`);
      await refresh();
      open(view.servers.find((s) => s.name === f.name.trim()) ?? null);
      onSaved();
    } catch (err) {
      toast.error(`Could not save ${f.name}: ${errorMessage(err)}`);
    }
  }

  async function doRemove(): Promise<void> {
    const name = form?.original;
    if (name === undefined) return;
    if (!window.confirm(`Remove ${name} from the catalog? AI clients lose its entry at the next sync.`)) return;
    try {
      await api.removeServer(name);
      toast.info(`Removed ${name}`);
      form = null;
      await refresh();
      onSaved();
    } catch (err) {
      toast.error(`Could not remove ${name}: ${errorMessage(err)}`);
    }
  }

  async function refresh(): Promise<void> {
    try {
      view = await api.catalogView();
    } catch (err) {
      toast.error(`Could not load the catalog: ${errorMessage(err)}`);
    }
    try {
      clients = (await api.listClients()).filter((c) => c.detected && (c.servers ?? 0) > 0);
    } catch {
      clients = [];
    }
    clientSelect.replaceChildren(
      ...(clients.length > 0
        ? clients.map((c) => el('option', { value: c.id }, `${c.name} (${c.servers})`))
        : [el('option', { value: '' }, 'No client with servers found')]),
    );
    clientButton.disabled = clients.length === 0;
    if (form?.original !== undefined && !view.servers.some((s) => s.name === form?.original)) form = null;
    draw();
  }

  list.addEventListener('click', (event) => {
    const item = event.target instanceof Element ? event.target.closest<HTMLElement>('[data-server]') : null;
    if (item?.dataset.server) open(view.servers.find((s) => s.name === item.dataset.server) ?? null);
  });
  list.addEventListener('keydown', (event) => {
    const item = event.target instanceof HTMLElement ? event.target : null;
    if (!item?.classList.contains('server-item')) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      item.click();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const sibling = event.key === 'ArrowDown' ? item.nextElementSibling : item.previousElementSibling;
      if (sibling instanceof HTMLElement) sibling.focus();
    }
  });
  newButton.addEventListener('click', () => open(null, true));
  importButton.addEventListener('click', async () => {
    const path = importPath.value.trim();
    if (!path) {
      toast.error('Enter the path of a Docker catalog file or of ~/.docker/mcp');
      return;
    }
    try {
      toast.info(await api.importCatalog(path));
      importPath.value = '';
      await refresh();
      onSaved();
    } catch (err) {
      toast.error(`Could not import ${path}: ${errorMessage(err)}`);
    }
  });
  clientButton.addEventListener('click', async () => {
    const id = clientSelect.value;
    if (!id) return;
    try {
      const imported = await api.importClient(id);
      toast.info(importSummary(imported));
      await refresh();
      onSaved();
    } catch (err) {
      toast.error(`Could not import from ${id}: ${errorMessage(err)}`);
    }
  });

  return { element, refresh };
}

/** What an import from a client did, in one line: each new server with its mode, and the name
 * the client keeps for it where that differs. */
export function importSummary(imported: ImportedServer[]): string {
  const added = imported
    .filter((i) => i.status === 'added')
    .map((i) => {
      const alias = i.sources.map((s) => / \(as (.+)\)$/.exec(s)?.[1]).find(Boolean);
      const mode = i.mode === 'off' ? 'off, as in the client' : i.mode;
      return alias ? `${i.name} (${mode}; the client keeps calling it ${alias})` : `${i.name} (${mode})`;
    });
  return added.length > 0 ? `Imported ${added.join(', ')}` : 'Nothing new to import';
}
