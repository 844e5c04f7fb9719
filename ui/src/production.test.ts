import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PreflightReport, ProductionPlan, ProductionPreview, SwitchOutcome } from './api';
import { fakeApi } from './fakeApi';
import { missingByName, mountProduction, networkLabel, planIsNoop, planSummary, preflightRows, progressByServer } from './production';

const PLAN: ProductionPlan = {
  profile: 'production',
  servers: [
    { name: 'demo', from: 'native', to: 'managed', reason: 'no image: runs as a host process' },
    { name: 'web', from: 'managed', to: 'docker', image: 'mcp/web:1', network: { 'allow-hosts': ['api.web.dev:443'] } },
  ],
  clients: [
    {
      client: 'Claude Code',
      key: 'claude-code',
      path: '/home/me/.claude.json',
      diff: '--- a\n+++ b\n@@ -1 +1 @@\n-    "command": "demo"\n+    "command": "dockside"\n',
      entries: 2,
      gatewayEntries: ['demo', 'web'],
      userEntries: ['mine'],
      changes: ['demo: native → gateway'],
    },
    { client: 'Cursor', path: '/home/me/.cursor/mcp.json', diff: '', entries: 2 },
  ],
  warnings: ['web: the image is pulled during the pre-flight'],
};

const PREFLIGHT: PreflightReport = {
  servers: [
    {
      name: 'demo',
      from: 'native',
      to: 'managed',
      started: true,
      toolsBefore: ['echo', 'add'],
      toolsAfter: ['echo', 'add'],
      missing: [],
      added: [],
      latency: { probe: 'echo', calls: 30, nativeP50Ms: 0.41, nativeMeanMs: 0.5, gatewayP50Ms: 0.63, gatewayMeanMs: 0.7, overheadMs: 0.22 },
      problems: [],
      notes: [],
    },
    { name: 'web', from: 'managed', to: 'docker', image: 'mcp/web:1', started: false, toolsBefore: ['get'], toolsAfter: [], missing: ['get'], added: [], problems: ['web: tool `get` is missing'], notes: [] },
  ],
  problems: [],
};

const preview = (over: Partial<ProductionPreview> = {}): ProductionPreview => ({ available: true, reason: null, plan: PLAN, profile: 'development', undo: null, ...over });

const applied: SwitchOutcome = {
  ok: true,
  applied: true,
  plan: PLAN,
  preflight: { ...PREFLIGHT, servers: [PREFLIGHT.servers[0]!] },
  record: { id: 's-1', kind: 'production', time: 1, status: 'applied', profileBefore: 'development', profileAfter: 'production', files: [{ client: 'claude-code', path: '/home/me/.claude.json', backup: '/b/1' }] },
  problems: [],
  error: null,
};

describe('production logic', () => {
  it('summarises a plan', () => {
    expect(planSummary(PLAN)).toBe('2 servers move behind the gateway · 1 client file changes');
    const done = { ...PLAN, servers: PLAN.servers.map((s) => ({ ...s, from: s.to })), clients: [] };
    expect(planIsNoop(done)).toBe(true);
    // Only the profile changes: still a switch.
    expect(planIsNoop({ ...done, profile: 'production' }, 'development')).toBe(false);
    expect(planIsNoop({ ...done, profile: 'production' }, 'production')).toBe(true);
    expect(planSummary(done)).toMatch(/^Nothing to change/);
  });

  it('turns the pre-flight report into rows', () => {
    const [demo, web] = preflightRows(PREFLIGHT);
    expect(demo).toMatchObject({ name: 'demo', mode: 'Native → Managed', tools: '2 tools, same as now', latency: '0.41 ms → 0.63 ms (+0.22 ms per call)', ok: true });
    expect(web).toMatchObject({ mode: 'Managed → Docker (mcp/web:1)', tools: '0 tools, missing: get', latency: '—', ok: false });
  });

  it('keeps the latest progress message per server', () => {
    expect(
      progressByServer([
        { server: 'demo', message: 'starting' },
        { server: 'web', message: 'pulling' },
        { server: 'demo', message: 'tools match' },
      ]),
    ).toEqual([
      { server: 'demo', message: 'tools match', count: 2 },
      { server: 'web', message: 'pulling', count: 1 },
    ]);
  });
});

