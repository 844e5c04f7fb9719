/**
 * The dashboard shell: top bar (brand, screens, gateway status), the six screens, and the
 * toast. Wires pushed app events to the screens.
 */
import { errorMessage, type DocksideApi, type DocksideEvents, type GatewayState, type UiReport } from './api';
import { mountCatalog } from './catalog';
import { mountClients } from './clients';
import { el, icon } from './dom';
import { mountLogs } from './logs';
import { mountPrefs } from './prefs';
import { mountProduction } from './production';
import { mountSecrets } from './secrets';
import { mountServers, type Toaster } from './servers';

export const SCREENS = ['servers', 'catalog', 'clients', 'secrets', 'logs', 'production'] as const;
export type Screen = (typeof SCREENS)[number];

const LABELS: Record<Screen, string> = {
  servers: 'Servers',
  catalog: 'Catalog',
  clients: 'Clients',
  secrets: 'Secrets',
  logs: 'Logs',
  production: 'Production',
};

export function isScreen(value: unknown): value is Screen {
  return typeof value === 'string' && (SCREENS as readonly string[]).includes(value);
}

export interface App {
  /** Loads the first screen's data; resolves with what the Servers screen showed. */
  start(): Promise<UiReport>;
  show(screen: Screen): void;
}

export const LATENCY_POLL_MS = 5000;

