import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mountApp } from './app';
import { fakeApi, fakeEvents } from './fakeApi';

let root: HTMLElement;

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  root = document.getElementById('app')!;
  location.hash = '';
});

const SERVERS = [{ name: 'demo', title: 'Demo', mode: 'managed' as const, state: 'running' }];

describe('app shell', () => {
  it('starts on Servers and reports what it loaded', async () => {
    const app = mountApp(root, fakeApi(SERVERS), fakeEvents().events);
    expect(await app.start()).toEqual({ servers: 1, error: null });
    expect(root.querySelector('#tab-servers')?.getAttribute('aria-selected')).toBe('true');
    expect(root.querySelector('tr[data-server="demo"]')).not.toBeNull();
  });

  it('switches screens by click, arrow keys and app requests', async () => {
    const ev = fakeEvents();
    const api = fakeApi(SERVERS);
    const app = mountApp(root, api, ev.events);
    await app.start();
    root.querySelector<HTMLElement>('#tab-catalog')!.click();
    expect(root.querySelector('main h2')?.textContent).toBe('Catalog');
    await vi.waitFor(() => expect(api.catalogView).toHaveBeenCalled());
    root.querySelector('[role=tablist]')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    expect(root.querySelector('main h2')?.textContent).toBe('Clients');
    root.querySelector('[role=tablist]')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    expect(root.querySelector('main h2')?.textContent).toBe('Secrets');
    await vi.waitFor(() => expect(api.listSecrets).toHaveBeenCalled());
    expect(location.hash).toBe('#secrets');
    ev.navigate('production');
    expect(root.querySelector('main h2')?.textContent).toBe('Production switch');
    await vi.waitFor(() => expect(root.textContent).toContain('not available yet'));
    expect(location.hash).toBe('#production');
  });

  it('follows pushed rows, daemon events and the gateway state', async () => {
    const ev = fakeEvents();
    const app = mountApp(root, fakeApi(SERVERS), ev.events);
    await app.start();
    ev.daemon({ type: 'server-crashed', server: 'demo', how: 'exit 1' });
    expect(root.querySelector('tr[data-server="demo"] .pill')?.textContent).toBe('crashed');
    ev.servers([{ ...SERVERS[0]!, state: 'restarting' }]);
    expect(root.querySelector('tr[data-server="demo"] .pill')?.textContent).toBe('restarting');
    ev.gateway({ running: false, paused: true, pid: null, url: null, error: null, binary: null });
    expect(root.querySelector('.gateway')?.textContent).toBe('Gateway paused');
    expect(root.querySelector('[data-action=pause]')?.textContent).toBe('Resume');
  });

  it('pauses and resumes the gateway', async () => {
    const api = fakeApi(SERVERS);
    const app = mountApp(root, api, fakeEvents().events);
    await app.start();
    await vi.waitFor(() => expect(root.querySelector('.gateway')?.textContent).toBe('Gateway running'));
    root.querySelector<HTMLButtonElement>('[data-action=pause]')!.click();
    await vi.waitFor(() => expect(api.setPaused).toHaveBeenCalledWith(true));
    await vi.waitFor(() => expect(root.querySelector('.gateway')?.textContent).toBe('Gateway paused'));
  });

  it('saves notification and gateway preferences', async () => {
    const api = fakeApi(SERVERS);
    const app = mountApp(root, api, fakeEvents().events);
    await app.start();
    root.querySelector<HTMLButtonElement>('[data-action=prefs]')!.click();
    await vi.waitFor(() => expect(api.getPrefs).toHaveBeenCalled());
    const restarted = root.querySelector<HTMLInputElement>('input[data-kind=restarted]')!;
    await vi.waitFor(() => expect(restarted.checked).toBe(true));
    restarted.checked = false;
    root.querySelector<HTMLInputElement>('input[name=keepGatewayRunning]')!.checked = true;
    root.querySelector<HTMLInputElement>('input[name=startAtLogin]')!.checked = true;
    root.querySelector<HTMLButtonElement>('[data-action=save-prefs]')!.click();
    await vi.waitFor(() => expect(api.setPrefs).toHaveBeenCalledWith({ keepGatewayRunning: true, muted: ['restarted'], startAtLogin: true }));
  });
});
