// Verifies an access token the way Okta's tutorial API does, with Okta's own
// verifier: node verify.js ISSUER TOKEN AUDIENCE. Prints the claims and
// exits 0, or prints why not and exits 1.
'use strict';
const OktaJwtVerifier = require('@okta/jwt-verifier');

const [issuer, token, audience] = process.argv.slice(2);
// userdb in the tests answers on plain HTTP on the loopback address.
const verifier = new OktaJwtVerifier({ issuer, testing: { disableHttpsCheck: true } });
verifier.verifyAccessToken(token, audience).then(
  (jwt) => { console.log(JSON.stringify(jwt.claims)); },
  (err) => { console.error(err.message); process.exit(1); },
);
