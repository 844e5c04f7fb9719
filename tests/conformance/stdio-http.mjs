#!/usr/bin/env node
// A Streamable HTTP front for an MCP server that speaks stdio, so that the conformance suite
// (which only speaks HTTP to servers) can measure `dockside gateway run` on stdio.
//
//   node stdio-http.mjs [--port N] -- COMMAND [ARG…]
//
// Listens on 127.0.0.1 (port 0: a free one), prints `listening on http://127.0.0.1:PORT/mcp` to
// stderr, and relays raw JSON-RPC lines between HTTP and COMMAND's stdin/stdout. No SDK and no MCP
// logic: every answer comes from COMMAND. What the relay itself decides is only HTTP framing:
//
// - Legacy (2025) sessions: a POST of `initialize` without an Mcp-Session-Id header (and without
//   the 2026 `_meta` protocolVersion) spawns a child for that session and issues a session id
//   (Mcp-Session-Id on the reply). Later POSTs with the id go to that child; an unknown id is 404.
//   GET with the id opens an SSE stream for messages the child sends while no POST waits; DELETE
//   kills the child.
// - 2026-07-28 stateless POSTs (anything else without a session id): one shared child. The line
//   is written as is and the reply with the same id is returned.
// - A request's reply, and the notifications/requests the child sends while it is pending, go
//   back as one SSE stream when the client accepts text/event-stream. On the stateless path, a
//   reply that is the first thing the child sends goes back as JSON when the client accepts it.
// - On the stateless path, a JSON error reply gets the HTTP status the 2026-07-28 Streamable
//   HTTP rules give its JSON-RPC code: -32601 (method not found) → 404; -32602 (invalid params),
//   -32020/-32021/-32022 (header mismatch, missing client capability, unsupported version) → 400.
//   This is the only mapping the relay does.
// - POSTs of notifications or of responses (to the child's requests) are written and answered
//   202. A `subscriptions/listen` request stays open (its notifications, tagged with its
//   subscription id, are streamed) until the client closes it.
//
// What a stdio server cannot see (Host/Origin, MCP-Protocol-Version and other HTTP headers,
// session ids, SSE event ids) is not checked here: scripts/conformance leaves the scenarios and
// checks about those out of the stdio comparison.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import readline from 'node:readline';

const argv = process.argv.slice(2);
let port = 0;
const sep = argv.indexOf('--');
if (sep < 0 || sep === argv.length - 1) {
  process.stderr.write('usage: node stdio-http.mjs [--port N] -- COMMAND [ARG…]\n');
  process.exit(2);
}
for (let i = 0; i < sep; i++) {
  if (argv[i] === '--port') port = Number(argv[++i]);
  else {
    process.stderr.write(`stdio-http: unknown option ${argv[i]}\n`);
    process.exit(2);
  }
}
const [command, ...commandArgs] = argv.slice(sep + 1);

const STATUS_FOR_CODE = { '-32601': 404, '-32602': 400, '-32020': 400, '-32021': 400, '-32022': 400 };
const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';
const SUBSCRIPTION_ID_META = 'io.modelcontextprotocol/subscriptionId';
const log = (msg) => process.stderr.write(`stdio-http: ${msg}\n`);

