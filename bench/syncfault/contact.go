package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
	"grantbook/backend/web"
)

// contact is a person signed in to the hub's client area, talking to it
// over HTTP as their browser would (cookie and CSRF header).
type contact struct {
	base, token, csrf string
	c                 *http.Client
}

// signIn opens a session for c on the hub the way a verified sign-in code
// does (core's openSession: the token's SHA-256 and the contact in
// session_contacts), without the mail round trip. Sessions are never
// replicated: they stay on the hub.
func (r *rig) signIn(c *model.Contact) (*contact, error) {
	token, csrf := randomHex(), randomHex()
	sum := sha256.Sum256([]byte(token))
	now := time.Now().UTC().Truncate(time.Second)
	s := &model.Session{ContactID: c.ID, EmailKey: store.EmailKey(c.Email), CSRFToken: csrf, CreatedAt: now, LastSeen: now,
		ExpiresAt: now.Add(24 * time.Hour), UserAgent: "bench/syncfault", RemoteAddr: "127.0.0.1"}
	err := r.hub.Store().Tx(r.ctx, func(tx *store.Tx) error { return tx.InsertSession(r.ctx, s, sum[:], []int64{c.ID}) })
	if err != nil {
		return nil, err
	}
	return &contact{base: r.srv.URL, token: token, csrf: csrf, c: &http.Client{Timeout: 30 * time.Second}}, nil
}

func randomHex() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// do sends one request; out (if not nil) gets the JSON answer of a 2xx.
func (p *contact) do(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: p.token})
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", p.csrf)
	}
	res, err := p.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	// Into a buffer used again: the contact's client runs in this process
	// beside both servers, and io.ReadAll's fresh buffers for a 5 MB list
	// (about 10 MB allocated and cleared a GET) were most of the process's
	// garbage, so the servers' GETs paid for the client's collections.
	buf := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return res.StatusCode, err
	}
	b := buf.Bytes()
	if res.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %w: %.200s", method, path, err, b)
		}
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %.300s", method, path, res.StatusCode, b)
	}
	return res.StatusCode, nil
}

var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// get times one client-area GET; ok is a 200.
func (p *contact) get(path string) (time.Duration, int, error) {
	t0 := time.Now()
	st, err := p.do("GET", path, nil, nil)
	return time.Since(t0), st, err
}
