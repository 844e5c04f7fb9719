// An OAuth-protected MCP server on loopback, for Dockside's sign-in tests (crates/oauth).
//
// Two listeners on 127.0.0.1 (ports chosen by the system):
//   * the authorization server: `oidc-provider` with dynamic client registration, PKCE S256,
//     resource indicators (RFC 8707), refresh tokens and revocation; its login and consent pages
//     approve at once (a browser that follows redirects — curl -L — completes a sign-in), or
//     deny when the test asked for it; one client is registered by hand (`dockside-test`, secret
//     `dockside-test-client-secret`);
//   * the resource server: the official MCP TypeScript SDK (`McpServer` over stateless Streamable
//     HTTP) behind a bearer check against the authorization server's own token store, with
//     Protected Resource Metadata (RFC 9728), 401 challenges, and a 403 `insufficient_scope` for
//     the `write` tool (needs mcp:write) and the `admin` tool (needs mcp:admin, never granted).
//
// Prints one JSON line `{"issuer", "resource"}` once both listen; exits when stdin closes.
// `GET <resource origin>/test/log` returns what the authorization server saw (route and the
// parameters that matter: grant_type, resource, scope); `POST /test/deny` makes the next
// authorization end in `access_denied`.
// Env: ACCESS_TTL (seconds, default 3600).

import http from 'node:http';
import Provider, { errors } from 'oidc-provider';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

const ACCESS_TTL = Number(process.env.ACCESS_TTL || 3600);
const RESOURCE_SCOPES = 'mcp:read mcp:write';

const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

const asServer = http.createServer();
const rsServer = http.createServer();
const issuer = `http://127.0.0.1:${await listen(asServer)}`;
const rsOrigin = `http://127.0.0.1:${await listen(rsServer)}`;
const resource = `${rsOrigin}/mcp`;
const prmUrl = `${rsOrigin}/.well-known/oauth-protected-resource/mcp`;

const log = [];
let denyNext = false;

const provider = new Provider(issuer, {
  // A client registered by hand (`--client-id`): confidential, loopback redirect on any port.
  clients: [{
    client_id: 'dockside-test',
    client_secret: 'dockside-test-client-secret',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        return { scope: RESOURCE_SCOPES, audience: resource, accessTokenTTL: ACCESS_TTL, accessTokenFormat: 'opaque' };
      },
    },
  },
  // A refresh token for every client allowed the grant (the default also wants a consented
  // offline_access, which a prompt-less sign-in never gets).
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['dockside-test-cookie-key'] },
});

provider.use(async (ctx, next) => {
  await next();
  const route = ctx.oidc?.route;
  if (['authorization', 'token', 'registration', 'revocation'].includes(route)) {
    const p = ctx.oidc.params || {};
    const body = ctx.oidc.body || {};
    log.push({
      route,
      status: ctx.status,
      grant_type: p.grant_type ?? null,
      resource: p.resource ?? null,
      scope: p.scope ?? null,
      application_type: route === 'registration' ? body.application_type ?? null : null,
    });
  }
});

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (denyNext) {
    denyNext = false;
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'the user said no',
    });
  }
  if (details.prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: 'tester' } }, { mergeWithLastSubmission: false });
  }
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const providerCallback = provider.callback();
asServer.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  } else {
    providerCallback(req, res);
  }
});

// ---- the resource server -------------------------------------------------------------------

const TOOL_SCOPES = { read: 'mcp:read', write: 'mcp:write', admin: 'mcp:admin' };

function mcpServer() {
  const server = new McpServer({ name: 'oauth-test', version: '1.0.0' });
  for (const name of Object.keys(TOOL_SCOPES)) {
    server.registerTool(name, { description: `needs ${TOOL_SCOPES[name]}` }, async () => ({
      content: [{ type: 'text', text: `${name} ok` }],
    }));
  }
  return server;
}

function challenge(res, status, error, scope) {
  const parts = [`resource_metadata="${prmUrl}"`, `scope="${scope}"`];
  if (error) parts.unshift(`error="${error}"`);
  res.writeHead(status, { 'WWW-Authenticate': `Bearer ${parts.join(', ')}`, 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: error || 'unauthorized' }));
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function mcp(req, res) {
  const header = req.headers.authorization || '';
  const value = header.startsWith('Bearer ') ? header.slice(7) : null;
  const token = value && (await provider.AccessToken.find(value));
  if (!token || token.isExpired || token.aud !== resource) {
    return challenge(res, 401, value ? 'invalid_token' : null, 'mcp:read');
  }
  const text = await readBody(req);
  const body = text ? JSON.parse(text) : undefined;
  const granted = new Set((token.scope || '').split(' '));
  if (body?.method === 'tools/call') {
    const needed = TOOL_SCOPES[body.params?.name];
    if (needed && !granted.has(needed)) {
      return challenge(res, 403, 'insufficient_scope', [...granted, needed].filter(Boolean).join(' '));
    }
  }
  const server = mcpServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    transport.close();
    server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

rsServer.on('request', (req, res) => {
  const path = req.url.split('?')[0];
  if (req.method === 'GET' && path.startsWith('/.well-known/oauth-protected-resource')) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({
      resource,
      authorization_servers: [issuer],
      scopes_supported: RESOURCE_SCOPES.split(' '),
      bearer_methods_supported: ['header'],
    }));
  } else if (path === '/test/log') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(log));
  } else if (path === '/test/deny' && req.method === 'POST') {
    denyNext = true;
    res.end('ok');
  } else if (path === '/mcp') {
    mcp(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  } else {
    res.writeHead(404);
    res.end();
  }
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
console.log(JSON.stringify({ issuer, resource }));
