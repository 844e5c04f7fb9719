/**
 * The Production switch review screen: what switching to production would change (servers moved
 * behind the gateway, client files rewritten), shown as a plan before anything is applied.
 * The backend that computes and applies the plan comes in a later issue: until then the app
 * answers `available: false` and this screen says so, with no made-up data.
 */
import { errorMessage, MODE_LABELS, type DocksideApi, type ProductionPlan, type ProductionPreview } from './api';
import { button, el } from './dom';
import { diffLines } from './clients';

export interface ProductionScreen {
  element: HTMLElement;
  refresh(): Promise<void>;
}

export function mountProduction(api: DocksideApi): ProductionScreen {
  const body = el('div', { class: 'production-body' });
  const element = el(
    'section',
    { class: 'screen', 'aria-labelledby': 'tab-production' },
    el(
      'div',
      { class: 'screen-head' },
      el('div', {}, el('h2', {}, 'Production switch'), el('p', { class: 'screen-summary' }, 'Every enabled server behind the gateway; every connected client holding only gateway entries')),
    ),
    body,
  );

  function steps(): HTMLElement {
    return el(
      'ol',
      { class: 'steps' },
      el('li', {}, el('strong', {}, 'Review'), el('span', {}, 'each server’s new mode and each client file’s diff')),
      el('li', {}, el('strong', {}, 'Apply'), el('span', {}, 'all client files at once, atomically, with backups')),
      el('li', {}, el('strong', {}, 'Verify'), el('span', {}, 'the gateway answers for every server')),
      el('li', {}, el('strong', {}, 'Roll back'), el('span', {}, 'in one click if anything is off')),
    );
  }

  function planView(plan: ProductionPlan): HTMLElement {
    const servers = el(
      'table',
      { class: 'grid' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Server'), el('th', { scope: 'col' }, 'Now'), el('th', { scope: 'col' }, 'In production'))),
      el(
        'tbody',
        {},
        ...plan.servers.map((s) =>
          el('tr', {}, el('td', {}, el('code', {}, s.name)), el('td', {}, MODE_LABELS[s.from]), el('td', {}, MODE_LABELS[s.to], s.reason ? el('div', { class: 'subtitle' }, s.reason) : null)),
        ),
      ),
    );
    const clients = plan.clients.map((c) => {
      const pre = el('pre', { class: 'diff', tabindex: '0' });
      for (const l of diffLines(c.diff)) pre.append(el('span', { class: `diff-${l.kind}` }, l.text), '\n');
      return el('div', { class: 'card' }, el('h3', {}, c.client), el('code', { class: 'subtitle' }, c.path), pre);
    });
    const apply = button('Apply production switch', { class: 'button primary', 'data-action': 'apply' });
    apply.disabled = true;
    return el('div', {}, ...plan.warnings.map((w) => el('p', { class: 'note' }, w)), servers, ...clients, el('div', { class: 'editor-foot' }, el('span', { class: 'spacer' }), apply));
  }

  function render(preview: ProductionPreview | null, error: string | null): void {
    if (preview?.available && preview.plan) {
      body.replaceChildren(planView(preview.plan));
      return;
    }
    const reason = error ?? preview?.reason ?? 'The production switch is not available yet.';
    const review = button('Review plan', { class: 'button primary', 'data-action': 'review' });
    review.disabled = true;
    body.replaceChildren(
      el(
        'div',
        { class: 'card unavailable', role: 'status' },
        el('div', { class: 'unavailable-badge' }, 'Not available yet'),
        el('h3', {}, 'The production switch is coming in a later version'),
        el('p', { class: 'muted' }, reason),
        steps(),
        el(
          'div',
          { class: 'plan-skeleton', 'aria-hidden': 'true' },
          el('div', { class: 'skeleton-head' }, el('span', {}, 'Servers'), el('span', {}, 'Now → production')),
          el('div', { class: 'skeleton-row' }),
          el('div', { class: 'skeleton-row' }),
          el('div', { class: 'skeleton-head' }, el('span', {}, 'Client files'), el('span', {}, 'Diff')),
          el('div', { class: 'skeleton-row' }),
        ),
        el('div', { class: 'editor-foot' }, el('span', { class: 'muted' }, 'Until then, switch servers one by one on the Servers screen.'), el('span', { class: 'spacer' }), review),
      ),
    );
  }

  async function refresh(): Promise<void> {
    try {
      render(await api.productionPlan(), null);
    } catch (err) {
      render(null, errorMessage(err));
    }
  }

  render(null, null);
  return { element, refresh };
}
