#!/usr/bin/env node
// A standard MCP client that is given only the gateway's URL signs in the way the MCP
// authorization spec says, with the official TypeScript SDK's OAuth support: 401 →
// protected-resource metadata → authorization-server metadata → dynamic registration →
// authorization code with PKCE → token. The browser step is automated: the consent page is
// fetched and its button "clicked" (a form POST) with DECISION (allow | deny).
//
// Usage: node gateway_sign_in.mjs URL DECISION
// Prints ONE JSON document: {unauthorizedFirst, consent: {status, title}, redirect: {...},
// tools?, accessToken?}.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const [url, decision] = process.argv.slice(2);
// Never listened on: the redirect is read from the consent's answer, as a browser would follow it.
const redirectUrl = 'http://127.0.0.1:8976/callback';
const saved = {};
const provider = {
  get redirectUrl() {
    return redirectUrl;
  },
  get clientMetadata() {
    return {
      client_name: 'Dockside e2e <client> ünïcode',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  },
  clientInformation: () => saved.client,
  saveClientInformation: (info) => (saved.client = info),
  tokens: () => saved.tokens,
  saveTokens: (tokens) => (saved.tokens = tokens),
  redirectToAuthorization: (authorizationUrl) => (saved.authorizationUrl = authorizationUrl),
  saveCodeVerifier: (verifier) => (saved.verifier = verifier),
  codeVerifier: () => saved.verifier,
};

const connect = async () => {
  const client = new Client({ name: 'dockside-e2e-sign-in', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
  return client;
};

const out = {};
const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
try {
  await new Client({ name: 'dockside-e2e-sign-in', version: '0.0.0' }).connect(transport);
  out.unauthorizedFirst = false;
} catch (error) {
  if (!(error instanceof UnauthorizedError)) throw error;
  out.unauthorizedFirst = true;
}
const page = await fetch(saved.authorizationUrl);
const html = await page.text();
out.consent = {
  status: page.status,
  title: /<h1>(.*?)<\/h1>/s.exec(html)?.[1] ?? html,
  frameOptions: page.headers.get('x-frame-options'),
};
const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(html)?.[1];
const answer = await fetch(new URL('/oauth/authorize', saved.authorizationUrl), {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ nonce, decision }),
  redirect: 'manual',
});
const location = new URL(answer.headers.get('location'));
out.redirect = {
  status: answer.status,
  to: `${location.origin}${location.pathname}`,
  params: Object.fromEntries([...location.searchParams].map(([k, v]) => [k, k === 'code' ? 'present' : v])),
};
if (decision === 'allow') {
  await transport.finishAuth(location.searchParams.get('code'));
  const client = await connect();
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  out.accessToken = saved.tokens.access_token;
  await client.close();
}
console.log(JSON.stringify(out));
