package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateOAuth(t *testing.T) {
	cases := []struct {
		name string
		set  func(*OAuth)
		want string // "" for valid
	}{
		{"defaults", func(*OAuth) {}, ""},
		{"custom scopes and claims", func(o *OAuth) {
			o.Scopes = []string{"customScope", "orders:read"}
			o.Claims = []Claim{{Name: "dept", Attribute: "department"}}
		}, ""},
		{"HMAC signing", func(o *OAuth) { o.SigningAlg = "HS256" }, "oauth.signing_alg"},
		{"a built-in scope", func(o *OAuth) { o.Scopes = []string{"email"} }, "oauth.scopes"},
		{"a scope with a space", func(o *OAuth) { o.Scopes = []string{"a b"} }, "oauth.scopes"},
		{"a reserved claim", func(o *OAuth) { o.Claims = []Claim{{Name: "sub", Attribute: "x"}} }, "oauth.claims"},
		{"a claim without attribute", func(o *OAuth) { o.Claims = []Claim{{Name: "dept"}} }, "oauth.claims"},
		{"codes living long", func(o *OAuth) { o.CodeTTL = time.Hour }, "oauth.code_ttl"},
		{"a long grace", func(o *OAuth) { o.RefreshGrace = 5 * time.Minute }, "oauth.refresh_grace"},
		{"rotation shorter than tokens", func(o *OAuth) { o.KeyRotation = time.Hour }, "oauth.key_rotation"},
		{"no audience", func(o *OAuth) { o.Audience = "" }, "oauth.audience"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.set(&c.OAuth)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one about %s", err, tc.want)
			}
		})
	}
}

func TestOAuthFromEnvironment(t *testing.T) {
	c, err := Load("", func(k string) string {
		return map[string]string{"USERDB_OAUTH_SCOPES": "customScope,orders:read", "USERDB_OAUTH_ACCESS_TOKEN_TTL": "15m"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.OAuth.Scopes) != 2 || c.OAuth.Scopes[1] != "orders:read" || time.Duration(c.OAuth.AccessTokenTTL) != 15*time.Minute {
		t.Errorf("oauth from the environment: %+v", c.OAuth)
	}
}
