// Three apps on userdb's OAuth provider, none of whose OAuth code is ours:
//   - an Express API protected by @okta/jwt-verifier (Okta's tutorial),
//   - a web app signing in with openid-client (a certified relying party),
//   - a web app signing in with express-openid-connect (Auth0's tutorial).
// Settings come from the environment (see e2e/oidc_apps_test.go); it prints
// "ready" once all three listen on the loopback address.
'use strict';
const crypto = require('node:crypto');
const express = require('express');
const OktaJwtVerifier = require('@okta/jwt-verifier');
const { auth, requiresAuth } = require('express-openid-connect');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const issuer = env('ISSUER');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// describe says what went wrong, with the OAuth error the server sent.
const describe = (err) => [err.message, err.error, err.error_description, err.cause && err.cause.message]
  .filter(Boolean).join(': ');
const page = (title, body) => `<!doctype html><title>${esc(title)}</title><h1>${esc(title)}</h1>${body}`;

function listen(app, port) {
  return new Promise((resolve, reject) => {
    const srv = app.listen(port, '127.0.0.1', () => resolve(srv));
    srv.on('error', reject);
  });
}

// The API of Okta's "client credentials" tutorial.
function api() {
  const verifier = new OktaJwtVerifier({ issuer, testing: { disableHttpsCheck: true } });
  const app = express();
  app.get('/api/messages', async (req, res) => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
    if (!m) return res.status(401).json({ error: 'no token' });
    try {
      const jwt = await verifier.verifyAccessToken(m[1], 'api://default');
      if (!(jwt.claims.scp || []).includes('customScope')) return res.status(403).json({ error: 'no customScope' });
      res.json({ messages: ['hello from the API'], client: jwt.claims.cid });
    } catch (err) {
      res.status(401).json({ error: err.message });
    }
  });
  return listen(app, Number(env('API_PORT')));
}

// A web app on openid-client: authorization code with PKCE, the ID token
// validated, userinfo, a refresh, and RP-initiated logout.
async function openidClientApp() {
  const client = await import('openid-client');
  const base = env('RP1_BASE');
  const config = await client.discovery(new URL(issuer), env('RP1_ID'), env('RP1_SECRET'), undefined,
    { execute: [client.allowInsecureRequests] });
  const pending = new Map(); // state -> PKCE verifier and nonce
  let lastIDToken = '';
  const app = express();
  app.get('/login', async (req, res) => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    pending.set(state, { verifier, nonce });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${base}/callback`, scope: 'openid profile email offline_access', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    res.redirect(url.href);
  });
  app.get('/callback', async (req, res) => {
    const p = pending.get(req.query.state);
    pending.delete(req.query.state);
    try {
      if (!p) throw new Error('unknown state');
      const tokens = await client.authorizationCodeGrant(config, new URL(req.originalUrl, base),
        { pkceCodeVerifier: p.verifier, expectedState: req.query.state, expectedNonce: p.nonce });
      const claims = tokens.claims();
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      lastIDToken = refreshed.id_token || tokens.id_token;
      const result = { sub: claims.sub, email: claims.email, amr: claims.amr, userinfo,
        refreshed: Boolean(refreshed.access_token && refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token) };
      res.send(page(`Signed in as ${claims.email}`, `<pre id="result">${esc(JSON.stringify(result))}</pre><a href="/logout">Log out</a>`));
    } catch (err) {
      res.status(500).send(page('Sign-in failed', `<pre id="result">${esc(describe(err))}</pre>`));
    }
  });
  app.get('/logout', (req, res) => {
    res.redirect(client.buildEndSessionUrl(config, { id_token_hint: lastIDToken, post_logout_redirect_uri: `${base}/bye` }).href);
  });
  app.get('/bye', (req, res) => res.send(page('Signed out of the openid-client app', '')));
  return listen(app, Number(env('RP1_PORT')));
}

// A web app on express-openid-connect, as in Auth0's Universal Login
// tutorial: auth() and requiresAuth().
function expressOIDCApp() {
  const base = env('RP2_BASE');
  const app = express();
  app.use(auth({
    issuerBaseURL: issuer, baseURL: base, clientID: env('RP2_ID'), clientSecret: env('RP2_SECRET'),
    secret: crypto.randomBytes(32).toString('hex'), authRequired: false, idpLogout: true,
    authorizationParams: { response_type: 'code', response_mode: 'query', scope: 'openid profile email offline_access' },
  }));
  app.get('/', (req, res) => res.send(page(req.oidc.isAuthenticated() ? 'Logged in' : 'Logged out', '')));
  app.get('/profile', requiresAuth(), async (req, res) => {
    try {
      const userinfo = await req.oidc.fetchUserInfo();
      let refreshed = false;
      if (req.query.refresh) {
        const before = req.oidc.accessToken.access_token;
        const fresh = await req.oidc.accessToken.refresh();
        refreshed = Boolean(fresh.access_token && fresh.access_token !== before);
      }
      const result = { user: req.oidc.user, userinfo, refreshed };
      res.send(page(`Hello ${req.oidc.user.email}`, `<pre id="result">${esc(JSON.stringify(result))}</pre>`));
    } catch (err) {
      res.status(500).send(page('Profile failed', `<pre id="result">${esc(describe(err))}</pre>`));
    }
  });
  return listen(app, Number(env('RP2_PORT')));
}

Promise.all([api(), openidClientApp(), expressOIDCApp()]).then(
  () => console.log('ready'),
  (err) => { console.error(err); process.exit(1); },
);
