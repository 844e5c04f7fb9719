/**
 * The Catalog editor's form model: a server as the form shows it, and back to a catalog entry
 * in Docker's shape (`Draft`), keeping every key the form does not edit.
 */
import type { CatalogEntry, CatalogServer, Draft, FieldIssue, NetworkPolicy } from './api';
import { cpusError, envNameError, imageError, memoryError, nameError, pidsError, volumeError } from './validate';

export interface Pair {
  key: string;
  value: string;
}

export interface ServerForm {
  /** The name it had when opened; absent for a new server. */
  original?: string;
  catalog: string;
  name: string;
  /** On a rename: AI clients' entries take the new name too (their tool names change). */
  renameInClients: boolean;
  title: string;
  description: string;
  /** A host command, or a container image. */
  runs: 'command' | 'image';
  program: string;
  image: string;
  /** Host command arguments, or the container's arguments. */
  args: string[];
  env: Pair[];
  /** Secret name → environment variable. */
  secrets: Pair[];
  volumes: string[];
  network: NetworkPolicy;
  disableNetwork: boolean;
  allowHosts: string[];
  cpus: string;
  memory: string;
  pids: string;
  watch: string[];
  /** The entry as loaded: keys the form does not edit are written back from it. */
  base: CatalogEntry;
}

export function emptyForm(catalog: string): ServerForm {
  return {
    catalog,
    name: '',
    title: '',
    description: '',
    runs: 'command',
    program: '',
    image: '',
    args: [],
    env: [],
    secrets: [],
    volumes: [],
    network: 'catalog',
    disableNetwork: false,
    renameInClients: false,
    allowHosts: [],
    cpus: '',
    memory: '',
    pids: '',
    watch: [],
    base: {},
  };
}

export function formFromServer(s: CatalogServer): ServerForm {
  const e = s.server;
  const image = typeof e.image === 'string' ? e.image : '';
  const command = Array.isArray(e.command) ? e.command.map(String) : [];
  const runs = image !== '' ? 'image' : 'command';
  return {
    original: s.name,
    catalog: s.catalog,
    name: s.name,
    title: e.title ?? '',
    description: e.description ?? '',
    runs,
    program: runs === 'command' ? (command[0] ?? '') : '',
    image,
    args: runs === 'command' ? command.slice(1) : command,
    env: (e.env ?? []).map((v) => ({ key: v.name, value: v.value ?? '' })),
    secrets: (e.secrets ?? []).map((v) => ({ key: v.name, value: v.env })),
    volumes: e.volumes ?? [],
    network: s.network,
    disableNetwork: e.disableNetwork === true,
    renameInClients: false,
    allowHosts: e.allowHosts ?? [],
    cpus: s.limits.cpus ?? '',
    memory: s.limits.memory ?? '',
    pids: s.limits.pids ?? '',
    watch: e['x-dockside']?.watch ?? [],
    base: e,
  };
}

function setOrDelete<K extends keyof CatalogEntry>(entry: CatalogEntry, key: K, value: CatalogEntry[K] | undefined): void {
  const empty = value === undefined || value === '' || value === false || (Array.isArray(value) && value.length === 0);
  if (empty) delete entry[key];
  else entry[key] = value;
}

const lines = (values: string[]) => values.map((v) => v.trim()).filter((v) => v !== '');

/** The catalog entry the form describes, unknown keys kept. */
export function toEntry(form: ServerForm): CatalogEntry {
  const entry: CatalogEntry = structuredClone(form.base);
  setOrDelete(entry, 'title', form.title.trim());
  setOrDelete(entry, 'description', form.description.trim());
  if (form.runs === 'command') {
    delete entry.image;
    const program = form.program.trim();
    setOrDelete(entry, 'command', program === '' ? [] : [program, ...lines(form.args)]);
  } else {
    setOrDelete(entry, 'image', form.image.trim());
    setOrDelete(entry, 'command', lines(form.args));
  }
  setOrDelete(
    entry,
    'env',
    form.env.filter((p) => p.key.trim() !== '').map((p) => (p.value === '' ? { name: p.key.trim() } : { name: p.key.trim(), value: p.value })),
  );
  setOrDelete(
    entry,
    'secrets',
    form.secrets.filter((p) => p.key.trim() !== '').map((p) => ({ name: p.key.trim(), env: p.value.trim() })),
  );
  setOrDelete(entry, 'volumes', lines(form.volumes));
  setOrDelete(entry, 'disableNetwork', form.disableNetwork);
  setOrDelete(entry, 'allowHosts', lines(form.allowHosts));
  const ext = { ...(entry['x-dockside'] ?? {}) };
  const watch = lines(form.watch);
  if (watch.length > 0) ext.watch = watch;
  else delete ext.watch;
  if (Object.keys(ext).length > 0) entry['x-dockside'] = ext;
  else delete entry['x-dockside'];
  return entry;
}

export function toDraft(form: ServerForm): Draft {
  const draft: Draft = {
    catalog: form.catalog,
    name: form.name.trim(),
    server: toEntry(form),
    limits: {
      cpus: form.cpus.trim() || null,
      memory: form.memory.trim() || null,
      pids: form.pids.trim() || null,
    },
    network: form.network,
  };
  if (form.original !== undefined) draft.original = form.original;
  if (form.original !== undefined && form.original !== draft.name && form.renameInClients) draft.renameInClients = true;
  return draft;
}

function issue(field: string, message: string | null): FieldIssue[] {
  return message === null ? [] : [{ field, message, fix: null }];
}

/** Checks that need no catalog: one field at a time, plus names taken by other servers. */
export function clientIssues(form: ServerForm, otherNames: readonly string[]): FieldIssue[] {
  const name = form.name.trim();
  const out: FieldIssue[] = [...issue('name', nameError(name))];
  if (name !== '' && otherNames.includes(name)) {
    out.push({ field: 'name', message: `A server named “${name}” already exists`, fix: 'Pick another name' });
  }
  if (form.runs === 'image') out.push(...issue('image', imageError(form.image)));
  else if (form.program.trim() === '') out.push(...issue('program', 'Enter the program to run, e.g. npx or /usr/local/bin/server'));
  for (const p of form.env) if (p.key.trim() !== '' || p.value !== '') out.push(...issue('env', envNameError(p.key.trim())));
  for (const p of form.secrets) {
    if (p.key.trim() === '' && p.value.trim() === '') continue;
    if (p.key.trim() === '') out.push(...issue('secrets', 'Enter the secret’s name'));
    out.push(...issue('secrets', envNameError(p.value.trim())));
  }
  for (const v of lines(form.volumes)) out.push(...issue('volumes', volumeError(v)));
  out.push(...issue('limits.cpus', cpusError(form.cpus)));
  out.push(...issue('limits.memory', memoryError(form.memory)));
  out.push(...issue('limits.pids', pidsError(form.pids)));
  return out;
}

/** Core's issues, moved to the form's fields; duplicates of client-side messages dropped. */
export function mergeIssues(form: ServerForm, local: FieldIssue[], core: FieldIssue[]): FieldIssue[] {
  const out = [...local];
  for (const i of core) {
    let field = i.field;
    if (field === 'command') field = form.runs === 'image' ? 'image' : 'program';
    if (field === 'server') field = 'general';
    if (field === 'name' && local.some((l) => l.field === 'name')) continue;
    if (out.some((o) => o.field === field && o.message === i.message)) continue;
    out.push({ ...i, field });
  }
  return out;
}
