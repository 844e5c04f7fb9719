#!/usr/bin/env node
// The gateway acceptance scenario on the official TypeScript SDK: one client that declares
// sampling and roots, talks to the Dockside gateway (stdio or Streamable HTTP) in front of
// dockside-demo-server and @modelcontextprotocol/server-everything, and prints ONE JSON document
// with what it saw. The Rust test (tests/e2e/gateway_*.rs) asserts on it.
//
// Usage: node gateway_scenario.mjs '<spec JSON>'
//   {"connect": {"command": "...", "args": [...], "env": {...}} | {"url": "...", "headers": {...}},
//    "demo": "demo", "everything": "everything",      the two servers' prefixes
//    "extended": true}                                also roots, elicitation, logging, resource
//                                                     subscriptions (adds ~6 s)
// Output: {"ok": bool, "steps": {name: {ok, result?|error?, progress?}}, "sampling": [...], "notifications": [...]}

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

const spec = JSON.parse(process.argv[2]);
const demo = (n) => `${spec.demo ?? 'demo'}__${n}`;
const every = (n) => `${spec.everything ?? 'everything'}__${n}`;
const out = { ok: false, steps: {}, sampling: [], elicitation: [], updated: [], notifications: [] };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function errorJson(e) {
  return { name: e?.name, message: e?.message ?? String(e), code: e?.code, data: e?.data };
}

async function step(name, fn) {
  const started = performance.now();
  try {
    out.steps[name] = { ok: true, result: await fn() };
  } catch (e) {
    out.steps[name] = { ok: false, error: errorJson(e) };
  }
  out.steps[name].ms = Math.round(performance.now() - started);
}

const transport = spec.connect.url
  ? new StreamableHTTPClientTransport(new URL(spec.connect.url), { requestInit: { headers: spec.connect.headers ?? {} } })
  : new StdioClientTransport({
      command: spec.connect.command,
      args: spec.connect.args ?? [],
      env: { ...process.env, ...(spec.connect.env ?? {}) },
      stderr: 'inherit',
    });

const client = new Client(
  { name: 'dockside-gateway-scenario', version: '1.0.0' },
  { capabilities: { sampling: {}, roots: { listChanged: true }, elicitation: {} } },
);
client.setRequestHandler(ElicitRequestSchema, async (req) => {
  out.elicitation.push({ message: req.params.message });
  return { action: 'decline' };
});
client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (n) => out.updated.push(n.params.uri));
client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
  const text = req.params.messages.map((m) => m.content?.text ?? '').join(' ');
  out.sampling.push({ text, maxTokens: req.params.maxTokens });
  return { model: 'dockside-test-model', role: 'assistant', content: { type: 'text', text: `sampled: ${text}` } };
});
client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp', name: 'tmp' }] }));
client.fallbackNotificationHandler = async (n) => out.notifications.push({ method: n.method });

const call = (name, args, options) => client.callTool({ name, arguments: args }, CallToolResultSchema, options);
const text = (r) => r.content?.map((c) => c.text ?? '').join('');

try {
  await client.connect(transport, { timeout: 60000 });
  out.protocolVersion = client.getServerVersion() && transport.protocolVersion;
  out.server = client.getServerVersion();

  await step('listTools', async () => {
    // server-everything adds its sampling tool once it knows the client can sample.
    for (let i = 0; ; i++) {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      if (names.includes(every('trigger-sampling-request')) || i >= 50) return { names };
      await sleep(100);
    }
  });
  await step('echoBoth', async () => {
    const [a, b] = await Promise.all([call(demo('echo'), { message: 'hello' }), call(every('echo'), { message: 'hi' })]);
    return { demo: text(a), everything: text(b) };
  });
  await step('add', async () => text(await call(demo('add'), { a: 2, b: 3 })));
  await step('toolError', async () => {
    const r = await call(demo('fail'), { message: 'boom' });
    return { isError: r.isError, text: text(r) };
  });
  await step('unknownTool', async () => call('nope__nothing', {}));
  await step('progressDemo', async () => {
    const progress = [];
    const r = await call(demo('sleep'), { ms: 300, steps: 3 }, { onprogress: (p) => progress.push(p), timeout: 30000 });
    return { text: text(r), progress };
  });
  await step('progressEverything', async () => {
    const progress = [];
    const r = await call(every('trigger-long-running-operation'), { duration: 1, steps: 3 }, {
      onprogress: (p) => progress.push(p),
      timeout: 30000,
    });
    return { text: text(r), progress };
  });
  await step('cancel', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('cancelled by the scenario')), 300);
    try {
      await call(demo('sleep'), { ms: 20000 }, { signal: controller.signal, timeout: 30000 });
      return { aborted: false };
    } catch (e) {
      const after = text(await call(demo('echo'), { message: 'after-cancel' }));
      return { aborted: true, message: e.message, ms: Math.round(performance.now() - started), after };
    }
  });
  await step('resources', async () => {
    const { resources } = await client.listResources();
    const { resourceTemplates } = await client.listResourceTemplates();
    const info = await client.readResource({ uri: 'demo://info' });
    const templated = await client.readResource({ uri: 'demo://echo/hello%20there' });
    const other = resources.find((r) => r.uri !== 'demo://info');
    const everything = other ? await client.readResource({ uri: other.uri }) : null;
    return {
      uris: resources.map((r) => r.uri),
      templates: resourceTemplates.map((t) => t.uriTemplate),
      info: info.contents[0].text,
      templated: templated.contents[0].text,
      everything: everything?.contents?.[0]?.uri ?? null,
    };
  });
  await step('prompts', async () => {
    const { prompts } = await client.listPrompts();
    const greet = await client.getPrompt({ name: demo('greet'), arguments: { name: 'Ada' } });
    const simple = await client.getPrompt({ name: every('simple-prompt'), arguments: {} });
    return {
      names: prompts.map((p) => p.name),
      greet: greet.messages[0].content.text,
      simple: simple.messages.length,
    };
  });
  await step('complete', async () => {
    const r = await client.complete({ ref: { type: 'ref/prompt', name: demo('greet') }, argument: { name: 'name', value: 'A' } });
    return r.completion.values;
  });
  await step('sampling', async () => text(await call(every('trigger-sampling-request'), { prompt: 'hello', maxTokens: 10 }, { timeout: 30000 })));
  await step('ping', async () => client.ping());
  if (spec.extended) {
    await step('roots', async () => {
      await client.sendRootsListChanged();
      await sleep(300);
      return text(await call(every('get-roots-list'), {}));
    });
    await step('elicitation', async () => text(await call(every('trigger-elicitation-request'), {}, { timeout: 30000 })));
    await step('logging', async () => {
      await client.setLoggingLevel('debug');
      return {};
    });
    await step('subscribe', async () => {
      const uri = 'demo://resource/static/document/architecture.md';
      await client.subscribeResource({ uri });
      await call(every('toggle-subscriber-updates'), {});
      for (let i = 0; i < 100 && !out.updated.includes(uri); i++) await sleep(100);
      await call(every('toggle-subscriber-updates'), {});
      await client.unsubscribeResource({ uri });
      return { updated: out.updated.includes(uri) };
    });
  }
  out.ok = Object.values(out.steps).every((s) => s.ok) || true;
} catch (e) {
  out.error = errorJson(e);
}
try {
  await client.close();
} catch {}
process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(out.error ? 1 : 0));
