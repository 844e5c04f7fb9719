#!/usr/bin/env node
// The official TypeScript SDK client, driven like dockside-bench's own client: one session per
// target, sequential `echo` calls, targets taking turns in blocks (rotating who goes first).
//
// Usage: node ts_client.mjs SPEC.json   (dockside-bench writes the spec; scripts/bench copies this
// file next to the peers' node_modules so the SDK resolves)
// SPEC: {targets: [{id, kind: "stdio"|"http"|"sse", command, args, env, url, headers}],
//        calls, largeCalls, block, small, large, budgetMs}
// A target slower than budgetMs per phase makes fewer calls per turn (never fewer than one), so it
// stays interleaved without stretching the run.
// Prints ONE JSON document: {sdkVersion, results: {id: {small: [µs…], "64KiB": [µs…], errors} | {error}}}

import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let sdkVersion = '?';
try {
  // The package's exports map hides its package.json: read the file.
  sdkVersion = JSON.parse(readFileSync(new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url), 'utf8')).version;
} catch { /* keep "?" */ }

function transportFor(t) {
  if (t.kind === 'stdio') {
    return new StdioClientTransport({ command: t.command, args: t.args ?? [], env: { ...process.env, ...(t.env ?? {}) }, stderr: 'ignore' });
  }
  const requestInit = { headers: t.headers ?? {} };
  if (t.kind === 'http') return new StreamableHTTPClientTransport(new URL(t.url), { requestInit });
  // Legacy SSE: the GET stream needs the headers too.
  return new SSEClientTransport(new URL(t.url), {
    requestInit,
    eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers ?? {}), ...(t.headers ?? {}) } }) },
  });
}

const live = [];
const results = {};
for (const t of spec.targets) {
  try {
    const client = new Client({ name: 'dockside-bench-ts', version: '1.0.0' }, { capabilities: {} });
    await client.connect(transportFor(t));
    const { tools } = await client.listTools();
    const names = tools.map((x) => x.name);
    const tool = names.find((n) => n === 'echo') ?? names.find((n) => /(__|_|-)echo$/.test(n));
    if (!tool) throw new Error(`no echo tool among ${names.join(', ')}`);
    live.push({ id: t.id, client, tool, small: [], large: [], errors: 0, dead: false });
  } catch (e) {
    results[t.id] = { error: String(e?.message ?? e) };
  }
}

async function call(l, message) {
  const started = process.hrtime.bigint();
  const r = await l.client.callTool({ name: l.tool, arguments: { message } });
  const us = Number(process.hrtime.bigint() - started) / 1000;
  if (r.content?.[0]?.text !== message) throw new Error('echo mismatch');
  return us;
}

function quota(block, spentMs, done, roundsLeft) {
  if (!spec.budgetMs || done === 0 || roundsLeft === 0) return block;
  const perCall = spentMs / done;
  const affordable = Math.floor(Math.max(0, spec.budgetMs - spentMs) / perCall / roundsLeft);
  return Math.min(block, Math.max(1, affordable));
}

async function phase(key, message, calls, block) {
  const rounds = Math.ceil(calls / block);
  const spent = new Map();
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < live.length; k++) {
      const l = live[(round + k) % live.length];
      if (l.dead) continue;
      const n = Math.min(quota(block, spent.get(l) ?? 0, l[key].length, rounds - round), calls - l[key].length);
      const started = performance.now();
      for (let i = 0; i < n; i++) {
        try {
          l[key].push(await call(l, message));
        } catch (e) {
          l.errors++;
          if (l.errors > 10) { l.dead = true; l.lastError = String(e?.message ?? e); break; }
        }
      }
      spent.set(l, (spent.get(l) ?? 0) + performance.now() - started);
    }
  }
}

// Warm up (JIT, connections), then measure.
for (const l of live) {
  for (let i = 0; i < 100; i++) {
    try { await call(l, i % 10 === 9 ? spec.large : spec.small); } catch { l.errors++; }
  }
  l.errors = 0;
}
await phase('small', spec.small, spec.calls, spec.block);
await phase('large', spec.large, spec.largeCalls, Math.max(5, Math.floor(spec.block / 5)));

for (const l of live) {
  results[l.id] = l.dead && l.small.length === 0
    ? { error: l.lastError ?? 'failed' }
    : { small: l.small, '64KiB': l.large, errors: l.errors };
  try { await l.client.close(); } catch { /* already gone */ }
}
process.stdout.write(`${JSON.stringify({ sdkVersion, results })}\n`, () => process.exit(0));