/** One stdio child and the HTTP exchanges waiting on it. */
class Child {
  constructor(name, stateless) {
    this.name = name;
    this.stateless = stateless;
    this.pending = new Map(); // JSON-RPC id (as JSON text) → Exchange, in arrival order
    this.getStream = null; // legacy sessions: the open GET stream
    this.exited = false;
    this.proc = spawn(command, commandArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.on('error', (e) => log(`[${name}] cannot start ${command}: ${e.message}`));
    this.proc.stdin.on('error', () => {});
    readline.createInterface({ input: this.proc.stderr }).on('line', (l) => log(`[${name}] ${l}`));
    readline.createInterface({ input: this.proc.stdout }).on('line', (l) => this.onLine(l));
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      log(`[${name}] exited (${signal ?? code})`);
      for (const ex of this.pending.values()) ex.fail(502, `stdio child ${name} exited`);
      this.pending.clear();
      this.getStream?.end();
    });
  }

  write(text) {
    this.proc.stdin.write(text + '\n');
  }

  kill() {
    if (!this.exited) this.proc.kill('SIGTERM');
  }

  onLine(line) {
    if (!line.trim()) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      log(`[${this.name}] non-JSON line on stdout: ${line.slice(0, 200)}`);
      return;
    }
    const isReply = msg && msg.id !== undefined && msg.method === undefined;
    if (isReply) {
      const key = JSON.stringify(msg.id);
      let ex = this.pending.get(key);
      if (!ex && msg.id === null) {
        // An error about a request whose id the child could not read (JSON-RPC's `id: null`):
        // it answers the one request waiting, if only one is.
        const waiting = [...this.pending.entries()].filter(([, e]) => !e.listen);
        if (waiting.length === 1) [[, ex]] = [waiting];
        if (ex) this.pending.delete(JSON.stringify(ex.id));
      } else if (ex) {
        this.pending.delete(key);
      }
      if (!ex) {
        log(`[${this.name}] reply to no pending request (id ${key}): dropped`);
        return;
      }
      ex.finish(line, msg);
      return;
    }
    // A notification or a request from the child: its listen stream, or the oldest pending
    // request, or the session's GET stream.
    const subscription = msg?.params?._meta?.[SUBSCRIPTION_ID_META];
    if (subscription !== undefined) {
      for (const ex of this.pending.values()) {
        if (ex.listen && String(ex.id) === String(subscription)) return ex.send(line);
      }
    }
    for (const ex of this.pending.values()) {
      if (!ex.listen) return ex.send(line);
    }
    if (this.getStream) return this.getStream.write(sseEvent(line));
    log(`[${this.name}] message with no stream to carry it: dropped: ${line.slice(0, 200)}`);
  }
}

const sseEvent = (line) => `event: message\ndata: ${line}\n\n`;

/** One POSTed request waiting for its reply. */
class Exchange {
  constructor(child, id, res, accept, extraHeaders, listen) {
    this.child = child;
    this.id = id;
    this.res = res;
    this.acceptsSse = accept.includes('text/event-stream');
    this.acceptsJson = accept.includes('application/json') || accept.includes('*/*') || !accept;
    this.extraHeaders = extraHeaders;
    this.listen = listen;
    this.streaming = false;
    res.on('close', () => {
      const key = JSON.stringify(id);
      if (child.pending.get(key) === this) child.pending.delete(key);
    });
  }

  startStream() {
    if (this.streaming) return;
    this.streaming = true;
    this.res.writeHead(200, {
      ...this.extraHeaders,
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive'
    });
    this.res.flushHeaders();
  }

  /** An intermediate message (notification or request) for this request's stream. */
  send(line) {
    if (!this.acceptsSse) {
      log(`[${this.child.name}] client does not accept SSE: intermediate message dropped: ${line.slice(0, 200)}`);
      return;
    }
    this.startStream();
    this.res.write(sseEvent(line));
  }

  finish(line, msg) {
    if (this.streaming) {
      this.res.end(sseEvent(line));
      return;
    }
    // Legacy sessions stream like the reference server (SSE whenever the client takes it);
    // stateless replies go back as JSON, so an error can carry its HTTP status.
    if (!this.acceptsSse || (this.child.stateless && this.acceptsJson)) {
      let status = 200;
      if (this.child.stateless && msg.error && STATUS_FOR_CODE[msg.error.code] !== undefined) {
        status = STATUS_FOR_CODE[msg.error.code];
      }
      this.res.writeHead(status, { ...this.extraHeaders, 'Content-Type': 'application/json' });
      this.res.end(line);
      return;
    }
    this.startStream();
    this.res.end(sseEvent(line));
  }

  fail(status, message) {
    if (this.streaming) return this.res.end();
    this.res.writeHead(status, { 'Content-Type': 'text/plain' });
    this.res.end(`stdio-http: ${message}\n`);
  }
}

const sessions = new Map(); // Mcp-Session-Id → Child
let statelessChild = null;
const children = new Set();

