package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
)

// oauthClient makes a client-credentials client through the admin API (the
// harness's super-admin key) and returns its id and secret, once per run.
func (h *harness) oauthClient(ctx context.Context) (string, string, error) {
	if h.ccID != "" {
		return h.ccID, h.ccSecret, nil
	}
	if h.apiKey == "" {
		return "", "", skipError("needs a super-admin API key: with --url, give --api-key")
	}
	body := `{"name":"bench","grantTypes":["client_credentials"],"scopes":["openid"],"defaultScopes":["openid"]}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.tgt.base+"/api/v1/clients", strings.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.apiKey)
	c := newClient(1)
	defer c.close()
	res, err := c.do(req)
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	var v struct{ ID, Secret string }
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&v); err != nil || res.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("creating an OAuth client: %d %v", res.StatusCode, err)
	}
	h.ccID, h.ccSecret = v.ID, v.Secret
	return v.ID, v.Secret, nil
}

// tokenRequest is a client-credentials token request of the bench client.
func (h *harness) tokenRequest(ctx context.Context, id, secret string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.tgt.base+"/oauth2/default/v1/token",
		strings.NewReader("grant_type=client_credentials&scope=openid"))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	return req, nil
}

// sign measures the ceiling of token issuance: RS256 signatures of a
// token's size with a 2048-bit key on every core, nothing else.
func (h *harness) sign(ctx context.Context, r *Result) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	msg := []byte(strings.Repeat("x", 400))
	conc := runtime.NumCPU()
	s := h.loop(ctx, conc, h.o.duration, http.StatusOK, func(context.Context, int, int) (int, error) {
		sum := sha256.Sum256(msg)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]); err != nil {
			return 0, err
		}
		return http.StatusOK, nil
	})
	r.fill(s, conc)
	r.Statuses, r.ServerCPUPerRequestUS = nil, 0
	r.Notes = append(r.Notes, "per s is RS256 signatures per second on every core")
	return nil
}

// oauthToken measures POST /oauth2/default/v1/token, client credentials
// with HTTP Basic: what an RS256 JWT access token costs.
func (h *harness) oauthToken(ctx context.Context, r *Result) error {
	id, secret, err := h.oauthClient(ctx)
	if err != nil {
		return err
	}
	conc := h.o.concurrencyFor(scOAuthToken)
	c := newClient(conc)
	defer c.close()
	s := h.loop(ctx, conc, h.o.duration, http.StatusOK, func(ctx context.Context, _, _ int) (int, error) {
		req, err := h.tokenRequest(ctx, id, secret)
		if err != nil {
			return 0, err
		}
		return c.send(req)
	})
	r.fill(s, conc)
	h.ratio(r, scSign)
	h.serverRatio(r, scSign)
	return nil
}

// serverRatio notes the ratio by the server's own CPU time per request,
// when the server runs as a process of its own: the load generator's share
// left out.
func (h *harness) serverRatio(r *Result, ceiling string) {
	c := h.report.result(ceiling)
	if c == nil || c.CPUPerRequestUS <= 0 || r.ServerCPUPerRequestUS <= 0 {
		return
	}
	r.Notes = append(r.Notes, fmt.Sprintf("by the server's CPU alone: %.2f of %s", c.CPUPerRequestUS/r.ServerCPUPerRequestUS, ceiling))
}

// oauthIntrospect measures POST /oauth2/default/v1/introspect of a JWT
// access token, which the server answers without reading its database.
func (h *harness) oauthIntrospect(ctx context.Context, r *Result) error {
	id, secret, err := h.oauthClient(ctx)
	if err != nil {
		return err
	}
	c := newClient(1)
	req, err := h.tokenRequest(ctx, id, secret)
	if err != nil {
		c.close()
		return err
	}
	res, err := c.do(req)
	c.close()
	if err != nil {
		return err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&tok)
	res.Body.Close()
	if tok.AccessToken == "" {
		return fmt.Errorf("no token to introspect: %d", res.StatusCode)
	}
	body := url.Values{"token": {tok.AccessToken}}.Encode()
	conc := h.o.concurrencyFor(scOAuthIntrospect)
	cc := newClient(conc)
	defer cc.close()
	s := h.loop(ctx, conc, h.o.duration, http.StatusOK, func(ctx context.Context, _, _ int) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.tgt.base+"/oauth2/default/v1/introspect", strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		return cc.send(req)
	})
	r.fill(s, conc)
	h.ratio(r, scSign)
	r.Notes = append(r.Notes, "the ratio compares with RS256 signing, the cost of issuing the token")
	return nil
}
