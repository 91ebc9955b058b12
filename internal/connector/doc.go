// Package connector signs users in at upstream identity providers: a
// generic OpenID Connect connector (discovery, authorization code with
// PKCE, ID tokens verified with go-oidc), a generic OAuth 2.0 connector
// (a userinfo URL and a claim mapping), and presets for Google, Microsoft
// Entra ID, GitHub, GitLab, Apple and Facebook. A connector is data
// (userdb.Connector); Open turns it into a Connector through the factory
// of its type.
package connector
