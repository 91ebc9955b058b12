// An upstream OpenID Provider for userdb's end-to-end tests: npm
// oidc-provider, listening on loopback, with dynamic client registration
// (each test registers the exact callback URL of the userdb it started)
// and a plain sign-in page: a login field, "Sign in" and "Cancel".
//
// Environment: OP_ACCOUNTS is a JSON object of login -> claims (sub is
// the login). It prints {"issuer": "http://127.0.0.1:PORT"} once it listens.
import http from 'node:http';
import { Provider } from 'oidc-provider';

const accounts = JSON.parse(process.env.OP_ACCOUNTS || '{}');

function page(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test OP</title></head><body>${body}</body></html>`);
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginForm(uid, error) {
  return `<h1>Sign in at the test provider</h1>${error ? `<p id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Login</label> <input id="login" name="login" autofocus>
<button type="submit" id="signin">Sign in</button></form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit" id="cancel">Cancel</button></form>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

const server = http.createServer();
server.listen(Number(process.env.OP_PORT || 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    features: { devInteractions: { enabled: false }, registration: { enabled: true } },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      groups: ['groups', 'department'],
    },
    async findAccount(ctx, id) {
      const claims = accounts[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['userdb-e2e-test-only-key'] },
    pkce: { required: () => false },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  const handle = provider.callback();

  server.on('request', async (req, res) => {
    const m = new URL(req.url, issuer).pathname.match(/^\/interaction\/([^/]+)(?:\/(login|abort))?$/);
    if (!m) return handle(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET' && !m[2]) return page(res, 200, loginForm(details.uid));
      if (req.method !== 'POST') return page(res, 405, 'method not allowed');
      const form = await readForm(req);
      if (m[2] === 'abort') {
        return provider.interactionFinished(req, res,
          { error: 'access_denied', error_description: 'The user cancelled the sign-in.' }, { mergeWithLastSubmission: false });
      }
      const login = (form.get('login') || '').trim();
      if (!accounts[login]) return page(res, 400, loginForm(details.uid, `No such login: ${login}`));
      // Sign in and consent at once: the test provider asks nothing more.
      const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res,
        { login: { accountId: login }, consent: { grantId } }, { mergeWithLastSubmission: false });
    } catch (err) {
      console.error('interaction', err);
      return page(res, 400, escape(err.message));
    }
  });
  console.log(JSON.stringify({ issuer }));
});
