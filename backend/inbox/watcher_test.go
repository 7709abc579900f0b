package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"grantbook/backend/inbox"
	"grantbook/backend/mail"
	"grantbook/backend/mailtest"
)

// processor is an in-memory inbox.Processor: it keeps the cursor and
// records what it was given.
type processor struct {
	mu       sync.Mutex
	cursors  map[string][2]uint32
	seen     []processed
	fail     func(uid uint32) error // Process fails when it returns an error
	changed  chan struct{}
	invitees []string
}

type processed struct {
	mailbox     string
	uidValidity uint32
	uid         uint32
	raw         []byte
}

func newProcessor() *processor {
	return &processor{cursors: map[string][2]uint32{}, changed: make(chan struct{}, 1)}
}

func (p *processor) Cursor(_ context.Context, mailbox string) (uint32, uint32, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.cursors[mailbox]
	return c[0], c[1], ok, nil
}

func (p *processor) SetCursor(_ context.Context, mailbox string, uidValidity, lastUID uint32) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cursors[mailbox] = [2]uint32{uidValidity, lastUID}
	return nil
}

func (p *processor) Process(_ context.Context, mailbox string, uidValidity, uid uint32, raw []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		if err := p.fail(uid); err != nil {
			return err
		}
	}
	// Like the real one: handle the message and move the cursor together.
	p.seen = append(p.seen, processed{mailbox, uidValidity, uid, bytes.Clone(raw)})
	p.cursors[mailbox] = [2]uint32{uidValidity, uid}
	return nil
}

func (p *processor) Watch(context.Context) (inbox.Watch, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return inbox.Watch{Since: time.Now().Add(-time.Hour), Invitees: slices.Clone(p.invitees)}, nil
}

func (p *processor) cursor(mailbox string) (uint32, uint32, bool) {
	v, l, ok, _ := p.Cursor(context.Background(), mailbox)
	return v, l, ok
}

func (p *processor) uids() []uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []uint32
	for _, s := range p.seen {
		out = append(out, s.uid)
	}
	return out
}

