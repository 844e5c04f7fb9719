#!/usr/bin/env node
// A scriptable MCP client built on the official TypeScript SDK (@modelcontextprotocol/sdk), for
// Dockside's end-to-end tests: connect to one server, run a list of steps, print ONE JSON document.
//
// Usage:
//   node mcp_client.mjs '<spec JSON>'     the spec as an argument
//   node mcp_client.mjs @path/to/spec.json
//   node mcp_client.mjs -                 the spec on stdin
//
// Spec:
//   {
//     "connect": {                                   // exactly one of `command` / `url`
//       "command": "/path/to/server", "args": ["--name", "a"],
//       "env": {"K": "V"},                           // added on top of the inherited environment
//       "inheritEnv": true,                          // default true: the server gets this
//                                                    // process's whole environment; false: only
//                                                    // the SDK's safe list (HOME, LOGNAME, PATH,
//                                                    // SHELL, TERM, USER), which it always passes
//       "cwd": "/dir",
//       "stderr": "inherit" | "ignore" | "capture",  // default "inherit"; "capture" puts the
//                                                    // server's stderr in the output's `stderr`
//       -- or --
//       "url": "http://127.0.0.1:PORT/mcp",          // Streamable HTTP
//       "headers": {"Authorization": "Bearer …"}
//     },
//     "clientInfo": {"name": "dockside-e2e", "version": "0.0.0"},  // optional
//     "sampling": true,                              // optional: declare sampling and answer each
//                                                    // sampling/createMessage with the text
//                                                    // "sampled: <the messages' text>"; the output's
//                                                    // "sampling" lists the texts asked for
//     "timeoutMs": 60000,                            // default per-request timeout
//     "steps": [ STEP, … ]
//   }
//
// Steps (every step may carry a "label", echoed in its result, and a "timeoutMs"):
//   {"op": "listTools"} {"op": "listResources"} {"op": "listResourceTemplates"} {"op": "listPrompts"}
//                                      all pages, result {"tools"|"resources"|…: [...]}
//   {"op": "callTool", "name": "echo", "arguments": {...},
//      "progress": true,               request progress (sends a progressToken); the step result
//                                      gets "progress": [{progress, total, message}, …]
//      "cancelAfterMs": 200}           abort the call after that long (sends notifications/cancelled)
//   {"op": "readResource", "uri": "demo://info"}
//   {"op": "getPrompt", "name": "greet", "arguments": {"name": "Ada"}}
//   {"op": "complete", "ref": {"type": "ref/prompt", "name": "greet"},
//      "argument": {"name": "name", "value": "A"}, "context": {"arguments": {...}}}
//   {"op": "ping"}
//   {"op": "wait", "ms": 100}          pause on the client side
//   {"op": "touch", "path": "/tmp/x"}  create that file (tells a test the steps before it are done)
//   {"op": "waitForFile", "path": "/tmp/y"}   wait (up to the step's timeoutMs) until it exists
//   {"op": "waitForNotification", "method": "notifications/tools/list_changed", "count": 1}
//                                      wait (up to the step's timeoutMs) until that many such
//                                      notifications have arrived since connecting; result
//                                      {"notification": the count-th one}
//   {"op": "parallel", "steps": [STEP, …]}   run steps concurrently; result {"results": [...]}
//   {"op": "request", "method": "tasks/get", "params": {...}}
//                                      any request, its result as the server sent it; a string
//                                      "${LABEL:a.b}" anywhere in params is the value at a.b of
//                                      the result of the earlier step labelled LABEL
//
// Output (stdout, one line of JSON):
//   {
//     "ok": true,                       connected, and every step succeeded
//     "connected": true,
//     "protocolVersion": "2025-11-25",  as negotiated in initialize
//     "server": {"name": …, "version": …}, "capabilities": {…}, "instructions": "…",
//     "sessionId": "…",                 Streamable HTTP only, when the server assigned one
//     "results": [ {"op", "label"?, "ok": true, "ms", "result": {…}, "progress"?: […]}
//                | {"op", "label"?, "ok": false, "ms", "error": {"name", "message", "code"?, "data"?}} ],
//     "notifications": [ {"method", "params"} … ],   everything else the server sent (list_changed, logs…)
//     "closed": false,                  whether the transport closed before the client closed it
//     "stderr": "…",                    only with "stderr": "capture"
//     "error": {…}                      only when the spec was bad or the connection failed
//   }
// Exit code: 0 when connected (even if steps failed: read "ok" / each result's "ok"),
// 1 when the connection or the spec failed, 2 for usage errors.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateMessageRequestSchema, ResultSchema } from '@modelcontextprotocol/sdk/types.js';

const USAGE = "usage: node mcp_client.mjs '<spec JSON>' | @spec.json | -   (see the comment at the top)";

