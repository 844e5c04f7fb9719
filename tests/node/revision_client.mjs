#!/usr/bin/env node
// A real SDK client of one protocol era, for the revision-bridging tests (tests/e2e/revisions.rs).
//
//   node revision_client.mjs --era legacy|modern [--prefix P] [--timeout-ms N]
//        (--url URL [--token T] | --command CMD [ARGS…])
//
//   legacy: @modelcontextprotocol/sdk 1.x, speaks 2025-11-25 (initialize handshake).
//   modern: @modelcontextprotocol/client 2.x pinned to 2026-07-28
//           (`versionNegotiation: {mode: {pin: '2026-07-28'}}`: server/discover must offer it, no
//           fallback to initialize).
//
// Against a server with the tools of revision_server.mjs (names prefixed with `--prefix`, e.g.
// `rev__` through Dockside's aggregate endpoint) it:
//   lists tools; calls echo with a non-ASCII text; calls ask (the elicitation handler accepts
//   with {answer: "forty-two"}); calls sample (the sampling handler returns SAMPLED_TEXT);
//   subscribes to tools list_changed (legacy: the notification handler; modern: also
//   subscriptions/listen); calls grow and waits (event driven, bounded) for list_changed;
//   lists tools again and calls grown.
// It prints one JSON object (below) and exits 0, or prints {"ok": false, "step", "error", …}
// (everything observed so far included) and exits 1:
//   {ok, era, protocolVersion, protocolEra, server, toolsBefore, echo, ask, sample, elicitations,
//    samplings, listChanged, toolsAfter, grown, sent, received, http}
// `sent`/`received`: the JSON-RPC methods (or "result"/"error" for responses) on this client's
// own connection, in order; `http`: each HTTP request (method, MCP headers, status).

import process from 'node:process';

const ECHO_TEXT = 'héllo wörld — 日本語 🚢';
const ANSWER = 'forty-two';
const SAMPLED_TEXT = 'sampled by revision_client';
const MODERN = '2026-07-28';

function parseArgs(argv) {
    const opts = { prefix: '', timeoutMs: 20000 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
            return argv[++i];
        };
        if (a === '--era') opts.era = value();
        else if (a === '--url') opts.url = value();
        else if (a === '--token') opts.token = value();
        else if (a === '--prefix') opts.prefix = value();
        else if (a === '--timeout-ms') opts.timeoutMs = Number(value());
        else if (a === '--command') {
            opts.command = argv[i + 1];
            opts.args = argv.slice(i + 2);
            break;
        } else throw new Error(`unknown argument ${a}`);
    }
    if (opts.era !== 'legacy' && opts.era !== 'modern') throw new Error('--era legacy|modern is required');
    if (!opts.url === !opts.command) throw new Error('exactly one of --url or --command is required');
    return opts;
}

const out = { ok: false, sent: [], received: [], http: [] };
let step = 'arguments';

function finish(code) {
    process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(code));
}

function fail(error) {
    out.ok = false;
    out.step = step;
    out.error = String(error);
    if (error?.code !== undefined) out.errorCode = error.code;
    if (error?.data !== undefined) out.errorData = error.data;
    console.error(`revision_client: step ${step} failed: ${error?.stack ?? error}`);
    finish(1);
}

const describe = (m) => m.method ?? ('error' in m ? `error ${m.error?.code}` : 'result');

/// Records the JSON-RPC traffic of `transport` (keeping its class: the 2.x client probes the base
/// StdioClientTransport on a sibling process, a wrapper object would change that).
function trace(transport) {
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
        out.sent.push(describe(message));
        return send(message, options);
    };
    let handler;
    Object.defineProperty(transport, 'onmessage', {
        configurable: true,
        get: () => handler,
        set: (h) => {
            handler =
                h &&
                ((message, extra) => {
                    out.received.push(describe(message));
                    if (message.result?.protocolVersion) out.initializeVersion = message.result.protocolVersion;
                    return h(message, extra);
                });
        }
    });
    return transport;
}

/// `fetch` that records each HTTP exchange's method, MCP headers and status.
async function tracingFetch(url, init = {}) {
    const headers = new Headers(init.headers);
    const entry = { method: init.method ?? 'GET', headers: {} };
    for (const [k, v] of headers) if (k.startsWith('mcp-')) entry.headers[k] = v;
    if (typeof init.body === 'string') {
        try {
            const body = JSON.parse(init.body);
            entry.body = Array.isArray(body) ? body.map(describe) : describe(body);
        } catch {
            entry.body = 'unparsable';
        }
    }
    out.http.push(entry);
    const response = await fetch(url, init);
    entry.status = response.status;
    entry.contentType = response.headers.get('content-type');
    return response;
}

/// A promise resolved by `signal()`, rejected after `ms` with a message naming `what`.
function event(what, ms) {
    let signal;
    const promise = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
        signal = (value) => {
            clearTimeout(timer);
            resolve(value);
        };
    });
    return { promise, signal };
}

const textOf = (result) => {
    if (result?.isError) throw new Error(`tool error: ${JSON.stringify(result)}`);
    const block = result?.content?.find((c) => c.type === 'text');
    if (!block) throw new Error(`no text content in ${JSON.stringify(result)}`);
    return block.text;
};

