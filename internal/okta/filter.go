package okta

import (
	"fmt"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

// Okta's filter and search expressions, such as
//
//	status eq "ACTIVE" and profile.lastName eq "Smith"
//	lastUpdated gt "2026-03-01T00:00:00.000Z"
//	profile.email sw "ada"
//
// are parsed into the store's userdb.UserFilter, whose every field is a
// whitelisted condition: nothing of an expression ever becomes SQL text.
// Conditions are joined by "and"; "or", "not", parentheses and "pr" are
// refused. A filter (Okta's filter=) takes eq, and gt/ge/lt/le on
// lastUpdated; a search (search=) also takes sw on the profile's text
// attributes and the comparisons on created and lastLogin.

// maxExpression bounds an expression's length and its conditions.
const (
	maxExpression = 2048
	maxConditions = 16
)

type token struct {
	text   string
	quoted bool
}

// tokenize splits an expression into words and quoted strings (with \" and
// \\ escapes inside).
func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("a quoted value is not closed")
			}
			out = append(out, token{text: b.String(), quoted: true})
		case c == '(' || c == ')':
			return nil, fmt.Errorf("parentheses are not supported")
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '"' && s[j] != '(' && s[j] != ')' {
				j++
			}
			out = append(out, token{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

// condition is one "attribute op value" of an expression.
type condition struct {
	attr, op, value string
}

// parseExpression reads conditions joined by "and".
func parseExpression(s string) ([]condition, error) {
	if len(s) > maxExpression {
		return nil, fmt.Errorf("the expression is longer than %d characters", maxExpression)
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("the expression is empty")
	}
	var out []condition
	for i := 0; ; {
		if i+3 > len(toks) {
			return nil, fmt.Errorf("expected an attribute, an operator and a quoted value")
		}
		a, op, v := toks[i], toks[i+1], toks[i+2]
		if a.quoted || op.quoted {
			return nil, fmt.Errorf("expected an attribute and an operator before %q", v.text)
		}
		if strings.EqualFold(op.text, "pr") {
			return nil, fmt.Errorf("the operator pr is not supported")
		}
		if !v.quoted {
			return nil, fmt.Errorf("the value of %s must be quoted", a.text)
		}
		out = append(out, condition{attr: a.text, op: strings.ToLower(op.text), value: v.text})
		if len(out) > maxConditions {
			return nil, fmt.Errorf("at most %d conditions", maxConditions)
		}
		i += 3
		if i == len(toks) {
			return out, nil
		}
		switch conj := strings.ToLower(toks[i].text); {
		case toks[i].quoted:
			return nil, fmt.Errorf("unexpected %q", toks[i].text)
		case conj == "and":
			i++
		case conj == "or" || conj == "not":
			return nil, fmt.Errorf("the operator %s is not supported; join conditions with and", conj)
		default:
			return nil, fmt.Errorf("unexpected %q; join conditions with and", conj)
		}
	}
}

// profileMatches maps the profile's text attributes to the store's fields.
var profileMatches = map[string]string{
	"profile.login":     userdb.MatchUsername,
	"profile.email":     userdb.MatchEmail,
	"profile.firstName": userdb.MatchGivenName,
	"profile.lastName":  userdb.MatchSurname,
}

// applyExpression adds the conditions of a filter (search false) or a
// search expression to f. Its errors are Okta's E0000031.
func applyExpression(f *userdb.UserFilter, expr string, search bool) error {
	conds, err := parseExpression(expr)
	if err != nil {
		return errSearch(err.Error())
	}
	var statuses []string
	for _, c := range conds {
		if field, ok := profileMatches[c.attr]; ok {
			switch {
			case c.op == "sw" && search && c.value == "":
				return errSearch(c.attr + " sw needs a value")
			case c.op == "eq", c.op == "sw" && search:
				f.Match = append(f.Match, userdb.FieldMatch{Field: field, Prefix: c.op == "sw", Value: c.value})
				continue
			}
			return errSearch(unsupportedOp(c, search))
		}
		switch c.attr {
		case "id":
			if c.op != "eq" {
				return errSearch(unsupportedOp(c, search))
			}
			f.Match = append(f.Match, userdb.FieldMatch{Field: userdb.MatchID, Value: c.value})
		case "status":
			if c.op != "eq" {
				return errSearch(unsupportedOp(c, search))
			}
			statuses = append(statuses, c.value)
		case "lastUpdated":
			if err := timeRange(&f.UpdatedAfter, &f.UpdatedBefore, c); err != nil {
				return err
			}
		case "created", "lastLogin":
			if !search {
				return errSearch("filter does not support " + c.attr + "; use search")
			}
			after, before := &f.CreatedAfter, &f.CreatedBefore
			if c.attr == "lastLogin" {
				after, before = &f.LastLoginAfter, &f.LastLoginBefore
			}
			if err := timeRange(after, before, c); err != nil {
				return err
			}
		default:
			what := "filter"
			if search {
				what = "search"
			}
			return errSearch(what + " does not support the attribute " + quoteAttr(c.attr))
		}
	}
	if len(statuses) > 1 {
		return errSearch("a user has one status; status eq can be given once")
	}
	if len(statuses) == 1 {
		if !filterStatus(f, statuses[0]) {
			return errSearch("unknown status " + quoteAttr(statuses[0]))
		}
	}
	return nil
}

func unsupportedOp(c condition, search bool) string {
	what := "filter"
	if search {
		what = "search"
	}
	return what + " does not support " + c.attr + " " + c.op
}

func quoteAttr(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// timeRange narrows an after/before pair by one comparison. The store's
// bounds are strict; ge and le move them by a nanosecond, below the
// microsecond the store keeps, so they include the instant itself.
func timeRange(after, before **time.Time, c condition) error {
	t, err := parseTime(c.value)
	if err != nil {
		return errSearch(c.attr + " must be a time such as 2026-03-01T00:00:00.000Z")
	}
	set := func(dst **time.Time, v time.Time, later bool) {
		// Two bounds on one side: the narrower wins.
		if *dst == nil || (later && v.After(**dst)) || (!later && v.Before(**dst)) {
			*dst = &v
		}
	}
	switch c.op {
	case "gt":
		set(after, t, true)
	case "ge":
		set(after, t.Add(-time.Nanosecond), true)
	case "lt":
		set(before, t, false)
	case "le":
		set(before, t.Add(time.Nanosecond), false)
	case "eq":
		set(after, t.Add(-time.Nanosecond), true)
		set(before, t.Add(time.Nanosecond), false)
	default:
		return errSearch(c.attr + " does not support " + c.op)
	}
	return nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	return t.UTC(), nil
}