function readSpec(argv) {
  const arg = argv[2];
  if (arg === undefined || arg === '-h' || arg === '--help' || argv.length > 3) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const text = arg === '-' ? readFileSync(0, 'utf8') : arg.startsWith('@') ? readFileSync(arg.slice(1), 'utf8') : arg;
  return JSON.parse(text);
}

function errorJson(error) {
  if (error === null || typeof error !== 'object') return { name: 'Error', message: String(error) };
  const out = { name: error.name ?? 'Error', message: error.message ?? String(error) };
  if (error.code !== undefined) out.code = error.code;
  if (error.data !== undefined) out.data = error.data;
  return out;
}

function environment(connect) {
  const inherit = connect.inheritEnv ?? true;
  if (typeof inherit !== 'boolean') throw new Error('connect.inheritEnv must be true or false');
  // The SDK adds getDefaultEnvironment() under whatever we pass.
  const base = inherit ? { ...process.env } : getDefaultEnvironment();
  return { ...base, ...(connect.env ?? {}) };
}

function makeTransport(connect, capture) {
  if (!connect || typeof connect !== 'object') throw new Error('spec.connect is required: {"command": …} or {"url": …}');
  if (connect.command !== undefined && connect.url !== undefined) throw new Error('spec.connect takes `command` or `url`, not both');
  if (connect.command !== undefined) {
    const stderrMode = connect.stderr ?? 'inherit';
    if (!['inherit', 'ignore', 'capture'].includes(stderrMode)) {
      throw new Error(`connect.stderr must be "inherit", "ignore" or "capture", not ${JSON.stringify(stderrMode)}`);
    }
    const transport = new StdioClientTransport({
      command: connect.command,
      args: connect.args ?? [],
      env: environment(connect),
      cwd: connect.cwd,
      stderr: stderrMode === 'capture' ? 'pipe' : stderrMode,
    });
    if (stderrMode === 'capture') {
      capture.enabled = true;
      transport.stderr?.on('data', (chunk) => capture.chunks.push(chunk));
    }
    return transport;
  }
  if (connect.url !== undefined) {
    return new StreamableHTTPClientTransport(new URL(connect.url), {
      requestInit: { headers: connect.headers ?? {} },
    });
  }
  throw new Error('spec.connect needs `command` (stdio) or `url` (Streamable HTTP)');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function listAll(client, method, key, options) {
  const items = [];
  let cursor;
  for (let page = 0; page < 1000; page++) {
    const result = await client[method](cursor === undefined ? undefined : { cursor }, options);
    items.push(...(result[key] ?? []));
    cursor = result.nextCursor;
    if (cursor === undefined || cursor === null) break;
  }
  return { [key]: items };
}

// Notifications the server sent, and the steps waiting for some.
const notifications = [];
const notificationWaiters = new Set();

function recordNotification(notification) {
  notifications.push({ method: notification.method, params: notification.params });
  for (const waiter of notificationWaiters) waiter();
}

function waitForNotification(method, count, timeoutMs) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const seen = notifications.filter((n) => n.method === method);
      if (seen.length < count) return false;
      cleanup();
      resolve({ notification: seen[count - 1] });
      return true;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${count > 1 ? `${count} ` : ''}${method} notification within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      notificationWaiters.delete(check);
    };
    if (!check()) notificationWaiters.add(check);
  });
}

// Results of labelled steps, for "${LABEL:path}" references in a later request's params.
const labelled = new Map();

function resolveRefs(value) {
  if (typeof value === 'string') {
    const m = /^\$\{([^:}]+):([^}]*)\}$/.exec(value);
    if (!m) return value;
    if (!labelled.has(m[1])) throw new Error(`no earlier step labelled ${JSON.stringify(m[1])}`);
    return m[2].split('.').filter(Boolean).reduce((v, k) => v?.[k], labelled.get(m[1]));
  }
  if (Array.isArray(value)) return value.map(resolveRefs);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v)]));
  }
  return value;
}