export function mountApp(root: HTMLElement, api: DocksideApi, events: DocksideEvents): App {
  // Toast: one at a time, errors stay until dismissed, info fades.
  const toastText = el('span', { class: 'toast-text' });
  const toastClose = el('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss' }, icon('close'));
  const toastBox = el('div', { class: 'toast', role: 'status', 'aria-live': 'polite' }, toastText, toastClose);
  toastBox.hidden = true;
  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  const toast: Toaster = {
    error(message) {
      if (message === null) {
        if (toastBox.classList.contains('toast-error')) toastBox.hidden = true;
        return;
      }
      clearTimeout(toastTimer);
      toastText.textContent = message;
      toastBox.className = 'toast toast-error';
      toastBox.setAttribute('role', 'alert');
      toastBox.hidden = false;
    },
    info(message) {
      clearTimeout(toastTimer);
      toastText.textContent = message;
      toastBox.className = 'toast toast-info';
      toastBox.setAttribute('role', 'status');
      toastBox.hidden = false;
      toastTimer = setTimeout(() => (toastBox.hidden = true), 4000);
    },
  };
  toastClose.addEventListener('click', () => (toastBox.hidden = true));

  let current: Screen = 'servers';
  const logs = mountLogs(api);
  const servers = mountServers(api, toast, (server) => {
    show('logs');
    logs.filterServer(server);
  });
  const catalog = mountCatalog(api, toast, () => void servers.refresh());
  const clients = mountClients(api, toast);
  const secrets = mountSecrets(api, toast);
  const production = mountProduction(api, toast);
  const screens = { servers, catalog, clients, secrets, logs, production };

  const tabs = el('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'Screens' });
  for (const s of SCREENS) {
    tabs.append(
      el('button', { type: 'button', role: 'tab', class: 'tab', id: `tab-${s}`, 'data-screen': s, 'aria-controls': 'screen' }, LABELS[s]),
    );
  }

  const gatewayDot = el('span', { class: 'dot' });
  const gatewayText = el('span', {});
  const gatewayChip = el('span', { class: 'gateway', 'aria-live': 'polite' }, gatewayDot, gatewayText);
  const pauseButton = el('button', { type: 'button', class: 'button small', 'data-action': 'pause' }, 'Pause');
  const prefs = mountPrefs(api, toast);
  const prefsButton = el('button', { type: 'button', class: 'icon-button', 'data-action': 'prefs', 'aria-label': 'Preferences', title: 'Preferences' }, icon('gear'));
  prefsButton.addEventListener('click', () => void prefs.open());
  let gateway: GatewayState | null = null;

  const logo = icon('logo');
  logo.classList.add('logo');
  const header = el(
    'header',
    { class: 'topbar' },
    el('div', { class: 'topbar-inner' }, el('div', { class: 'brand' }, logo, el('h1', {}, 'Dockside')), tabs, el('div', { class: 'topbar-right' }, gatewayChip, pauseButton, prefsButton)),
  );
  const main = el('main', { id: 'screen', role: 'tabpanel' });
  root.replaceChildren(header, main, toastBox, prefs.dialog);

  function renderGateway(): void {
    const g = gateway;
    let text = 'Gateway: checking…';
    let kind = 'idle';
    if (g) {
      if (g.running) {
        text = 'Gateway running';
        kind = 'ok';
      } else if (g.paused) {
        text = 'Gateway paused';
      } else if (g.error) {
        text = 'Gateway not running';
        kind = 'bad';
      } else {
        text = 'Gateway starting…';
        kind = 'busy';
      }
    }
    gatewayText.textContent = text;
    gatewayChip.title = g?.error ?? g?.url ?? '';
    gatewayDot.className = `dot dot-${kind}`;
    pauseButton.textContent = g?.paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-label', g?.paused ? 'Resume the gateway' : 'Pause the gateway');
    pauseButton.disabled = g === null;
  }

  function show(screen: Screen): void {
    current = screen;
    for (const tab of tabs.querySelectorAll<HTMLButtonElement>('[role=tab]')) {
      const selected = tab.dataset.screen === screen;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    main.setAttribute('aria-labelledby', `tab-${screen}`);
    main.replaceChildren(screens[screen].element);
    if (location.hash !== `#${screen}`) history.replaceState(null, '', `#${screen}`);
    if (screen !== 'servers') void screens[screen].refresh();
  }

  tabs.addEventListener('click', (event) => {
    const tab = event.target instanceof Element ? event.target.closest<HTMLElement>('[data-screen]') : null;
    if (tab && isScreen(tab.dataset.screen)) show(tab.dataset.screen);
  });
  tabs.addEventListener('keydown', (event) => {
    const index = SCREENS.indexOf(current);
    let next: number | null = null;
    if (event.key === 'ArrowRight') next = (index + 1) % SCREENS.length;
    else if (event.key === 'ArrowLeft') next = (index + SCREENS.length - 1) % SCREENS.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = SCREENS.length - 1;
    if (next === null) return;
    event.preventDefault();
    show(SCREENS[next]!);
    tabs.querySelector<HTMLElement>(`[data-screen="${SCREENS[next]}"]`)?.focus();
  });
  pauseButton.addEventListener('click', async () => {
    try {
      gateway = await api.setPaused(!(gateway?.paused ?? false));
      renderGateway();
    } catch (err) {
      toast.error(`Could not change the gateway: ${errorMessage(err)}`);
    }
  });
  window.addEventListener('hashchange', () => {
    const s = location.hash.slice(1);
    if (isScreen(s) && s !== current) show(s);
  });

  async function pollLatency(): Promise<void> {
    if (current !== 'servers' || !gateway?.running || document.hidden) return;
    try {
      servers.setLatency(await api.latency());
    } catch {
      /* the next poll retries */
    }
  }

  async function start(): Promise<UiReport> {
    const initial = location.hash.slice(1);
    show(isScreen(initial) ? initial : 'servers');
    renderGateway();
    void events.onDaemonEvent((event) => {
      servers.applyEvent(event);
      if (event.type === 'log') logs.append({ at: event.at_ms || Date.now(), server: event.server, line: event.line });
    });
    void events.onServers((rows) => servers.setRows(rows));
    void events.onGateway((state) => {
      gateway = state;
      renderGateway();
      void pollLatency();
    });
    void events.onProductionProgress((step) => production.progress(step));
    void events.onNavigate((screen) => {
      if (isScreen(screen)) show(screen);
    });
    api
      .gatewayState()
      .then((state) => {
        gateway = state;
        renderGateway();
        void pollLatency();
      })
      .catch(() => {});
    setInterval(() => void pollLatency(), LATENCY_POLL_MS);
    const report = await servers.refresh();
    return report;
  }

  renderGateway();
  return {
    start,
    show,
  };
}
