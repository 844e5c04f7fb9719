// The daemon the app started, seen from outside: its control API (token and port from the
// Dockside home), its event stream, its log, and the files a mode change writes.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export class Daemon {
  constructor(home) {
    this.home = home;
    /** Every event received on /api/events since `listen()`, in order. */
    this.events = [];
  }

  get base() {
    const info = JSON.parse(readFileSync(path.join(this.home, 'daemon.json'), 'utf8'));
    return `http://127.0.0.1:${info.port}`;
  }

  get headers() {
    const token = readFileSync(path.join(this.home, 'token'), 'utf8').trim();
    return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  }

  async request(method, url, body) {
    const res = await fetch(`${this.base}${url}`, {
      method,
      headers: this.headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** Reads /api/events in the background, keeping every event (`data:` lines, parsed). */
  async listen() {
    this.abort = new AbortController();
    const res = await fetch(`${this.base}/api/events`, { headers: this.headers, signal: this.abort.signal });
    if (!res.ok) throw new Error(`/api/events: ${res.status}`);
    const decoder = new TextDecoder();
    let buffered = '';
    (async () => {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).replace(/^ /, ''))
            .join('\n');
          if (data) this.events.push(JSON.parse(data));
        }
      }
    })().catch(() => {});
  }

  close() {
    this.abort?.abort();
  }

  /** How many times the daemon's file watcher saw a change the daemon had already applied. */
  skippedReloads() {
    const log = readFileSync(path.join(this.home, 'daemon.log'), 'utf8');
    return log.split('reload skipped: the catalogs and state hold what the last reload read').length - 1;
  }
}
