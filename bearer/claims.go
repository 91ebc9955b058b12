package bearer

import (
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
)

// The claims of a token are read on every request, beside a signature check
// that costs tens of microseconds; a reflective JSON decoder adds a few more
// and the garbage of a dozen allocations. decodeClaims reads the one shape
// an issuer like userdb writes without reflection, and leaves everything
// else to encoding/json v2, which stays the reference: a payload the fast
// path does not fully understand is decoded by jsonv2 exactly as before.
// So the fast path never accepts what jsonv2 refuses, nor reads differently
// what jsonv2 accepts (FuzzDecodeClaims compares the two).

// unmarshalClaims decodes a token's payload into c.
func unmarshalClaims(payload []byte, c *Claims) error {
	if decodeClaims(payload, c) {
		return nil
	}
	*c = Claims{}
	// encoding/json v2 (go-json-experiment): it refuses duplicate claims,
	// invalid UTF-8 and values of the wrong type, and matches names
	// exactly ("ISS" is not "iss"), as a token's claims should be read.
	return jsonv2.Unmarshal(payload, c)
}

// claim numbers the members decodeClaims knows, for its record of the ones
// seen (a name seen twice is a duplicate, which jsonv2 refuses).
const (
	claimIss = 1 << iota
	claimSub
	claimAud
	claimExp
	claimIat
	claimJTI
	claimCID
	claimScp
	claimUID
	claimRoles
	claimAccount
)

// decodeClaims reads payload into c when it is a JSON object of the known
// claims only, each named once, strings without escapes, exp and iat plain
// integers, scp and roles lists of strings, aud a string or a list of
// strings, and reports whether it did. It reports false, leaving c
// unspecified, for anything else (unknown claims, escapes, nulls, numbers
// with a fraction or an exponent, bad JSON): the caller then decodes with
// jsonv2.
//
// Every string of the claims is a substring of one copy of the payload, and
// the three lists share one array: a token costs three allocations (that
// copy, the array and the Claims the caller holds), not one per claim.
func decodeClaims(payload []byte, c *Claims) bool {
	d := decoder{s: string(payload)}
	var (
		seen  int
		items [16]span // the elements of aud, scp and roles, in order
		list  = items[:0]
		lists [3]struct {
			at, n int // where in list, how many; at < 0: absent
		}
		audOne = -1 // aud as one string: its span in list
	)
	for i := range lists {
		lists[i].at = -1
	}
	// readList reads a list of strings into list as lists[k].
	readList := func(k int) (ok bool) {
		lists[k].at = len(list)
		list, ok = d.strList(list)
		lists[k].n = len(list) - lists[k].at
		return ok
	}
	d.ws()
	if !d.eat('{') {
		return false
	}
	d.ws()
	if d.eat('}') {
		d.ws()
		*c = Claims{}
		return d.i == len(d.s)
	}
	*c = Claims{}
	for {
		name, ok := d.str()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') {
			return false
		}
		d.ws()
		bit := 0
		switch d.s[name.from:name.to] {
		case "iss":
			bit = claimIss
			c.Issuer, ok = d.strVal()
		case "sub":
			bit = claimSub
			c.Subject, ok = d.strVal()
		case "jti":
			bit = claimJTI
			c.JTI, ok = d.strVal()
		case "cid":
			bit = claimCID
			c.ClientID, ok = d.strVal()
		case "uid":
			bit = claimUID
			c.UserID, ok = d.strVal()
		case "account":
			bit = claimAccount
			c.Account, ok = d.strVal()
		case "exp":
			bit = claimExp
			c.Expiry, ok = d.int()
		case "iat":
			bit = claimIat
			c.IssuedAt, ok = d.int()
		case "aud":
			bit = claimAud
			if d.peek() == '"' {
				var one span
				one, ok = d.str()
				audOne = len(list)
				list = append(list, one)
			} else {
				ok = readList(0)
			}
		case "scp":
			bit = claimScp
			ok = readList(1)
		case "roles":
			bit = claimRoles
			ok = readList(2)
		}
		if !ok || bit == 0 || seen&bit != 0 {
			return false // a bad value, an unknown claim, or a duplicate
		}
		seen |= bit
		d.ws()
		if d.eat('}') {
			break
		}
		if !d.eat(',') {
			return false
		}
		d.ws()
	}
	d.ws()
	if d.i != len(d.s) {
		return false
	}
	if len(list) > 0 || seen&(claimAud|claimScp|claimRoles) != 0 {
		all := make([]string, len(list))
		for i, sp := range list {
			all[i] = d.s[sp.from:sp.to]
		}
		if audOne >= 0 {
			c.Audience = audience(all[audOne : audOne+1 : audOne+1])
		}
		// of returns lists[k] (nil when absent), with no room to grow into
		// the next list.
		of := func(k int) []string {
			l := lists[k]
			if l.at < 0 {
				return nil
			}
			return all[l.at : l.at+l.n : l.at+l.n]
		}
		if lists[0].at >= 0 {
			c.Audience = audience(of(0))
		}
		c.Scopes, c.Roles = of(1), of(2)
	}
	return true
}

// span is a string's place in the decoder's text, without its quotes.
type span struct{ from, to int }

// decoder reads JSON from s; i is where it stands.
type decoder struct {
	s string
	i int
}

func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *decoder) eat(b byte) bool {
	if d.i < len(d.s) && d.s[d.i] == b {
		d.i++
		return true
	}
	return false
}

// str reads a string without escapes: control characters and backslashes
// are left to jsonv2 (false), as is invalid UTF-8 (which it refuses).
func (d *decoder) str() (span, bool) {
	if !d.eat('"') {
		return span{}, false
	}
	from, ascii := d.i, true
	for d.i < len(d.s) {
		switch b := d.s[d.i]; {
		case b == '"':
			sp := span{from, d.i}
			d.i++
			return sp, ascii || utf8.ValidString(d.s[sp.from:sp.to])
		case b < 0x20 || b == '\\':
			return span{}, false
		case b >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return span{}, false
}

func (d *decoder) strVal() (string, bool) {
	sp, ok := d.str()
	return d.s[sp.from:sp.to], ok
}

// strList appends the spans of a list of strings to list.
func (d *decoder) strList(list []span) ([]span, bool) {
	if !d.eat('[') {
		return list, false
	}
	d.ws()
	if d.eat(']') {
		return list, true
	}
	for {
		sp, ok := d.str()
		if !ok {
			return list, false
		}
		list = append(list, sp)
		d.ws()
		if d.eat(']') {
			return list, true
		}
		if !d.eat(',') {
			return list, false
		}
		d.ws()
	}
}

// int reads an integer written plainly (an optional minus, no leading
// zero, no fraction or exponent) of at most 18 digits, which fits an int64.
func (d *decoder) int() (int64, bool) {
	neg := d.eat('-')
	from := d.i
	var n int64
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		n = n*10 + int64(d.s[d.i]-'0')
		d.i++
	}
	digits := d.i - from
	if digits == 0 || digits > 18 || (digits > 1 && d.s[from] == '0') {
		return 0, false
	}
	switch d.peek() {
	case '.', 'e', 'E':
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}
