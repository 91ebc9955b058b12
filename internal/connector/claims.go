package connector

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/userdb/userdb"
)

// mapClaims reads an identity out of a provider's claims through the claim
// map; empty names take the standard OpenID Connect claims. A name with
// dots reaches into nested objects ("address.country").
func mapClaims(claims map[string]any, m userdb.ClaimMap) (*Identity, error) {
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	id := &Identity{
		Subject:   text(lookup(claims, or(m.Subject, "sub"))),
		Email:     strings.TrimSpace(text(lookup(claims, or(m.Email, "email")))),
		Username:  text(lookup(claims, or(m.Username, "preferred_username"))),
		GivenName: text(lookup(claims, or(m.GivenName, "given_name"))),
		Surname:   text(lookup(claims, or(m.Surname, "family_name"))),
		Name:      text(lookup(claims, or(m.Name, "name"))),
		Groups:    list(lookup(claims, or(m.Groups, "groups"))),
	}
	id.EmailVerified = truth(lookup(claims, or(m.EmailVerified, "email_verified")))
	if id.Subject == "" {
		return nil, fail(BadToken, "", fmt.Errorf("the claim %q (subject) is missing", or(m.Subject, "sub")))
	}
	for attr, claim := range m.Attributes {
		if v := lookup(claims, claim); v != nil {
			if id.Attributes == nil {
				id.Attributes = map[string]any{}
			}
			id.Attributes[attr] = v
		}
	}
	return id, nil
}

// lookup returns the claim at a dotted path, or nil.
func lookup(claims map[string]any, path string) any {
	if v, ok := claims[path]; ok {
		return v
	}
	var cur any = claims
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// text renders a claim as a string: numbers (GitHub's ids) without an
// exponent, nothing for objects.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// truth reads a boolean claim; some providers send "true" as a string.
func truth(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// list reads a groups claim: a list of strings, or one string.
func list(v any) []string {
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s := text(x); s != "" {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	case string:
		if v != "" {
			return []string{v}
		}
	}
	return nil
}
