/**
 * The Production switch screen: review → switch → result → undo.
 *
 * - Review: the plan from core (each server's new mode and why, each connected client file's
 *   unified diff, the user's own entries left alone, warnings) and one "Switch" button.
 * - Switch: the app runs the CLI's pre-flight and switch; each pre-flight step arrives as a
 *   `production-progress` event and is shown per server while it runs.
 * - Result: the pre-flight results (tools before/after, per-call latency overhead, problems), the
 *   files written, verification problems, and "Undo" (back to development).
 * In production already, the screen offers the undo of the recorded switch.
 *
 * Before the switch, the review asks for the secrets enabled servers declare and the store
 * lacks: each can be set inline (a password field, as on the Secrets screen), and Switch waits
 * until they are set or the user chooses to switch without them.
 */
import {
  errorMessage,
  MODE_LABELS,
  type DocksideApi,
  type MissingSecret,
  type Network,
  type PreflightReport,
  type PreflightServer,
  type ProductionPlan,
  type ProductionPreview,
  type SwitchOutcome,
  type SwitchProgress,
} from './api';
import { diffLines } from './clients';
import { button, el } from './dom';
import { valueForm } from './secrets';
import type { Toaster } from './servers';

export interface ProductionScreen {
  element: HTMLElement;
  refresh(): Promise<void>;
  /** A pre-flight step of the running switch (Tauri event `production-progress`). */
  progress(step: SwitchProgress): void;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 servers move behind the gateway · 3 client files change". */
export function planSummary(plan: ProductionPlan): string {
  const moving = plan.servers.filter((s) => s.from !== s.to).length;
  const files = plan.clients.filter((c) => c.diff !== '').length;
  if (moving === 0 && files === 0) return 'Nothing to change: every enabled server already runs behind the gateway';
  const parts = [`${plural(moving, 'server')} ${moving === 1 ? 'moves' : 'move'} behind the gateway`];
  parts.push(files === 0 ? 'no client file changes' : `${plural(files, 'client file')} ${files === 1 ? 'changes' : 'change'}`);
  return parts.join(' · ');
}

/** Whether there is anything to switch (`SwitchPlan::is_noop`): no move, no file change, and the
 * profile (`current`) is already the plan's. */
export function planIsNoop(plan: ProductionPlan, current?: string): boolean {
  return plan.servers.every((s) => s.from === s.to) && plan.clients.every((c) => c.diff === '') && (current === undefined || current === (plan.profile ?? 'production'));
}

/** One row of the pre-flight results table. */
export interface PreflightRow {
  name: string;
  mode: string;
  tools: string;
  latency: string;
  ok: boolean;
  problems: string[];
  notes: string[];
}

const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;

export function preflightRows(report: PreflightReport): PreflightRow[] {
  return report.servers.map((s: PreflightServer) => {
    let tools = plural(s.toolsAfter.length, 'tool');
    if (!s.toolsBefore) tools += ', not compared';
    else if (s.missing.length === 0 && s.added.length === 0) tools += ', same as now';
    else {
      if (s.missing.length) tools += `, missing: ${s.missing.join(', ')}`;
      if (s.added.length) tools += `, new: ${s.added.join(', ')}`;
    }
    const latency = s.latency
      ? `${ms(s.latency.nativeP50Ms)} → ${ms(s.latency.gatewayP50Ms)} (${s.latency.overheadMs >= 0 ? '+' : '−'}${ms(Math.abs(s.latency.overheadMs))} per call)`
      : '—';
    return {
      name: s.name,
      mode: `${MODE_LABELS[s.from] ?? s.from} → ${MODE_LABELS[s.to] ?? s.to}${s.image ? ` (${s.image})` : ''}`,
      tools,
      latency,
      ok: s.problems.length === 0,
      problems: s.problems,
      notes: s.notes,
    };
  });
}

/** A container's network as the review shows it. */
export function networkLabel(n: Network): string {
  if (n === 'none') return 'network: none';
  if (n === 'open') return 'network: open';
  return `network: only ${n['allow-hosts'].join(', ')}`;
}

/** The latest message per server, in the order the servers first reported. */
export function progressByServer(steps: SwitchProgress[]): { server: string; message: string; count: number }[] {
  const out = new Map<string, { server: string; message: string; count: number }>();
  for (const s of steps) {
    const cur = out.get(s.server);
    if (cur) {
      cur.message = s.message;
      cur.count += 1;
    } else out.set(s.server, { server: s.server, message: s.message, count: 1 });
  }
  return [...out.values()];
}

/** Missing secrets by name (a name several servers share is set once), in the order found. */
export function missingByName(missing: MissingSecret[]): { name: string; servers: string[]; envs: string[] }[] {
  const out = new Map<string, { name: string; servers: string[]; envs: string[] }>();
  for (const m of missing) {
    const cur = out.get(m.name) ?? { name: m.name, servers: [], envs: [] };
    if (!cur.servers.includes(m.server)) cur.servers.push(m.server);
    if (!cur.envs.includes(m.env)) cur.envs.push(m.env);
    out.set(m.name, cur);
  }
  return [...out.values()];
}

function when(unixSecs: number): string {
  return new Date(unixSecs * 1000).toLocaleString();
}

type View =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'review'; preview: ProductionPreview }
  | { kind: 'running'; preview: ProductionPreview | null; undo: boolean }
  | { kind: 'result'; outcome: SwitchOutcome; undo: boolean };

