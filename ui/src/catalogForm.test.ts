import { describe, expect, it } from 'vitest';
import type { CatalogServer } from './api';
import { clientIssues, emptyForm, formFromServer, mergeIssues, toDraft } from './catalogForm';

const GITHUB: CatalogServer = {
  catalog: 'docker',
  name: 'github',
  server: {
    image: 'mcp/github',
    command: ['--read-only'],
    secrets: [{ name: 'github.token', env: 'GITHUB_TOKEN' }],
    dateAdded: '2025',
    'x-dockside': { hostCommand: ['/bin/gh-mcp'] },
  },
  limits: { memory: '256m' },
  network: 'none',
  mode: 'docker',
};

describe('catalog form model', () => {
  it('round-trips an entry, keeping keys the form does not edit', () => {
    const form = formFromServer(GITHUB);
    expect(form.runs).toBe('image');
    expect(form.args).toEqual(['--read-only']);
    expect(toDraft(form)).toEqual({
      original: 'github',
      catalog: 'docker',
      name: 'github',
      server: GITHUB.server,
      limits: { cpus: null, memory: '256m', pids: null },
      network: 'none',
    });
  });

  it('asks to rename in clients only on a rename the user opted into', () => {
    const form = formFromServer(GITHUB);
    form.renameInClients = true;
    expect(toDraft(form).renameInClients).toBeUndefined(); // same name: nothing to rename
    form.name = 'gh';
    expect(toDraft(form).renameInClients).toBe(true);
    form.renameInClients = false;
    expect(toDraft(form).renameInClients).toBeUndefined();
  });

  it('switching to a host command drops the image and builds the command', () => {
    const form = formFromServer(GITHUB);
    form.runs = 'command';
    form.program = 'node';
    form.args = ['server.js', '', '  --port=1 '];
    form.watch = ['/srv'];
    form.secrets = [];
    const entry = toDraft(form).server;
    expect(entry.image).toBeUndefined();
    expect(entry.command).toEqual(['node', 'server.js', '--port=1']);
    expect(entry.secrets).toBeUndefined();
    expect(entry['x-dockside']).toEqual({ hostCommand: ['/bin/gh-mcp'], watch: ['/srv'] });
  });

  it('a new empty form is a host command in the first catalog, with nothing extra', () => {
    const form = emptyForm('local');
    form.name = 'x';
    form.program = 'x';
    expect(toDraft(form)).toEqual({ catalog: 'local', name: 'x', server: { command: ['x'] }, limits: { cpus: null, memory: null, pids: null }, network: 'catalog' });
  });

  it('checks fields and duplicates before asking core', () => {
    const form = emptyForm('local');
    form.name = 'github';
    form.runs = 'image';
    form.image = 'Bad Image';
    form.env = [{ key: '1BAD', value: 'v' }];
    form.cpus = '-1';
    const fields = clientIssues(form, ['github']).map((i) => i.field);
    expect(fields).toEqual(['name', 'image', 'env', 'limits.cpus']);
  });

  it("moves core's issues to the form's fields without repeating them", () => {
    const form = emptyForm('local');
    form.runs = 'image';
    const merged = mergeIssues(
      form,
      [{ field: 'name', message: 'A server named “a” already exists', fix: null }],
      [
        { field: 'name', message: 'a server named `a` already exists in catalog `local`', fix: null },
        { field: 'command', message: 'server `a` has neither `image`, `command` nor `remote`', fix: 'add one' },
        { field: 'server', message: 'the server entry is not valid', fix: null },
      ],
    );
    expect(merged.map((i) => i.field)).toEqual(['name', 'image', 'general']);
  });
});