async function runStep(client, step, defaults) {
  const started = performance.now();
  const out = { op: step?.op };
  if (step?.label !== undefined) out.label = step.label;
  const options = { timeout: step?.timeoutMs ?? defaults.timeoutMs };
  try {
    switch (step?.op) {
      case 'listTools':
        out.result = await listAll(client, 'listTools', 'tools', options);
        break;
      case 'listResources':
        out.result = await listAll(client, 'listResources', 'resources', options);
        break;
      case 'listResourceTemplates':
        out.result = await listAll(client, 'listResourceTemplates', 'resourceTemplates', options);
        break;
      case 'listPrompts':
        out.result = await listAll(client, 'listPrompts', 'prompts', options);
        break;
      case 'callTool': {
        if (step.progress) {
          out.progress = [];
          options.onprogress = (p) => out.progress.push(p);
          options.resetTimeoutOnProgress = true;
        }
        let timer;
        if (step.cancelAfterMs !== undefined) {
          const controller = new AbortController();
          options.signal = controller.signal;
          timer = setTimeout(() => controller.abort(new Error(`cancelled by the client after ${step.cancelAfterMs} ms`)), step.cancelAfterMs);
        }
        try {
          out.result = await client.callTool({ name: step.name, arguments: step.arguments ?? {} }, CallToolResultSchema, options);
        } finally {
          clearTimeout(timer);
        }
        break;
      }
      case 'readResource':
        out.result = await client.readResource({ uri: step.uri }, options);
        break;
      case 'getPrompt':
        out.result = await client.getPrompt({ name: step.name, arguments: step.arguments ?? {} }, options);
        break;
      case 'complete': {
        const params = { ref: step.ref, argument: step.argument };
        if (step.context !== undefined) params.context = step.context;
        out.result = await client.complete(params, options);
        break;
      }
      case 'ping':
        out.result = await client.ping(options);
        break;
      case 'wait':
        await sleep(step.ms ?? 0);
        out.result = {};
        break;
      case 'touch':
        writeFileSync(step.path, '');
        out.result = {};
        break;
      case 'waitForFile': {
        const deadline = performance.now() + options.timeout;
        while (!existsSync(step.path)) {
          if (performance.now() > deadline) throw new Error(`${step.path} did not appear within ${options.timeout} ms`);
          await sleep(20);
        }
        out.result = {};
        break;
      }
      case 'waitForNotification':
        if (typeof step.method !== 'string') throw new Error('waitForNotification needs a `method`');
        out.result = await waitForNotification(step.method, step.count ?? 1, options.timeout);
        break;
      case 'request': {
        if (typeof step.method !== 'string') throw new Error('request needs a `method`');
        const request = { method: step.method };
        if (step.params !== undefined) request.params = resolveRefs(step.params);
        out.result = await client.request(request, ResultSchema, options);
        break;
      }
      case 'parallel': {
        const results = await Promise.all((step.steps ?? []).map((inner) => runStep(client, inner, defaults)));
        out.result = { results };
        if (results.some((r) => !r.ok)) throw new Error('one or more parallel steps failed');
        break;
      }
      default:
        throw new Error(`unknown step op ${JSON.stringify(step?.op)}`);
    }
    out.ok = true;
    if (step.label !== undefined) labelled.set(step.label, out.result);
  } catch (error) {
    out.ok = false;
    out.error = errorJson(error);
  }
  out.ms = Math.round((performance.now() - started) * 1000) / 1000;
  return out;
}

async function main() {
  const doc = { ok: false, connected: false, results: [], notifications, closed: false };
  const capture = { enabled: false, chunks: [] };
  let client;
  let closing = false;
  let exitCode = 0;
  try {
    let spec;
    try {
      spec = readSpec(process.argv);
    } catch (error) {
      throw Object.assign(new Error(`bad spec: ${error.message}`), { name: 'SpecError' });
    }
    const defaults = { timeoutMs: spec.timeoutMs ?? 60000 };
    const transport = makeTransport(spec.connect, capture);
    const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
    transport.setProtocolVersion = (version) => {
      doc.protocolVersion = version;
      setProtocolVersion?.(version);
    };
    client = new Client(spec.clientInfo ?? { name: 'dockside-e2e', version: '0.0.0' }, {
      capabilities: spec.sampling ? { sampling: {} } : {},
    });
    if (spec.sampling) {
      doc.sampling = [];
      client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
        const text = req.params.messages.map((m) => m.content?.text ?? '').join(' ');
        doc.sampling.push(text);
        return { model: 'dockside-test-model', role: 'assistant', content: { type: 'text', text: `sampled: ${text}` } };
      });
    }
    client.fallbackNotificationHandler = async (notification) => recordNotification(notification);
    client.onclose = () => {
      if (!closing) doc.closed = true;
    };
    await client.connect(transport, { timeout: defaults.timeoutMs });
    doc.connected = true;
    doc.server = client.getServerVersion();
    doc.capabilities = client.getServerCapabilities();
    const instructions = client.getInstructions();
    if (instructions !== undefined) doc.instructions = instructions;
    if (transport.sessionId !== undefined) doc.sessionId = transport.sessionId;

    for (const step of spec.steps ?? []) {
      doc.results.push(await runStep(client, step, defaults));
    }
    doc.ok = doc.results.every((r) => r.ok);
  } catch (error) {
    doc.error = errorJson(error);
    exitCode = 1;
  } finally {
    closing = true;
    try {
      await client?.close();
    } catch {
      // Closing a connection that already failed: nothing more to report.
    }
  }
  if (capture.enabled) doc.stderr = Buffer.concat(capture.chunks).toString('utf8');
  process.stdout.write(`${JSON.stringify(doc)}\n`, () => process.exit(exitCode));
}

main();