export function mountProduction(api: DocksideApi, toast?: Toaster): ProductionScreen {
  const summary = el('p', { class: 'screen-summary' }, 'Every enabled server behind the gateway; every connected client holding only gateway entries');
  const body = el('div', { class: 'production-body' });
  const element = el(
    'section',
    { class: 'screen', 'aria-labelledby': 'tab-production' },
    el('div', { class: 'screen-head' }, el('div', {}, el('h2', {}, 'Production switch'), summary)),
    body,
  );
  let view: View = { kind: 'loading' };
  let steps: SwitchProgress[] = [];
  let progressList: HTMLElement | null = null;
  /** The user ticked "replace Docker MCP Toolkit's MCP_DOCKER entry". */
  let replaceDockerGateway = false;
  let elseManaged = true;
  /** The user chose to switch although some servers' secrets are not set. */
  let withoutSecrets = false;

  function stepper(active: number, failed = false): HTMLElement {
    const names = ['Review', 'Pre-flight', 'Apply', 'Verify'];
    return el(
      'ol',
      { class: 'stepper', 'aria-label': 'Switch steps' },
      ...names.map((n, i) =>
        el(
          'li',
          { class: i < active ? 'done' : i === active ? (failed ? 'failed' : 'current') : '', 'aria-current': i === active ? 'step' : undefined },
          n,
        ),
      ),
    );
  }

  function serversTable(plan: ProductionPlan): HTMLElement {
    return el(
      'table',
      { class: 'grid plan-servers' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Server'), el('th', { scope: 'col' }, 'Now'), el('th', { scope: 'col' }, 'In production'), el('th', { scope: 'col' }, 'Why'))),
      el(
        'tbody',
        {},
        ...plan.servers.map((s) =>
          el(
            'tr',
            { 'data-server': s.name },
            el('td', { class: 'name' }, el('code', {}, s.name), s.imported ? el('span', { class: 'badge' }, 'imported') : null),
            el('td', {}, el('span', { class: `pill ${s.from === 'native' ? 'pill-native' : ''}` }, MODE_LABELS[s.from])),
            el('td', {}, el('span', { class: `pill ${s.from === s.to ? '' : 'pill-ok'}` }, MODE_LABELS[s.to]), s.image ? el('div', { class: 'subtitle' }, el('code', {}, s.image)) : null,
              s.network ? el('div', { class: 'subtitle', 'data-network': s.name }, networkLabel(s.network)) : null),
            el('td', { class: 'subtitle' }, s.reason ?? (s.from === s.to ? 'already behind the gateway' : '')),
          ),
        ),
      ),
    );
  }

  function fileCard(c: ProductionPlan['clients'][number]): HTMLElement {
    const card = el(
      'div',
      { class: 'card diff-card plan-file', 'data-client': c.key ?? c.client },
      el(
        'div',
        { class: 'plan-file-head' },
        el('div', {}, el('h3', {}, c.client), el('code', { class: 'subtitle' }, c.path)),
        el('span', { class: `pill ${c.diff ? 'pill-busy' : ''}` }, c.diff ? 'changes' : 'unchanged'),
      ),
    );
    if (c.changes?.length) card.append(el('ul', { class: 'plan-changes' }, ...c.changes.map((ch) => el('li', {}, ch))));
    if (c.userEntries?.length) card.append(el('p', { class: 'note' }, `Your own entries, left alone: ${c.userEntries.join(', ')}`));
    if (c.diff) {
      const pre = el('pre', { class: 'diff', tabindex: '0', 'aria-label': `Diff of ${c.path}` });
      for (const l of diffLines(c.diff)) pre.append(el('span', { class: `diff-${l.kind}` }, l.text), '\n');
      card.append(pre);
    }
    return card;
  }

  function planSections(plan: ProductionPlan): HTMLElement[] {
    const files = plan.clients.length
      ? plan.clients.map(fileCard)
      : [el('p', { class: 'note' }, 'No connected client: connect one on the Clients screen to have its file switched too.')];
    return [
      ...plan.warnings.map((w) => el('p', { class: 'notice' }, w)),
      el('h3', { class: 'section-title' }, 'Servers'),
      serversTable(plan),
      el('h3', { class: 'section-title' }, 'Client files'),
      ...files,
    ];
  }

  function undoCard(preview: ProductionPreview): HTMLElement {
    const undo = preview.undo;
    const back = button('Undo: back to development', { class: 'button primary', 'data-action': 'undo' });
    back.disabled = !undo || !preview.available;
    back.addEventListener('click', () => void runUndo(preview));
    return el(
      'div',
      { class: 'card switch-card' },
      el('div', { class: 'switch-card-text' }, el('span', { class: 'pill pill-ok' }, 'In production'),
        el('h3', {}, 'Every enabled server runs behind the gateway'),
        el('p', { class: 'muted' }, undo ? `Switched ${when(undo.time)}: ${plural(undo.servers, 'server')} moved, ${plural(undo.files, 'client file')} changed (switch ${undo.id}).` : 'No recorded switch to undo: change modes on the Servers screen.'),
      ),
      back,
    );
  }

  /** The checkbox for Docker MCP Toolkit's `MCP_DOCKER` entries, when a connected client has one. */
  function dockerGatewayChoice(plan: ProductionPlan): HTMLElement[] {
    const found = plan.dockerGateway ?? [];
    if (found.length === 0) return [];
    const box = el('input', { type: 'checkbox', 'data-action': 'replace-docker-gateway' });
    box.checked = replaceDockerGateway;
    box.addEventListener('change', () => {
      replaceDockerGateway = box.checked;
      void load();
    });
    const where = [...new Set(found.map((g) => g.key))].join(', ');
    return [
      el(
        'label',
        { class: 'check' },
        box,
        el('span', {}, `Replace Docker MCP Toolkit’s ${found[0]!.entry} entry (profile ${found[0]!.profile}) with Dockside’s entries in ${where}; Undo puts it back`),
      ),
    ];
  }

  /** The choice for servers that fail in docker mode: managed mode instead, or no switch. */
  function elseManagedChoice(plan: ProductionPlan): HTMLElement[] {
    if (!plan.servers.some((s) => s.to === 'docker' && s.from !== 'docker')) return [];
    const box = el('input', { type: 'checkbox', 'data-action': 'else-managed' });
    box.checked = elseManaged;
    box.addEventListener('change', () => {
      elseManaged = box.checked;
    });
    return [
      el('label', { class: 'check' }, box,
        el('span', {}, 'If a server cannot run in Docker (the pre-flight says why), run it in managed mode instead — on this machine, behind the gateway — rather than cancel the switch')),
    ];
  }

  /** The secrets to set before the switch, each with its own value field. */
  function secretsCard(preview: ProductionPreview): HTMLElement[] {
    const out: HTMLElement[] = [];
    if (preview.secretsError) out.push(el('p', { class: 'notice', 'data-note': 'secrets-error' }, `The secret store cannot be read, so missing secrets are unknown: ${preview.secretsError}`));
    const missing = missingByName(preview.missingSecrets ?? []);
    if (missing.length === 0) return out;
    const skip = el('input', { type: 'checkbox', 'data-action': 'switch-without-secrets' });
    skip.checked = withoutSecrets;
    skip.addEventListener('change', () => {
      withoutSecrets = skip.checked;
      render();
    });
    const setOne = async (name: string, value: string): Promise<string | null> => {
      try {
        await api.setSecret(name, value);
      } catch (err) {
        return errorMessage(err);
      }
      toast?.info(`Stored ${name}`);
      void load();
      return null;
    };
    out.push(
      el(
        'div',
        { class: 'card secrets-card', 'data-missing-secrets': String(missing.length) },
        el('h3', {}, `${plural(missing.length, 'secret')} to set before the switch`),
        el(
          'p',
          { class: 'muted' },
          'These servers declare secrets the store does not hold; started without them they may fail the pre-flight. Set them here (the value is stored once and never shown again), or on the ',
          el('a', { href: '#secrets', 'data-action': 'open-secrets' }, 'Secrets screen'),
          '.',
        ),
        el(
          'table',
          { class: 'grid plan-secrets' },
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Secret'), el('th', { scope: 'col' }, 'Needed by'), el('th', { scope: 'col' }, 'Value'))),
          el(
            'tbody',
            {},
            ...missing.map((m) =>
              el(
                'tr',
                { 'data-secret': m.name },
                el('td', { class: 'name' }, el('code', {}, m.name), el('div', { class: 'subtitle' }, m.envs.map((e) => `$${e}`).join(', '))),
                el('td', {}, m.servers.join(', ')),
                el('td', { class: 'secret-value' }, valueForm(m.name, setOne, null, { compact: true })),
              ),
            ),
          ),
        ),
        el('label', { class: 'check' }, skip, el('span', {}, 'Switch without them (the gateway also reads each from its own environment variable)')),
      ),
    );
    return out;
  }

  function renderReview(preview: ProductionPreview): void {
    const plan = preview.plan;
    if (preview.profile === 'production' && (!plan || planIsNoop(plan, preview.profile))) {
      summary.textContent = 'Production: everything behind the gateway';
      body.replaceChildren(undoCard(preview), ...(preview.reason ? [el('p', { class: 'notice' }, preview.reason)] : []));
      return;
    }
    const go = button('Switch', { class: 'button primary', 'data-action': 'switch' });
    const secretsMissing = (preview.missingSecrets ?? []).length > 0;
    go.disabled = !preview.available || !plan || planIsNoop(plan, preview.profile) || (secretsMissing && !withoutSecrets);
    if (secretsMissing && !withoutSecrets) go.title = 'Set the missing secrets first, or choose to switch without them';
    go.addEventListener('click', () => void runSwitch(preview));
    summary.textContent = plan ? planSummary(plan) : 'The plan cannot be made';
    const head = el(
      'div',
      { class: 'card switch-card' },
      el(
        'div',
        { class: 'switch-card-text' },
        stepper(0),
        el('p', { class: 'muted' }, 'Switch runs a pre-flight first (images, every server started in its new mode, tools compared, latency measured); only if it passes are all client files written at once, with backups. Undo puts everything back.'),
      ),
      go,
    );
    body.replaceChildren(
      ...(preview.reason ? [el('p', { class: 'notice', role: 'status' }, preview.reason)] : []),
      head,
      ...secretsCard(preview),
      ...(plan ? [...dockerGatewayChoice(plan), ...elseManagedChoice(plan), ...planSections(plan)] : []),
    );
  }

  function renderRunning(undo: boolean): void {
    progressList = el('ul', { class: 'progress-list', 'aria-live': 'polite' });
    renderProgress();
    summary.textContent = undo ? 'Going back to development…' : 'Switching to production…';
    const card = el(
      'div',
      { class: 'card switch-card running', 'aria-busy': 'true' },
      el(
        'div',
        { class: 'switch-card-text' },
        undo ? null : stepper(1),
        el('h3', {}, el('span', { class: 'spinner', 'aria-hidden': 'true' }), undo ? 'Restoring the client files and modes…' : 'Pre-flight: starting every server in its production mode…'),
        progressList,
      ),
    );
    body.replaceChildren(card);
  }

  function renderProgress(): void {
    if (!progressList) return;
    const rows = progressByServer(steps);
    progressList.replaceChildren(
      ...(rows.length
        ? rows.map((r) => el('li', { 'data-server': r.server }, el('code', {}, r.server), el('span', {}, r.message)))
        : [el('li', { class: 'muted' }, 'Waiting for the first step…')]),
    );
  }

  function preflightTable(report: PreflightReport): HTMLElement {
    return el(
      'table',
      { class: 'grid preflight' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Server'), el('th', { scope: 'col' }, 'Mode'), el('th', { scope: 'col' }, 'Tools'), el('th', { scope: 'col' }, 'Latency p50 (native → gateway)'), el('th', { scope: 'col' }, 'Check'))),
      el(
        'tbody',
        {},
        ...preflightRows(report).map((r) =>
          el(
            'tr',
            { 'data-server': r.name },
            el('td', { class: 'name' }, el('code', {}, r.name)),
            el('td', {}, r.mode),
            el('td', {}, r.tools),
            el('td', { class: 'num' }, r.latency),
            el(
              'td',
              {},
              el('span', { class: `pill ${r.ok ? 'pill-ok' : 'pill-bad'}` }, r.ok ? 'passed' : 'failed'),
              ...r.problems.map((p) => el('div', { class: 'state-detail wrap' }, p)),
              ...r.notes.map((n) => el('div', { class: 'subtitle' }, n)),
            ),
          ),
        ),
      ),
    );
  }

  function renderResult(outcome: SwitchOutcome, undo: boolean): void {
    const title = undo
      ? outcome.applied
        ? 'Back to development'
        : 'Nothing was undone'
      : outcome.ok
        ? 'Switched to production'
        : outcome.applied
          ? 'Switched, but verification found problems'
          : 'Not switched: nothing was changed';
    summary.textContent = title;
    const state = outcome.ok ? 'ok' : outcome.applied ? 'busy' : 'bad';
    const actions: HTMLElement[] = [];
    if (!undo && outcome.applied) {
      const u = button('Undo', { class: 'button primary', 'data-action': 'undo' });
      u.addEventListener('click', () => void runUndo(null));
      actions.push(u);
    }
    const again = button(undo || !outcome.applied ? 'Review again' : 'Done', { class: 'button', 'data-action': 'review' });
    again.addEventListener('click', () => void load());
    actions.push(again);
    const files = (outcome.record?.files ?? []).map((f) =>
      el('li', {}, el('code', {}, f.path), f.backup ? el('span', { class: 'subtitle' }, ` backup ${f.backup}`) : null, f.keptUserEdits?.length ? el('span', { class: 'subtitle' }, ` kept your edits: ${f.keptUserEdits.join(', ')}`) : null),
    );
    const card = el(
      'div',
      { class: `card switch-card result result-${state}`, role: 'status' },
      el(
        'div',
        { class: 'switch-card-text' },
        undo ? null : stepper(outcome.applied ? 4 : 1, !outcome.applied),
        el('h3', {}, title),
        outcome.error ? el('pre', { class: 'result-error' }, outcome.error) : null,
        ...outcome.problems.map((p) => el('p', { class: 'state-detail wrap' }, p)),
        outcome.record ? el('p', { class: 'muted' }, `${undo ? 'Restored' : 'Wrote'} ${plural(files.length, 'client file')} (switch ${outcome.record.id}).`) : null,
        files.length ? el('ul', { class: 'plan-changes' }, ...files) : null,
      ),
      el('div', { class: 'switch-actions' }, ...actions),
    );
    const sections: HTMLElement[] = [card];
    if (outcome.preflight) {
      sections.push(el('h3', { class: 'section-title' }, 'Pre-flight'), preflightTable(outcome.preflight));
      for (const p of outcome.preflight.problems) sections.push(el('p', { class: 'state-detail wrap' }, p));
    }
    body.replaceChildren(...sections);
  }

  function render(): void {
    switch (view.kind) {
      case 'loading':
        body.replaceChildren(el('p', { class: 'loading muted' }, 'Computing the plan…'));
        break;
      case 'error':
        summary.textContent = 'The plan could not be loaded';
        body.replaceChildren(el('div', { class: 'banner', role: 'alert' }, el('span', { class: 'banner-text' }, view.message)));
        break;
      case 'review':
        renderReview(view.preview);
        break;
      case 'running':
        renderRunning(view.undo);
        break;
      case 'result':
        renderResult(view.outcome, view.undo);
        break;
    }
  }

  async function runSwitch(preview: ProductionPreview): Promise<void> {
    steps = [];
    view = { kind: 'running', preview, undo: false };
    render();
    try {
      view = { kind: 'result', outcome: await api.switchProduction(replaceDockerGateway, elseManaged), undo: false };
    } catch (err) {
      view = { kind: 'result', outcome: { ok: false, applied: false, plan: null, preflight: null, record: null, problems: [], error: errorMessage(err) }, undo: false };
    }
    render();
  }

  async function runUndo(preview: ProductionPreview | null): Promise<void> {
    steps = [];
    view = { kind: 'running', preview, undo: true };
    render();
    try {
      const outcome = await api.switchDevelopment();
      view = { kind: 'result', outcome, undo: true };
      if (!outcome.applied && !outcome.error) toast?.info('Already in development: nothing to undo');
    } catch (err) {
      view = { kind: 'result', outcome: { ok: false, applied: false, plan: null, preflight: null, record: null, problems: [], error: errorMessage(err) }, undo: true };
    }
    render();
  }

  async function load(): Promise<void> {
    if (view.kind !== 'review') {
      view = { kind: 'loading' };
      render();
    }
    try {
      view = { kind: 'review', preview: await api.productionPlan(replaceDockerGateway) };
    } catch (err) {
      view = { kind: 'error', message: errorMessage(err) };
    }
    render();
  }

  function progress(step: SwitchProgress): void {
    steps.push(step);
    renderProgress();
  }

  render();
  return {
    element,
    // A running switch keeps its screen; a finished one stays until "Review again".
    refresh: async () => {
      if (view.kind === 'running' || view.kind === 'result') return;
      return load();
    },
    progress,
  };
}
