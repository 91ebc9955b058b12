// The sign-in half of Okta's "manage users in a Node app" tutorial, pointed
// at userdb and run by e2e/okta_test.go: an Express app signs users in with
// @okta/oidc-middleware against userdb's issuer, and its /profile route
// reads the signed-in user with the management SDK by the userinfo sub.
// PORT, ISSUER, CLIENT_ID, CLIENT_SECRET, ORG_URL (userdb's base URL +
// /okta) and TOKEN (a userdb API key) come from the test; it prints "ready"
// once it listens.
'use strict';
const express = require('express');
const session = require('express-session');
const { ExpressOIDC } = require('@okta/oidc-middleware');
const okta = require('@okta/okta-sdk-nodejs');

const port = Number(process.env.PORT);
const oidc = new ExpressOIDC({
  issuer: process.env.ISSUER,
  client_id: process.env.CLIENT_ID,
  client_secret: process.env.CLIENT_SECRET,
  appBaseUrl: `http://127.0.0.1:${port}`,
  scope: 'openid profile email',
  // userdb runs on plain HTTP on loopback in the test; nothing else differs.
  testing: { disableHttpsCheck: true },
});
const client = new okta.Client({ orgUrl: process.env.ORG_URL, token: process.env.TOKEN });

const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

const app = express();
app.use(session({ secret: 'e2e only, not a real secret', resave: true, saveUninitialized: false }));
app.use(oidc.router);
app.get('/profile', oidc.ensureAuthenticated(), async (req, res, next) => {
  try {
    // oidc-middleware 5 keeps the userinfo in req.userContext (req.userinfo in older majors).
    const { sub } = req.userContext.userinfo;
    const user = await client.userApi.getUser({ userId: sub });
    res.type('html').send(`<!doctype html><title>profile</title><h1>Hello ${esc(user.profile.firstName)}</h1>
<dl><dt>login</dt><dd id="login">${esc(user.profile.login)}</dd><dt>sub</dt><dd id="sub">${esc(sub)}</dd>
<dt>id</dt><dd id="id">${esc(user.id)}</dd><dt>status</dt><dd id="status">${esc(user.status)}</dd></dl>`);
  } catch (err) {
    next(err);
  }
});

oidc.on('ready', () => app.listen(port, '127.0.0.1', () => console.log('ready')));
oidc.on('error', (err) => {
  console.error(err);
  process.exit(1);
});
