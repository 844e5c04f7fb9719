/**
 * Preferences (a dialog from the top bar): start at login, keep the gateway running after Quit,
 * and which notification kinds to show. Saved by the app in `<home>/app.json` (start at login:
 * by the OS).
 */
import { NOTIFICATION_KINDS, errorMessage, type DocksideApi, type NotificationKind, type Prefs } from './api';
import { button, el } from './dom';
import type { Toaster } from './servers';

export const KIND_LABELS: Record<NotificationKind, string> = {
  crashed: 'A server crashed',
  restarted: 'A server was restarted automatically',
  'crash-loop': 'A server is in a crash loop',
  'image-pull': 'An image pull finished or failed',
  production: 'The production switch was applied or rolled back',
  gateway: 'The gateway stopped and was restarted',
  'sign-in': 'A remote server needs me to sign in',
  update: 'An update is ready to install',
};

export function mountPrefs(api: DocksideApi, toast: Toaster): { dialog: HTMLDialogElement; open(): Promise<void> } {
  let prefs: Prefs = { keepGatewayRunning: false, muted: [], startAtLogin: false };
  const login = el('input', { type: 'checkbox', name: 'startAtLogin' });
  const keep = el('input', { type: 'checkbox', name: 'keepGatewayRunning' });
  const kinds = NOTIFICATION_KINDS.map((kind) => {
    const input = el('input', { type: 'checkbox', name: `notify-${kind}`, 'data-kind': kind });
    return { kind, input, row: el('label', { class: 'check' }, input, el('span', {}, KIND_LABELS[kind])) };
  });
  const save = button('Save', { class: 'button primary', 'data-action': 'save-prefs' });
  const cancel = button('Cancel', { 'data-action': 'cancel-prefs' });
  const dialog = el(
    'dialog',
    { class: 'prefs', 'aria-labelledby': 'prefs-title' },
    el('h3', { id: 'prefs-title' }, 'Preferences'),
    el(
      'fieldset',
      { class: 'section' },
      el('legend', {}, 'Startup'),
      el('label', { class: 'check' }, login, el('span', {}, 'Start Dockside at login')),
      el('label', { class: 'check' }, keep, el('span', {}, 'Keep the gateway running after Dockside quits')),
    ),
    el('fieldset', { class: 'section' }, el('legend', {}, 'Notify me when…'), ...kinds.map((k) => k.row)),
    el('div', { class: 'dialog-foot' }, cancel, save),
  );

  async function open(): Promise<void> {
    try {
      prefs = await api.getPrefs();
    } catch (err) {
      toast.error(`Could not read the preferences: ${errorMessage(err)}`);
      return;
    }
    keep.checked = prefs.keepGatewayRunning;
    login.checked = prefs.startAtLogin;
    for (const k of kinds) k.input.checked = !prefs.muted.includes(k.kind);
    if (typeof dialog.showModal === 'function') dialog.showModal();
    else dialog.setAttribute('open', '');
  }

  function close(): void {
    if (typeof dialog.close === 'function') dialog.close();
    else dialog.removeAttribute('open');
  }

  save.addEventListener('click', async () => {
    const next: Prefs = {
      keepGatewayRunning: keep.checked,
      muted: kinds.filter((k) => !k.input.checked).map((k) => k.kind),
      startAtLogin: login.checked,
    };
    try {
      prefs = await api.setPrefs(next);
      close();
      toast.info('Preferences saved');
    } catch (err) {
      toast.error(`Could not save the preferences: ${errorMessage(err)}`);
    }
  });
  cancel.addEventListener('click', close);
  return { dialog, open };
}
