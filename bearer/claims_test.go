package bearer

import (
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
)

// claimsSeeds are payloads the fast decoder must read as jsonv2 does, or
// leave to it: the shapes userdb issues, and the strict cases (duplicates,
// wrong types, escapes, nulls, numbers of every form, unknown claims).
var claimsSeeds = []string{
	`{"iss":"https://id.example/oauth2/default","sub":"usr_1","aud":"api://default","exp":1780000000,"iat":1779996400,"jti":"at_1","cid":"cli_1","scp":["customScope","openid"],"uid":"usr_1","roles":["admin"],"account":"acc_1"}`,
	`{"iss":"i","sub":"c","aud":["a","api://default"],"exp":2,"iat":1,"jti":"j","cid":"c","scp":[]}`,
	` { "iss" : "i" , "scp" : [ "a" , "b" ] , "roles" : [ ] } `,
	`{}`, ` {} `, `{"scp":[],"roles":[],"aud":[]}`, `{"aud":""}`,
	`{"iss":"a","iss":"b"}`, `{"aud":"x","aud":["y"]}`, `{"exp":1,"exp":1}`,
	`{"iss":"a","ISS":"b"}`, `{"Iss":"a"}`, `{"nbf":1}`, `{"other":{"a":1,"a":2}}`, `{"x":[1,{"y":null}]}`,
	`{"exp":"1"}`, `{"exp":1.5}`, `{"exp":1e9}`, `{"exp":1.0}`, `{"exp":-0}`, `{"exp":-12}`, `{"exp":01}`,
	`{"exp":123456789012345678}`, `{"exp":1234567890123456789}`, `{"exp":99999999999999999999}`,
	`{"exp":null}`, `{"iss":null}`, `{"scp":null}`, `{"aud":null}`, `{"roles":[null]}`, `{"scp":["a",1]}`,
	`{"scp":"a"}`, `{"aud":5}`, `{"aud":{"a":1}}`, `{"iss":5}`, `{"iss":true}`,
	`{"iss":"a\"b"}`, `{"iss":"\u0061"}`, `{"\u0069ss":"a"}`, `{"iss":"a\nb"}`, "{\"iss\":\"a\tb\"}",
	`{"iss":"é"}`, "{\"iss\":\"\xff\"}", "{\"iss\":\"\xc3\"}", `{"roles":["administrateur-général"]}`,
	`{"iss":"a",}`, `{"iss":"a"`, `{"iss" "a"}`, `{"iss":"a"} x`, `{"iss":"a"}{}`, `[]`, `""`, ``, `null`,
	`{"scp":["a",]}`, `{"scp":["a" "b"]}`, `{"scp":[`, `{,}`, `{"iss":"a" , }`, "\ufeff{}",
	`{"iss":"i","sub":"s","aud":"a","exp":1,"iat":1,"jti":"j","cid":"c","scp":["a","b","c","d","e","f","g","h"],"uid":"u","roles":["r1","r2","r3","r4","r5","r6","r7","r8","r9","r10"],"account":"x"}`,
}

// reference decodes as Verify did before the fast decoder.
func reference(payload []byte) (Claims, error) {
	var c Claims
	err := jsonv2.Unmarshal(payload, &c)
	return c, err
}

// checkSame fails when the fast decoder accepts a payload jsonv2 refuses,
// or reads it differently; and when unmarshalClaims (fast path then
// jsonv2) does not answer exactly as jsonv2 alone.
func checkSame(t *testing.T, payload []byte) {
	t.Helper()
	want, werr := reference(payload)
	var fast Claims
	if decodeClaims(payload, &fast) {
		if werr != nil {
			t.Fatalf("%q: the fast decoder accepts what jsonv2 refuses (%v)", payload, werr)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%q: fast %#v, jsonv2 %#v", payload, fast, want)
		}
	}
	var got Claims
	gerr := unmarshalClaims(payload, &got)
	if (gerr != nil) != (werr != nil) || (werr == nil && !reflect.DeepEqual(got, want)) {
		t.Fatalf("%q: got %#v %v, want %#v %v", payload, got, gerr, want, werr)
	}
}

func TestDecodeClaimsAsJSONv2(t *testing.T) {
	for _, s := range claimsSeeds {
		checkSame(t, []byte(s))
	}
	// The token shapes userdb issues take the fast path.
	for _, s := range claimsSeeds[:3] {
		var c Claims
		if !decodeClaims([]byte(s), &c) {
			t.Errorf("%s: not decoded by the fast path", s)
		}
	}
}

func FuzzDecodeClaims(f *testing.F) {
	for _, s := range claimsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) { checkSame(t, payload) })
}

// BenchmarkDecodeClaims decodes the claims of a userdb access token with
// the hand-written decoder and with jsonv2, the reference (and what Verify
// used before it).
func BenchmarkDecodeClaims(b *testing.B) {
	p := []byte(claimsSeeds[0])
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c Claims
			if !decodeClaims(p, &c) {
				b.Fatal("not decoded")
			}
		}
	})
	b.Run("jsonv2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reference(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