function newChild(name, stateless) {
  const child = new Child(name, stateless);
  children.add(child);
  child.proc.on('exit', () => children.delete(child));
  return child;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function plain(res, status, text, headers = {}) {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain' });
  res.end(text ? `${text}\n` : '');
}

async function handlePost(req, res) {
  const text = await readBody(req);
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    msg = undefined;
  }
  const line = text.includes('\n') && msg !== undefined ? JSON.stringify(msg) : text.trim();
  const sessionId = req.headers['mcp-session-id'];
  let child;
  let extraHeaders = {};
  if (sessionId !== undefined) {
    child = sessions.get(sessionId);
    if (!child || child.exited) return plain(res, 404, 'stdio-http: unknown session');
  } else if (msg?.method === 'initialize' && msg?.params?._meta?.[PROTOCOL_VERSION_META] === undefined) {
    const id = randomUUID();
    child = newChild(`session ${id.slice(0, 8)}`, false);
    sessions.set(id, child);
    child.proc.on('exit', () => sessions.delete(id));
    extraHeaders = { 'Mcp-Session-Id': id };
  } else {
    if (!statelessChild || statelessChild.exited) statelessChild = newChild('stateless', true);
    child = statelessChild;
  }

  const isRequest = msg && typeof msg === 'object' && msg.method !== undefined && msg.id !== undefined;
  if (msg === undefined) {
    // Not JSON: the child's answer (a parse error, id null) goes back as this POST's reply.
    const ex = new Exchange(child, null, res, String(req.headers.accept ?? ''), extraHeaders, false);
    child.pending.set(JSON.stringify(null), ex);
    child.write(text.replace(/\r?\n/g, ' '));
    return;
  }
  if (!isRequest) {
    // A notification, a response to the child's request, or something unparseable.
    // Nothing to wait on: whatever the child answers goes to whichever stream is open.
    child.write(line);
    return plain(res, 202, '', extraHeaders);
  }
  const key = JSON.stringify(msg.id);
  if (child.pending.has(key)) {
    log(`[${child.name}] request id ${key} is already pending on this child: refused`);
    return plain(res, 409, `stdio-http: request id ${key} already in flight on this stdio child`);
  }
  const ex = new Exchange(child, msg.id, res, String(req.headers.accept ?? ''), extraHeaders,
    msg.method === 'subscriptions/listen');
  child.pending.set(key, ex);
  child.write(line);
}

function handleGet(req, res) {
  const sessionId = req.headers['mcp-session-id'];
  const child = sessionId !== undefined ? sessions.get(sessionId) : undefined;
  if (sessionId === undefined) return plain(res, 405, 'stdio-http: GET needs a session', { Allow: 'POST' });
  if (!child || child.exited) return plain(res, 404, 'stdio-http: unknown session');
  if (child.getStream) return plain(res, 409, 'stdio-http: a GET stream is already open for this session');
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.flushHeaders();
  child.getStream = res;
  res.on('close', () => {
    if (child.getStream === res) child.getStream = null;
  });
}

function handleDelete(req, res) {
  const sessionId = req.headers['mcp-session-id'];
  const child = sessionId !== undefined ? sessions.get(sessionId) : undefined;
  if (sessionId === undefined) return plain(res, 400, 'stdio-http: DELETE needs a session');
  if (!child) return plain(res, 404, 'stdio-http: unknown session');
  sessions.delete(sessionId);
  child.kill();
  plain(res, 200, '');
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/mcp') return plain(res, 404, 'stdio-http: the endpoint is /mcp');
  const handle = { POST: handlePost, GET: handleGet, DELETE: handleDelete }[req.method ?? ''];
  if (!handle) return plain(res, 405, '', { Allow: 'GET, POST, DELETE' });
  Promise.resolve(handle(req, res)).catch((e) => {
    log(`${req.method} failed: ${e.stack ?? e}`);
    if (!res.headersSent) plain(res, 500, `stdio-http: ${e.message}`);
    else res.end();
  });
});

function shutdown() {
  for (const child of children) child.kill();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  log(`relaying to \`${[command, ...commandArgs].join(' ')}\` on stdio`);
  process.stderr.write(`listening on http://127.0.0.1:${a.port}/mcp\n`);
});
