// The app's tray icon, driven as a user would: `trayer` (an XEmbed tray host) holds the icon,
// xdotool clicks it and types into the menu it opens. Used by run.mjs (the four-path test).
import { execFileSync } from 'node:child_process';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const xdotool = (...args) => execFileSync('xdotool', args);

/** The centre of the window trayer embedded the app's icon in, or null. */
export function iconCenter() {
  const tree = execFileSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8' });
  for (const line of tree.split('\n')) {
    if (!line.includes('tray-icon tray app dockside')) continue;
    const m = line.match(/(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)/);
    if (m) {
      const [w, h, x, y] = m.slice(1).map(Number);
      return [x + Math.floor(w / 2), y + Math.floor(h / 2)];
    }
  }
  return null;
}

/** Opens the tray menu, then types `keys` (xdotool key names) one by one. */
async function menu(center, keys) {
  // The app rebuilds the menu when the daemon reports changes, which closes an open menu.
  await sleep(2000);
  xdotool('mousemove', String(center[0]), String(center[1]), 'click', '1');
  await sleep(800);
  for (const key of keys) {
    xdotool('key', key);
    await sleep(300);
  }
}

const MODES = ['native', 'managed', 'docker', 'off'];

/**
 * Picks `mode` for the first server of the menu (its submenu lists Native, Managed, Docker,
 * Off) until `done()` holds; a busy machine can swallow a key press while the menu opens, so it
 * retries with a fresh menu (up to three times), and only when `done()` never held.
 */
export async function pickMode(center, mode, done, log) {
  const keys = ['Down', 'Right', ...Array(MODES.indexOf(mode)).fill('Down'), 'Return'];
  for (let attempt = 1; attempt <= 3; attempt++) {
    await menu(center, keys);
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (await done()) return;
      await sleep(250);
    }
    log(`tray: ${mode} not picked yet (attempt ${attempt}); closing menus and retrying`);
    xdotool('key', 'Escape', 'Escape', 'Escape');
  }
  throw new Error(`the tray menu did not switch the server to ${mode}`);
}