async function legacySdk(opts) {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const types = await import('@modelcontextprotocol/sdk/types.js');
    const client = new Client(
        { name: 'revision-client-legacy', version: '1.0.0' },
        { capabilities: { elicitation: { form: {} }, sampling: {} } }
    );
    return {
        client,
        StdioClientTransport,
        StreamableHTTPClientTransport,
        onElicit: (h) => client.setRequestHandler(types.ElicitRequestSchema, h),
        onSample: (h) => client.setRequestHandler(types.CreateMessageRequestSchema, h),
        onToolsChanged: (h) => client.setNotificationHandler(types.ToolListChangedNotificationSchema, h),
        protocol: () => ({ protocolVersion: out.initializeVersion, protocolEra: 'legacy' }),
        listTools: () => client.listTools(undefined, { timeout: opts.timeoutMs }),
        subscribe: async () => undefined
    };
}

async function modernSdk(opts) {
    const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    const { StdioClientTransport } = await import('@modelcontextprotocol/client/stdio');
    const client = new Client(
        { name: 'revision-client-modern', version: '1.0.0' },
        {
            capabilities: { elicitation: { form: {} }, sampling: {} },
            versionNegotiation: { mode: { pin: MODERN } }
        }
    );
    return {
        client,
        StdioClientTransport,
        StreamableHTTPClientTransport,
        onElicit: (h) => client.setRequestHandler('elicitation/create', h),
        onSample: (h) => client.setRequestHandler('sampling/createMessage', h),
        onToolsChanged: (h) => client.setNotificationHandler('notifications/tools/list_changed', h),
        protocol: () => ({
            protocolVersion: client.getNegotiatedProtocolVersion(),
            protocolEra: client.getProtocolEra()
        }),
        // `refresh`: never answered from the response cache.
        listTools: () => client.listTools(undefined, { timeout: opts.timeoutMs, cacheMode: 'refresh' }),
        subscribe: async () => {
            const subscription = await client.listen({ toolsListChanged: true }, { timeout: opts.timeoutMs });
            out.honoredFilter = subscription.honoredFilter;
            return subscription;
        }
    };
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    out.era = opts.era;
    step = 'load SDK';
    const sdk = opts.era === 'legacy' ? await legacySdk(opts) : await modernSdk(opts);
    const { client } = sdk;
    const call = async (name, args) =>
        textOf(await client.callTool({ name: opts.prefix + name, arguments: args }, undefined, { timeout: opts.timeoutMs }));

    out.elicitations = [];
    out.samplings = [];
    sdk.onElicit(async (request) => {
        out.elicitations.push(request.params);
        return { action: 'accept', content: { answer: ANSWER } };
    });
    sdk.onSample(async (request) => {
        out.samplings.push(request.params);
        return {
            role: 'assistant',
            content: { type: 'text', text: SAMPLED_TEXT },
            model: 'revision-test-model',
            stopReason: 'endTurn'
        };
    });
    let toolsChanged = event('notifications/tools/list_changed', opts.timeoutMs);
    out.listChanged = false;
    sdk.onToolsChanged(async () => {
        out.listChanged = true;
        toolsChanged.signal();
    });

    step = 'connect';
    let transport;
    if (opts.url) {
        const headers = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
        transport = new sdk.StreamableHTTPClientTransport(new URL(opts.url), {
            requestInit: { headers },
            fetch: tracingFetch
        });
    } else {
        transport = new sdk.StdioClientTransport({
            command: opts.command,
            args: opts.args,
            env: { ...process.env },
            stderr: 'inherit'
        });
    }
    await client.connect(trace(transport), { timeout: opts.timeoutMs });
    Object.assign(out, sdk.protocol());
    out.server = client.getServerVersion();

    step = 'tools/list';
    out.toolsBefore = (await sdk.listTools()).tools.map((t) => t.name);
    const missing = ['echo', 'ask', 'sample', 'grow'].map((n) => opts.prefix + n).filter((n) => !out.toolsBefore.includes(n));
    if (missing.length) throw new Error(`tools/list lacks ${missing.join(', ')}: got ${JSON.stringify(out.toolsBefore)}`);
    step = 'echo';
    out.echo = await call('echo', { text: ECHO_TEXT });
    step = 'ask (elicitation)';
    out.ask = await call('ask', { question: 'What is the answer?' });
    step = 'sample (sampling)';
    out.sample = await call('sample', { prompt: 'Say something' });
    step = 'subscribe to tools list_changed';
    const subscription = await sdk.subscribe();
    step = 'grow';
    out.grow = await call('grow', {});
    step = 'wait for notifications/tools/list_changed';
    await toolsChanged.promise;
    step = 'tools/list after grow';
    out.toolsAfter = (await sdk.listTools()).tools.map((t) => t.name);
    if (!out.toolsAfter.includes(opts.prefix + 'grown'))
        throw new Error(`tools/list lacks ${opts.prefix}grown after grow: got ${JSON.stringify(out.toolsAfter)}`);
    step = 'grown';
    out.grown = await call('grown', {});
    step = 'close';
    await subscription?.close();
    await client.close();
    out.ok = true;
    delete out.step;
    finish(0);
}

main().catch(fail);