describe('production screen', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('reviews the plan with each file diff, switches with progress, then offers Undo', async () => {
    let finish: (o: SwitchOutcome) => void = () => {};
    const api = fakeApi([], [], {
      productionPlan: vi.fn(async () => preview()),
      switchProduction: vi.fn(() => new Promise<SwitchOutcome>((r) => (finish = r))),
      switchDevelopment: vi.fn(async () => ({ ...applied, preflight: null, record: { ...applied.record!, id: 's-2', kind: 'restore' as const } })),
    });
    const screen = mountProduction(api);
    document.body.append(screen.element);
    await screen.refresh();
    const root = screen.element;
    expect(root.querySelectorAll('.plan-servers tbody tr')).toHaveLength(2);
    expect(root.querySelector('[data-client="claude-code"] .diff-add')?.textContent).toBe('+    "command": "dockside"');
    expect(root.querySelector('[data-client="Cursor"] pre')).toBeNull();
    expect(root.textContent).toContain('Your own entries, left alone: mine');
    expect(root.textContent).toContain('web: the image is pulled during the pre-flight');

    root.querySelector<HTMLButtonElement>('[data-action="switch"]')!.click();
    await vi.waitFor(() => expect(root.querySelector('.progress-list')).not.toBeNull());
    screen.progress({ server: 'demo', message: 'started in managed mode: 2 tools' });
    expect(root.querySelector('.progress-list [data-server="demo"]')?.textContent).toContain('2 tools');
    // A refresh (tab switch) while running keeps the progress.
    await screen.refresh();
    expect(root.querySelector('.progress-list')).not.toBeNull();

    finish(applied);
    await vi.waitFor(() => expect(root.textContent).toContain('Switched to production'));
    expect(root.querySelector('.preflight tbody tr[data-server="demo"]')?.textContent).toContain('+0.22 ms per call');
    expect(root.textContent).toContain('/home/me/.claude.json');

    root.querySelector<HTMLButtonElement>('[data-action="undo"]')!.click();
    await vi.waitFor(() => expect(root.textContent).toContain('Back to development'));
    expect(api.switchDevelopment).toHaveBeenCalledTimes(1);
    root.querySelector<HTMLButtonElement>('[data-action="review"]')!.click();
    await vi.waitFor(() => expect(root.querySelector('[data-action="switch"]')).not.toBeNull());
    expect(api.productionPlan).toHaveBeenCalledTimes(2);
  });

  it('offers to replace Docker MCP Toolkit’s MCP_DOCKER entry, and switches with it replaced', async () => {
    const docker = (replaced: boolean) => ({ ...PLAN, dockerGateway: [{ key: 'claude-code', path: '/home/me/.claude.json', entry: 'MCP_DOCKER', profile: 'default', replaced }] });
    const api = fakeApi([], [], {
      productionPlan: vi.fn(async (replace?: boolean) => preview({ plan: docker(replace === true) })),
      switchProduction: vi.fn(async () => applied),
    });
    const screen = mountProduction(api);
    document.body.append(screen.element);
    await screen.refresh();
    const root = screen.element;
    expect(api.productionPlan).toHaveBeenLastCalledWith(false);
    const box = root.querySelector<HTMLInputElement>('[data-action="replace-docker-gateway"]')!;
    expect(box.checked).toBe(false);
    expect(box.parentElement?.textContent).toBe('Replace Docker MCP Toolkit’s MCP_DOCKER entry (profile default) with Dockside’s entries in claude-code; Undo puts it back');
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    await vi.waitFor(() => expect(api.productionPlan).toHaveBeenLastCalledWith(true));
    await vi.waitFor(() => expect(root.querySelector<HTMLInputElement>('[data-action="replace-docker-gateway"]')?.checked).toBe(true));
    root.querySelector<HTMLButtonElement>('[data-action="switch"]')!.click();
    await vi.waitFor(() => expect(api.switchProduction).toHaveBeenCalledWith(true, true));
    // Without MCP_DOCKER in any connected client there is nothing to offer.
    const plain = mountProduction(fakeApi([], [], { productionPlan: vi.fn(async () => preview()) }));
    await plain.refresh();
    expect(plain.element.querySelector('[data-action="replace-docker-gateway"]')).toBeNull();
  });

  it('shows each container’s network, and offers managed mode for servers that cannot run in Docker', async () => {
    expect(networkLabel('none')).toBe('network: none');
    expect(networkLabel('open')).toBe('network: open');
    const api = fakeApi([], [], {
      productionPlan: vi.fn(async () => preview()),
      switchProduction: vi.fn(async () => applied),
    });
    const screen = mountProduction(api);
    document.body.append(screen.element);
    await screen.refresh();
    const root = screen.element;
    expect(root.querySelector('[data-network="web"]')?.textContent).toBe('network: only api.web.dev:443');
    const box = root.querySelector<HTMLInputElement>('[data-action="else-managed"]')!;
    expect(box.checked).toBe(true);
    box.checked = false;
    box.dispatchEvent(new Event('change'));
    root.querySelector<HTMLButtonElement>('[data-action="switch"]')!.click();
    await vi.waitFor(() => expect(api.switchProduction).toHaveBeenCalledWith(false, false));
  });

  it('a failed pre-flight says why and changed nothing', async () => {
    const api = fakeApi([], [], {
      productionPlan: vi.fn(async () => preview()),
      switchProduction: vi.fn(async () => ({ ok: false, applied: false, plan: PLAN, preflight: PREFLIGHT, record: null, problems: [], error: 'the pre-flight found 1 problem(s); nothing was changed' })),
    });
    const screen = mountProduction(api);
    await screen.refresh();
    screen.element.querySelector<HTMLButtonElement>('[data-action="switch"]')!.click();
    await vi.waitFor(() => expect(screen.element.textContent).toContain('Not switched: nothing was changed'));
    expect(screen.element.querySelector('.result-error')?.textContent).toContain('pre-flight found 1 problem');
    expect(screen.element.querySelector('[data-action="undo"]')).toBeNull();
    expect(screen.element.querySelector('.preflight tr[data-server="web"] .pill-bad')?.textContent).toBe('failed');
  });

  it('in production, offers the undo of the recorded switch; unavailable disables Switch', async () => {
    const api = fakeApi([], [], {
      productionPlan: vi.fn(async () => preview({ profile: 'production', plan: { ...PLAN, servers: [], clients: [] }, undo: { id: 's-1', time: 1, servers: 2, files: 1 } })),
    });
    const screen = mountProduction(api);
    await screen.refresh();
    expect(screen.element.textContent).toContain('In production');
    expect(screen.element.querySelector<HTMLButtonElement>('[data-action="undo"]')!.disabled).toBe(false);

    const off = mountProduction(fakeApi([], [], { productionPlan: vi.fn(async () => preview({ available: false, reason: 'The `dockside` command was not found' })) }));
    await off.refresh();
    expect(off.element.querySelector<HTMLButtonElement>('[data-action="switch"]')!.disabled).toBe(true);
    expect(off.element.textContent).toContain('was not found');
  });

  it('asks for the missing secrets before the switch, sets them inline, and only then switches', async () => {
    const VALUE = 'xoxb-never-shown-0123456789';
    const missing = [
      { server: 'web', name: 'web.token', env: 'WEB_TOKEN' },
      { server: 'demo', name: 'web.token', env: 'TOKEN' },
      { server: 'demo', name: 'demo.key', env: 'DEMO_KEY' },
    ];
    const api = fakeApi([], [], {
      productionPlan: vi.fn(async () => preview({ missingSecrets: missing.filter((m) => !api.secretValues.has(m.name)) })),
      switchProduction: vi.fn(async () => applied),
    });
    const screen = mountProduction(api, { error: vi.fn(), info: vi.fn() });
    document.body.append(screen.element);
    await screen.refresh();
    const root = screen.element;
    const card = root.querySelector<HTMLElement>('.secrets-card')!;
    expect(card.querySelector('h3')?.textContent).toBe('2 secrets to set before the switch');
    expect(card.querySelector('tr[data-secret="web.token"]')?.textContent).toContain('web, demo');
    expect(card.querySelector('a[href="#secrets"]')?.textContent).toBe('Secrets screen');
    const go = () => root.querySelector<HTMLButtonElement>('[data-action="switch"]')!;
    expect(go().disabled).toBe(true);

    const set = (name: string, value: string) => {
      const form = root.querySelector<HTMLFormElement>(`.secrets-card tr[data-secret="${name}"] form`)!;
      const field = form.querySelector<HTMLInputElement>('input[type="password"]')!;
      field.value = value;
      form.requestSubmit();
    };
    set('web.token', VALUE);
    await vi.waitFor(() => expect(root.querySelector('.secrets-card h3')?.textContent).toBe('1 secret to set before the switch'));
    expect(api.setSecret).toHaveBeenCalledWith('web.token', VALUE);
    expect(api.productionPlan).toHaveBeenCalledTimes(2);
    expect(document.body.innerHTML).not.toContain(VALUE);
    expect(go().disabled).toBe(true);

    // A bad value shows the store's answer in place; the plan is not reloaded.
    set('demo.key', '');
    await vi.waitFor(() => expect(root.querySelector('.secrets-card [data-field-error="secret"]')?.textContent).toBe('no value for demo.key: type or paste it'));
    expect(api.productionPlan).toHaveBeenCalledTimes(2);

    // Or switch without it, knowingly.
    const skip = root.querySelector<HTMLInputElement>('[data-action="switch-without-secrets"]')!;
    skip.checked = true;
    skip.dispatchEvent(new Event('change'));
    expect(go().disabled).toBe(false);
    set('demo.key', 'k');
    await vi.waitFor(() => expect(root.querySelector('.secrets-card')).toBeNull());
    expect(go().disabled).toBe(false);
    go().click();
    await vi.waitFor(() => expect(api.switchProduction).toHaveBeenCalledTimes(1));
  });

  it('groups missing secrets by name', () => {
    expect(
      missingByName([
        { server: 'a', name: 'x', env: 'X' },
        { server: 'b', name: 'x', env: 'X' },
        { server: 'b', name: 'y', env: 'Y' },
      ]),
    ).toEqual([
      { name: 'x', servers: ['a', 'b'], envs: ['X'] },
      { name: 'y', servers: ['b'], envs: ['Y'] },
    ]);
  });

  it('says when the secret store cannot be read', async () => {
    const screen = mountProduction(fakeApi([], [], { productionPlan: vi.fn(async () => preview({ secretsError: '/h/secrets.json is not a valid secret file' })) }));
    await screen.refresh();
    expect(screen.element.querySelector('[data-note="secrets-error"]')?.textContent).toContain('not a valid secret file');
    expect(screen.element.querySelector<HTMLButtonElement>('[data-action="switch"]')!.disabled).toBe(false);
  });
});
