// Package oauth is userdb's OAuth 2.0 authorization server and OpenID
// provider, built on zitadel/oidc's op package and userdb's store: the
// issuer {base_url}/oauth2/default with Okta's endpoint layout, the
// authorization code (with PKCE), client credentials, refresh token and
// device grants, signing keys kept in the database, consent and device
// pages, and the administration of clients.
package oauth
