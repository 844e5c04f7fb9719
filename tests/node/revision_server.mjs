#!/usr/bin/env node
// One stdio MCP server, the same tools in both protocol eras, for the revision-bridging tests
// (tests/e2e/revisions.rs).
//
//   node revision_server.mjs legacy   speaks only 2025-11-25 (@modelcontextprotocol/sdk 1.x)
//   node revision_server.mjs modern   speaks only 2026-07-28 (@modelcontextprotocol/server 2.x,
//                                     `serveStdio(…, {legacy: 'reject'})`: an `initialize` is
//                                     answered with the unsupported-protocol-version error)
//
// Tools:
//   echo {text}       → text
//   ask {question}    → elicits a string `answer` from the client (form mode), → "answer: <value>"
//                       (declined or cancelled: "ask: <action>")
//   sample {prompt}   → asks the client to sample (sampling/createMessage), → the sampled text
//   grow              → registers the tool `grown` (→ "grown"), so the server announces
//                       notifications/tools/list_changed; → "grew"
//
// Legacy reaches the client with real server→client requests; modern returns
// `resultType: "input_required"` and reads the client's retry (`inputResponses`).
// Diagnostics go to stderr, prefixed with "revision_server <mode>:".

import * as z from 'zod';

const MODE = process.argv[2];
const NAME = `revision-${MODE}`;
const VERSION = '1.0.0';
const log = (...args) => console.error(`revision_server ${MODE}:`, ...args);

const text = (value) => ({ content: [{ type: 'text', text: value }] });
const schemas = {
    echo: z.object({ text: z.string() }),
    ask: z.object({ question: z.string() }),
    sample: z.object({ prompt: z.string() }),
    grow: z.object({})
};
const descriptions = {
    echo: 'Returns its text',
    ask: 'Asks the client (elicitation) for an answer',
    sample: 'Asks the client to sample a message',
    grow: 'Registers the tool `grown` (tools list_changed)'
};
// Shared request bodies, so the two eras ask the client exactly the same thing.
const elicitation = (question) => ({
    mode: 'form',
    message: question,
    requestedSchema: {
        type: 'object',
        properties: { answer: { type: 'string', description: 'The answer' } },
        required: ['answer']
    }
});
const sampling = (prompt) => ({
    messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
    maxTokens: 50
});
const answerText = (action, content) =>
    action === 'accept' ? `answer: ${content?.answer}` : `ask: ${action}`;
const sampledText = (result) =>
    result?.content?.type === 'text' ? result.content.text : `sample: unexpected ${JSON.stringify(result)}`;

/// Registers the four tools; `ask` and `sample` are era-specific.
function registerTools(server, { ask, sample }) {
    const tool = (name, cb) =>
        server.registerTool(name, { description: descriptions[name], inputSchema: schemas[name] }, cb);
    tool('echo', async ({ text: value }) => text(value));
    tool('ask', ask);
    tool('sample', sample);
    let grown = false;
    tool('grow', async () => {
        if (!grown) {
            grown = true;
            // Registering after connect makes the SDK announce tools/list_changed.
            server.registerTool('grown', { description: 'Registered by grow', inputSchema: z.object({}) }, async () =>
                text('grown')
            );
            log('registered `grown`');
        }
        return text('grew');
    });
}

async function legacy() {
    const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
    const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
    const { LATEST_PROTOCOL_VERSION } = await import('@modelcontextprotocol/sdk/types.js');
    const server = new McpServer(
        { name: NAME, version: VERSION },
        { capabilities: { tools: { listChanged: true } } }
    );
    registerTools(server, {
        ask: async ({ question }) => {
            const result = await server.server.elicitInput(elicitation(question));
            return text(answerText(result.action, result.content));
        },
        sample: async ({ prompt }) => text(sampledText(await server.server.createMessage(sampling(prompt))))
    });
    await server.connect(new StdioServerTransport());
    log(`serving ${LATEST_PROTOCOL_VERSION} and earlier over stdio`);
}

async function modern() {
    const { McpServer, inputRequired, inputResponse } = await import('@modelcontextprotocol/server');
    const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
    // The SDK's SUPPORTED_PROTOCOL_VERSIONS lists only the 2025 era (the modern list is internal);
    // 2026 entries here are offered by server/discover only.
    const modernVersions = ['2026-07-28'];
    serveStdio(
        (ctx) => {
            log(`instance for era ${ctx.era}`);
            const server = new McpServer(
                { name: NAME, version: VERSION },
                { capabilities: { tools: { listChanged: true } }, supportedProtocolVersions: modernVersions }
            );
            registerTools(server, {
                ask: async ({ question }, c) => {
                    const view = inputResponse(c.mcpReq.inputResponses, 'answer');
                    if (view.kind === 'elicit') return text(answerText(view.action, view.content));
                    return inputRequired({ inputRequests: { answer: inputRequired.elicit(elicitation(question)) } });
                },
                sample: async ({ prompt }, c) => {
                    const view = inputResponse(c.mcpReq.inputResponses, 'sampled');
                    if (view.kind === 'sampling') return text(sampledText(view.result));
                    return inputRequired({ inputRequests: { sampled: inputRequired.createMessage(sampling(prompt)) } });
                }
            });
            return server;
        },
        { legacy: 'reject', onerror: (error) => log('error:', error?.message ?? error) }
    );
    log(`serving only ${modernVersions.join(', ')} over stdio`);
}

if (MODE === 'legacy') await legacy();
else if (MODE === 'modern') await modern();
else {
    console.error('usage: node revision_server.mjs legacy|modern');
    process.exit(2);
}