func (p *processor) all() []processed {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// msg builds a small message; related ones answer an invitation's
// Message-ID or use a plus address, as invitation replies do.
func msg(n int, to, body string, extra ...string) []byte {
	return fmt.Appendf(nil, "From: Sender %d <sender%d@client.test>\r\nTo: %s\r\nSubject: Message %d\r\n"+
		"Message-ID: <m%d@client.test>\r\nDate: Mon, 04 May 2026 10:00:00 +0000\r\n%s"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", n, n, to, n, n, strings.Join(extra, ""), body)
}

func related(n int) []byte {
	return msg(n, "owner@example.test", "Yes please.\r\n\r\n> Invitation code: abc\r\n> (sent with Grantbook)",
		"In-Reply-To: <grantbook.abcdefghijklmnopqrstuvwxyz@example.test>\r\n")
}

func plusAddressed(n int) []byte {
	return msg(n, "Owner <owner+abcdefghijklmnopqrstuvwxyz@example.test>", "Sure.")
}

func unrelated(n int) []byte {
	return msg(n, "owner@example.test", "Lunch on Friday?")
}

type watch struct {
	t       *testing.T
	w       *inbox.Watcher
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

// start runs a watcher on srv's INBOX until the test ends (or stop).
func start(t *testing.T, srv *mailtest.IMAP, p inbox.Processor, tune func(*inbox.Watcher)) *watch {
	t.Helper()
	w := &inbox.Watcher{
		Settings:  func(context.Context) (mail.IMAP, error) { return srv.Settings(), nil },
		Processor: p,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if tune != nil {
		tune(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wt := &watch{t: t, w: w, cancel: cancel, done: make(chan struct{})}
	go func() { w.Run(ctx); close(wt.done) }()
	t.Cleanup(wt.stop)
	return wt
}

func (wt *watch) stop() {
	if wt.stopped {
		return
	}
	wt.stopped = true
	wt.cancel()
	select {
	case <-wt.done:
	case <-time.After(5 * time.Second):
		wt.t.Error("watcher did not stop after its context ended")
	}
}

// waitFor polls cond every few milliseconds until it holds or timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func (wt *watch) waitState(state string, timeout time.Duration) {
	wt.t.Helper()
	waitFor(wt.t, timeout, "state "+state, func() bool { return wt.w.Status().State == state })
}

func waitCursor(t *testing.T, p *processor, validity, last uint32) {
	t.Helper()
	waitFor(t, 3*time.Second, fmt.Sprintf("cursor (%d, %d)", validity, last), func() bool {
		v, l, ok := p.cursor("INBOX")
		return ok && v == validity && l == last
	})
}

func TestCatchUpProcessesCandidatesOnly(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	raws := [][]byte{related(1), unrelated(2), plusAddressed(3),
		msg(4, "x@example.test", "ignore me"),
		msg(5, "x@example.test\r\nCc: Owner <owner+tok@example.test>", "cc'd to a plus address"),
		unrelated(6),
		msg(7, "owner@example.test", "--x\r\n", "Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n"),
		[]byte(strings.Replace(string(msg(8, "owner@example.test", "Your message could not be delivered")),
			"From: Sender 8 <sender8@client.test>", "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>", 1)),
		msg(9, "owner@example.test", "Re: it\r\n", "References: <a@b.test> <grantbook.tok@example.test>\r\n"),
		// Only the body mentions Grantbook: header searches do not see it
		// (the trade-off documented at candidates).
		msg(10, "owner@example.test", "Invitation code: abcdefghijklmnopqrstuvwxyz (sent with Grantbook)"),
		unrelated(11)}
	for _, r := range raws {
		srv.Append(r)
	}
	p := newProcessor()
	wt := start(t, srv, p, nil)
	validity := srv.UIDValidity("INBOX")
	waitCursor(t, p, validity, 11) // past the unrelated tail
	if got := p.uids(); !slices.Equal(got, []uint32{1, 3, 5, 7, 8, 9}) {
		t.Fatalf("processed UIDs %v, want [1 3 5 7 8 9]", got)
	}
	for _, s := range p.all() {
		if s.mailbox != "INBOX" || s.uidValidity != validity || !bytes.Equal(s.raw, raws[s.uid-1]) {
			t.Errorf("UID %d: mailbox %q validity %d, raw bytes equal %v", s.uid, s.mailbox, s.uidValidity, bytes.Equal(s.raw, raws[s.uid-1]))
		}
	}
	wt.waitState("idle", 2*time.Second)
	if st := wt.w.Status(); st.Mode != "idle" || st.LastCheckAt.IsZero() || st.LastError != "" {
		t.Errorf("status %+v", st)
	}
}

func TestEmptyMailboxSetsCursor(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	p := newProcessor()
	wt := start(t, srv, p, nil)
	waitCursor(t, p, srv.UIDValidity("INBOX"), 0)
	wt.waitState("idle", 2*time.Second)
	if len(p.uids()) != 0 {
		t.Errorf("processed %v in an empty mailbox", p.uids())
	}
}

func TestIdleDeliversNewMailQuickly(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	p := newProcessor()
	wt := start(t, srv, p, nil)
	wt.waitState("idle", 3*time.Second)

	uid := srv.Append(related(1))
	took := waitFor(t, 2*time.Second, "the new message", func() bool { return slices.Contains(p.uids(), uid) })
	t.Logf("processed %v after append", took)

	srv.Append(unrelated(2))
	uid3 := srv.Append(plusAddressed(3))
	waitFor(t, 2*time.Second, "the third message", func() bool { return slices.Contains(p.uids(), uid3) })
	waitCursor(t, p, srv.UIDValidity("INBOX"), uid3)
	if got := p.uids(); !slices.Equal(got, []uint32{1, 3}) {
		t.Errorf("processed %v, want [1 3]", got)
	}
	if srv.Connections() != 1 {
		t.Errorf("%d connections: IDLE should keep one", srv.Connections())
	}
}

func TestPollingFallback(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []mailtest.IMAPOption
		force bool
	}{
		{"server without IDLE", []mailtest.IMAPOption{mailtest.WithoutIdle()}, false},
		{"ForcePolling", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.NewIMAP(t, tc.opts...)
			srv.Append(related(1))
			p := newProcessor()
			wt := start(t, srv, p, func(w *inbox.Watcher) {
				w.PollInterval = 100 * time.Millisecond
				w.ForcePolling = tc.force
			})
			waitFor(t, 2*time.Second, "the first message", func() bool { return slices.Contains(p.uids(), 1) })
			wt.waitState("polling", time.Second)
			if m := wt.w.Status().Mode; m != "polling" {
				t.Errorf("mode %q", m)
			}
			srv.Append(unrelated(2))
			uid := srv.Append(related(3))
			waitFor(t, 2*time.Second, "the appended message", func() bool { return slices.Contains(p.uids(), uid) })
			waitCursor(t, p, srv.UIDValidity("INBOX"), uid)
			if got := p.uids(); !slices.Equal(got, []uint32{1, 3}) {
				t.Errorf("processed %v, want [1 3]", got)
			}
		})
	}
}

func TestRestartResumesFromCursor(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	for i := 1; i <= 3; i++ {
		srv.Append(related(i))
	}
	p := newProcessor()
	wt := start(t, srv, p, nil)
	validity := srv.UIDValidity("INBOX")
	waitCursor(t, p, validity, 3)
	wt.stop()

	srv.Append(unrelated(4))
	srv.Append(related(5))
	wt2 := start(t, srv, p, nil)
	waitCursor(t, p, validity, 5)
	wt2.waitState("idle", 2*time.Second)
	if got := p.uids(); !slices.Equal(got, []uint32{1, 2, 3, 5}) {
		t.Fatalf("processed %v, want [1 2 3 5]: each message once across the restart", got)
	}
}

func TestUIDValidityChangeRescans(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	for i := 1; i <= 4; i++ {
		srv.Append(related(i))
	}
	p := newProcessor()
	wt := start(t, srv, p, nil)
	old := srv.UIDValidity("INBOX")
	waitCursor(t, p, old, 4)
	wt.waitState("idle", 2*time.Second)

	// The mailbox is rebuilt (e.g. restored from a backup): new numbering,
	// UIDs restart at 1, below the saved cursor.
	newValidity := srv.Recreate("INBOX")
	if newValidity == old {
		t.Fatal("the test server kept UIDVALIDITY")
	}
	a := related(101)
	srv.Append(a)
	srv.Append(unrelated(102))
	srv.KillConnections() // the server drops its clients, as real ones do
	waitCursor(t, p, newValidity, 2)
	all := p.all()
	if len(all) != 5 {
		t.Fatalf("processed %d messages, want 4 before and 1 after the rescan", len(all))
	}
	if last := all[4]; last.uidValidity != newValidity || last.uid != 1 || !bytes.Equal(last.raw, a) {
		t.Errorf("after the rescan: UID %d validity %d", last.uid, last.uidValidity)
	}
}

// A cursor saved under another UIDVALIDITY is not trusted on start.
func TestStaleCursorOnStart(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	srv.Append(related(1))
	srv.Append(related(2))
	p := newProcessor()
	p.cursors["INBOX"] = [2]uint32{srv.UIDValidity("INBOX") + 1000, 50}
	start(t, srv, p, nil)
	waitCursor(t, p, srv.UIDValidity("INBOX"), 2)
	if got := p.uids(); !slices.Equal(got, []uint32{1, 2}) {
		t.Errorf("processed %v, want [1 2]", got)
	}
}

func TestReconnectsAfterConnectionKilled(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	p := newProcessor()
	wt := start(t, srv, p, nil) // default watchdog: only losing the connection may wake it
	wt.waitState("idle", 2*time.Second)

	for round := 1; round <= 3; round++ {
		if n := srv.KillConnections(); n != 1 {
			t.Fatalf("round %d: %d open connections, want 1", round, n)
		}
		waitFor(t, 2*time.Second, "the error state", func() bool {
			st := wt.w.Status()
			return st.State == "error" && st.LastError != "" && !st.LastErrorAt.IsZero()
		})
		// Back within the first backoff step (1 s plus jitter) every time:
		// a connection that worked resets the backoff.
		took := waitFor(t, 2*time.Second, "the watcher to reconnect", func() bool {
			st := wt.w.Status()
			return st.State == "idle" && st.LastError == ""
		})
		t.Logf("round %d: back after %v", round, took)
		uid := srv.Append(related(round))
		waitFor(t, 2*time.Second, "a message after reconnecting", func() bool { return slices.Contains(p.uids(), uid) })
	}
	if got := p.uids(); !slices.Equal(got, []uint32{1, 2, 3}) {
		t.Errorf("processed %v, want [1 2 3]", got)
	}
}

// A connection that goes silent (half-open TCP) is found by the watchdog.
func TestWatchdogFindsSilentConnection(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	p := newProcessor()
	wt := start(t, srv, p, func(w *inbox.Watcher) {
		w.Watchdog = 150 * time.Millisecond
		w.NoopTimeout = 200 * time.Millisecond
	})
	wt.waitState("idle", 2*time.Second)
	if srv.StallConnections() != 1 {
		t.Fatal("no connection to stall")
	}
	waitFor(t, 2*time.Second, "the watchdog to notice", func() bool { return wt.w.Status().State == "error" })
	waitFor(t, 3*time.Second, "a new connection", func() bool { return wt.w.Status().State == "idle" })
	uid := srv.Append(related(1))
	waitFor(t, 2*time.Second, "a message on the new connection", func() bool { return slices.Contains(p.uids(), uid) })
}

// A Process failure ends the session; the message is retried and nothing
// before it is handled twice.
func TestProcessErrorIsRetried(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	for i := 1; i <= 3; i++ {
		srv.Append(related(i))
	}
	p := newProcessor()
	failures := 0
	p.fail = func(uid uint32) error {
		if uid == 2 && failures == 0 {
			failures++
			return errors.New("database is locked")
		}
		return nil
	}
	wt := start(t, srv, p, nil)
	waitFor(t, 2*time.Second, "the failure to show", func() bool {
		st := wt.w.Status()
		return st.State == "error" || len(p.uids()) == 3
	})
	waitCursor(t, p, srv.UIDValidity("INBOX"), 3)
	if got := p.uids(); !slices.Equal(got, []uint32{1, 2, 3}) {
		t.Errorf("processed %v, want [1 2 3]", got)
	}
	if failures != 1 {
		t.Errorf("%d failures", failures)
	}
}

func TestOffUntilConfiguredThenRestart(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	srv.Append(related(1))
	var mu sync.Mutex
	settings := mail.IMAP{}
	p := newProcessor()
	wt := start(t, srv, p, func(w *inbox.Watcher) {
		w.Settings = func(context.Context) (mail.IMAP, error) {
			mu.Lock()
			defer mu.Unlock()
			return settings, nil
		}
	})
	wt.waitState("off", 2*time.Second)
	if srv.Connections() != 0 || len(p.uids()) != 0 {
		t.Fatal("an unconfigured watcher connected")
	}
	mu.Lock()
	settings = srv.Settings()
	mu.Unlock()
	wt.w.Restart()
	waitFor(t, 2*time.Second, "the first message", func() bool { return len(p.uids()) == 1 })
	wt.waitState("idle", 2*time.Second)

	// New settings (another mailbox) take effect on Restart.
	srv.Create("Replies")
	srv.AppendTo("Replies", related(2))
	mu.Lock()
	settings.Mailbox = "Replies"
	mu.Unlock()
	wt.w.Restart()
	waitFor(t, 2*time.Second, "the other mailbox", func() bool {
		_, l, ok := p.cursor("Replies")
		return ok && l == 1
	})
	if all := p.all(); len(all) != 2 || all[1].mailbox != "Replies" {
		t.Errorf("processed %+v", all)
	}
}

func TestWrongPasswordShowsError(t *testing.T) {
	srv := mailtest.NewIMAP(t)
	p := newProcessor()
	wt := start(t, srv, p, func(w *inbox.Watcher) {
		w.Settings = func(context.Context) (mail.IMAP, error) {
			s := srv.Settings()
			s.Password = "wrong"
			return s, nil
		}
	})
	waitFor(t, 2*time.Second, "the login error", func() bool {
		st := wt.w.Status()
		return st.State == "error" && st.LastError != ""
	})
	if _, _, ok := p.cursor("INBOX"); ok {
		t.Error("cursor set without a login")
	}
}
