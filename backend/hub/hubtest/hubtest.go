// Package hubtest holds what sync tests share: a TCP proxy the test cuts
// and restores, polling for a condition, and signing a forged event.
package hubtest

import (
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"grantbook/backend/changelog"
)

// Sign signs e with key as the change log does: Ed25519 over the JSON of
// the event with sig empty (changelog's canonical bytes). For forgeries.
func Sign(key ed25519.PrivateKey, e changelog.Event) changelog.Event {
	e.Sig = nil
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	e.Sig = ed25519.Sign(key, b)
	return e
}

// CutProxy is a TCP proxy the test controls: Cut drops every connection
// and refuses new ones until Restore.
type CutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func NewCutProxy(t testing.TB, target string) *CutProxy {
	p, err := StartCutProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// StartCutProxy is NewCutProxy outside a test (bench/sync); Close stops it.
func StartCutProxy(target string) (*CutProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &CutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	return p, nil
}

// Close stops listening and drops every connection.
func (p *CutProxy) Close() { p.ln.Close(); p.Cut() }

func (p *CutProxy) Addr() string { return p.ln.Addr().String() }

func (p *CutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close(); c.Close() }()
		go func() { io.Copy(c, up); up.Close(); c.Close() }()
	}
}

func (p *CutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

func (p *CutProxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// WaitFor polls cond (a condition, not a fixed sleep) until it holds or
// the deadline passes.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
