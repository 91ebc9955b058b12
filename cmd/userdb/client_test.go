package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestClientCommands(t *testing.T) {
	c := newCLI(t)
	c.env["USERDB_OAUTH_SCOPES"] = "customScope"
	out := c.ok("", "client", "add", "--name", "Service", "--grant", "client_credentials", "--scope", "customScope", "--json")
	var cl map[string]any
	if err := json.Unmarshal([]byte(out), &cl); err != nil || cl["secret"] == "" || cl["id"] == "" {
		t.Fatalf("add: %v %s", err, out)
	}
	id, secret := cl["id"].(string), cl["secret"].(string)
	if list := c.ok("", "client", "list"); !strings.Contains(list, id) || strings.Contains(list, secret) {
		t.Fatalf("list lacks the client or shows the secret: %s", list)
	}
	if show := c.ok("", "client", "show", id); !strings.Contains(show, "customScope") || strings.Contains(show, secret) {
		t.Fatalf("show: %s", show)
	}
	c.ok("", "client", "update", id, "--name", "Renamed", "--access-token-ttl", "15m")
	if show := c.ok("", "client", "show", id, "--json"); !strings.Contains(show, `"Renamed"`) || !strings.Contains(show, `"accessTokenTtl": 900`) {
		t.Fatalf("after update: %s", show)
	}
	rotated := c.ok("", "client", "rotate-secret", id, "--json")
	if strings.Contains(rotated, secret) || !strings.Contains(rotated, `"secret"`) {
		t.Fatalf("rotate-secret: %s", rotated)
	}
	// Bad input: exit 1 with a message, nothing made.
	if r := c.run("", "client", "add", "--name", "Web", "--grant", "authorization_code"); r.code != 1 || !strings.Contains(r.stderr, "redirect URI") {
		t.Errorf("code grant without a redirect URI: %d %s", r.code, r.stderr)
	}
	if r := c.run("", "client", "add", "--name", "X", "--grant", "password", "--redirect-uri", "https://x.example/cb"); r.code != 1 {
		t.Errorf("password grant: %d %s", r.code, r.stderr)
	}
	if r := c.run("", "client", "add", "--name", "X", "--redirect-uri", "http://evil.example/cb"); r.code != 1 {
		t.Errorf("plain http redirect URI off localhost: %d %s", r.code, r.stderr)
	}
	if r := c.run("", "client", "add", "--name", "X", "--access-token-ttl", "soon"); r.code != 2 {
		t.Errorf("a bad duration: %d", r.code)
	}
	if list := c.ok("", "client", "list", "--json"); strings.Count(list, `"id"`) != 1 {
		t.Errorf("refused commands made clients: %s", list)
	}
	c.ok("", "client", "delete", id)
	if r := c.run("", "client", "show", id); r.code != 1 {
		t.Errorf("show after delete: %d", r.code)
	}

	// A public client made confidential gets a secret, shown then; made
	// public again, it loses it.
	out = c.ok("", "client", "add", "--name", "SPA", "--type", "public", "--redirect-uri", "https://spa.example/cb", "--json")
	var pub map[string]any
	json.Unmarshal([]byte(out), &pub)
	if pub["secret"] != nil || pub["authMethod"] != "none" {
		t.Fatalf("public client: %s", out)
	}
	conf := c.ok("", "client", "update", pub["id"].(string), "--type", "confidential", "--json")
	if !strings.Contains(conf, `"secret"`) || !strings.Contains(conf, "client_secret_basic") {
		t.Errorf("made confidential: %s", conf)
	}
	back := c.ok("", "client", "update", pub["id"].(string), "--type", "public", "--json")
	if strings.Contains(back, `"secret"`) || !strings.Contains(back, `"none"`) {
		t.Errorf("made public again: %s", back)
	}

	k := c.ok("", "keys", "rotate", "--json")
	if !strings.Contains(k, `"kid"`) || !strings.Contains(k, "RS256") {
		t.Errorf("keys rotate: %s", k)
	}
}
