#!/usr/bin/env node
// Load check for the Dockside gateway's Streamable HTTP transport: N concurrent clients (each its
// own session), each making M tool calls with unique arguments, every reply checked against its
// request. Prints ONE JSON document: {"ok", "clients", "calls", "matched", "mismatched", "errors", "ms"}.
//
// Usage: node gateway_load.mjs '{"url": "...", "headers": {...}, "clients": 20, "calls": 200, "tool": "demo__echo"}'

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const spec = JSON.parse(process.argv[2]);
const clients = spec.clients ?? 20;
const calls = spec.calls ?? 200;
const tool = spec.tool ?? 'demo__echo';
const out = { ok: false, clients, calls: 0, matched: 0, mismatched: 0, errors: [], sessions: [] };
const started = performance.now();

async function worker(i) {
  const transport = new StreamableHTTPClientTransport(new URL(spec.url), { requestInit: { headers: spec.headers ?? {} } });
  const client = new Client({ name: `load-${i}`, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  out.sessions.push(transport.sessionId);
  for (let j = 0; j < calls; j++) {
    const message = `client-${i}-call-${j}-${Math.random().toString(36).slice(2)}`;
    try {
      const r = await client.callTool({ name: tool, arguments: { message } });
      out.calls++;
      if (r.content?.[0]?.text === message) out.matched++;
      else out.mismatched++;
    } catch (e) {
      out.calls++;
      if (out.errors.length < 10) out.errors.push(String(e?.message ?? e));
    }
  }
  await client.close();
}

try {
  await Promise.all(Array.from({ length: clients }, (_, i) => worker(i)));
  out.ok = out.matched === clients * calls;
} catch (e) {
  out.errors.push(String(e?.message ?? e));
}
out.ms = Math.round(performance.now() - started);
out.distinctSessions = new Set(out.sessions).size;
delete out.sessions;
process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(0));
