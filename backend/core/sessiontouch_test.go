package core_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"grantbook/backend/core"
)

// signIn opens a session for the rig's contact with a mailed code.
func (r *signinRig) signIn() *core.NewSession {
	r.t.Helper()
	nonce := core.NewNonce()
	r.request(nonce)
	r.flush()
	msgs := r.smtp.Messages()
	m := mailedCode.FindSubmatch(bytes.ReplaceAll(msgs[len(msgs)-1].Data, []byte("=\r\n"), nil))
	if m == nil {
		r.t.Fatal("no code in the mail")
	}
	s, err := r.app.VerifySignin(bg, signinEmail, string(m[1]), nonce, "test", "192.0.2.1")
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

// A session's once-a-minute touch keeps it from going idle without
// dropping it from the cache: the drop made every active session load
// again from the database a minute after its last touch, all of a
// benchmark's sessions in the same second.
func TestSessionTouchKeepsTheCachedSession(t *testing.T) {
	r := newSigninRig(t)
	s := r.signIn()
	p, err := r.app.Authenticate(bg, s.Token)
	if err != nil {
		t.Fatal(err)
	}
	id := p.Session.ID
	r.advance(2 * time.Minute)
	touched := r.now
	if _, err := r.app.Authenticate(bg, s.Token); err != nil { // queues the touch
		t.Fatal(err)
	}
	if _, _, err := r.app.Audit(bg, core.AuditFilter{Limit: 1}); err != nil { // writes what is queued
		t.Fatal(err)
	}
	if !r.app.SessionCachedForTest(id) {
		t.Error("the committed touch dropped the session from the cache")
	}
	stored, _, err := r.app.StoreForTest().SessionWithHash(bg, id)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.LastSeen.Equal(touched) {
		t.Errorf("last seen %v in the database, want the touch's %v", stored.LastSeen, touched)
	}

	// The cached session knows of the touch: idle counts from it.
	r.advance(core.SessionIdle - time.Second)
	if _, err := r.app.Authenticate(bg, s.Token); err != nil {
		t.Fatalf("%v after the last touch: %v", core.SessionIdle-time.Second, err)
	}
	r.advance(core.SessionIdle + time.Second)
	if _, err := r.app.Authenticate(bg, s.Token); !errors.Is(err, core.ErrSignedOut) {
		t.Errorf("idle for %v: %v, want signed out", core.SessionIdle+time.Second, err)
	}
}
