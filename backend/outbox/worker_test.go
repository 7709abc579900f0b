package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"grantbook/backend/mail"
	"grantbook/backend/mailtest"
	"grantbook/backend/model"
	"grantbook/backend/outbox"
	"grantbook/backend/store"
)

var bg = context.Background()

// rig is a worker on a real store in a temporary directory, sending to an
// in-process SMTP server, with a clock the test moves.
type rig struct {
	t      *testing.T
	file   string
	store  *store.Store
	smtp   *mailtest.SMTP
	worker *outbox.Worker

	mu     sync.Mutex
	now    time.Time
	sent   []string          // Message-IDs the Sent hook saw
	failed map[string]string // Message-ID -> reason the Failed hook saw
	change int
}

func newRig(t *testing.T, opts ...mailtest.SMTPOption) *rig {
	t.Helper()
	r := &rig{t: t, file: filepath.Join(t.TempDir(), "grantbook.db"), smtp: mailtest.NewSMTP(t, opts...),
		now: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC), failed: map[string]string{}}
	r.open()
	return r
}

// open (re)opens the store and builds a fresh worker on it, as a restarted
// app would.
func (r *rig) open() {
	r.t.Helper()
	s, err := store.Open(bg, r.file)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { s.Close() })
	r.store = s
	r.worker = &outbox.Worker{
		Store: s,
		Settings: func(context.Context) (mail.SMTP, error) {
			return r.smtp.Settings("owner@example.test"), nil
		},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: r.clock,
		Hooks: outbox.Hooks{
			Sent: func(ctx context.Context, tx *store.Tx, m *model.OutboxMessage, now time.Time) error {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.sent = append(r.sent, m.MessageID)
				return nil
			},
			Failed: func(ctx context.Context, tx *store.Tx, m *model.OutboxMessage, reason string, now time.Time) error {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.failed[m.MessageID] = reason
				return nil
			},
			Changed: func() {
				r.mu.Lock()
				r.change++
				r.mu.Unlock()
			},
		},
	}
}

func (r *rig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *rig) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

func (r *rig) sentHooks() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent...)
}

// enqueue writes n messages to the outbox; ids are "<prefix>-<i>@example.test".
func (r *rig) enqueue(prefix string, n int, to func(i int) string) []*model.OutboxMessage {
	r.t.Helper()
	var out []*model.OutboxMessage
	err := r.store.Tx(bg, func(tx *store.Tx) error {
		for i := range n {
			rcpt := fmt.Sprintf("rcpt%d@client.test", i)
			if to != nil {
				rcpt = to(i)
			}
			id := fmt.Sprintf("%s-%d@example.test", prefix, i)
			raw, err := outbox.Compose(outbox.Message{FromEmail: "owner@example.test", ToEmail: rcpt, MessageID: id,
				Subject: "Message " + id, Text: "Body of " + id, Date: r.clock()})
			if err != nil {
				return err
			}
			m := &model.OutboxMessage{MessageID: id, Kind: "invitation", RefID: int64(100 + i), From: "owner@example.test", To: rcpt, Raw: raw}
			if err := tx.EnqueueMail(bg, m, r.clock()); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// row is one outbox row as stored.
type row struct {
	state     string
	attempts  int
	next      int64
	lastError string
	sentAt    *int64
}

func (r *rig) row(id int64) row {
	r.t.Helper()
	var w row
	err := r.store.DB().QueryRow(`SELECT state, attempts, next_attempt_at, last_error, sent_at FROM outbox WHERE id = ?`, id).
		Scan(&w.state, &w.attempts, &w.next, &w.lastError, &w.sentAt)
	if err != nil {
		r.t.Fatal(err)
	}
	return w
}

func (r *rig) counts() map[string]int {
	r.t.Helper()
	c, err := r.store.OutboxCounts(bg)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// delivered counts the accepted messages per Message-ID.
func (r *rig) delivered() map[string]int {
	out := map[string]int{}
	for _, m := range r.smtp.Messages() {
		out[messageID(r.t, m.Data)]++
	}
	return out
}

func messageID(t *testing.T, raw []byte) string {
	t.Helper()
	p := parse(t, raw)
	id, err := p.header.MessageID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestFlushSendsAllOverOneConnection(t *testing.T) {
	r := newRig(t, mailtest.WithAuth("owner@example.test", "smtp-pass"))
	msgs := r.enqueue("a", 5, nil)

	n, err := r.worker.Flush(bg)
	if err != nil || n != 5 {
		t.Fatalf("Flush = %d, %v; want 5, nil", n, err)
	}
	if c := r.smtp.Connections(); c != 1 {
		t.Errorf("%d SMTP connections for one batch, want 1", c)
	}
	got := r.smtp.Messages()
	if len(got) != 5 {
		t.Fatalf("server got %d messages, want 5", len(got))
	}
	for i, m := range got {
		want := msgs[i]
		if m.From != want.From || len(m.To) != 1 || m.To[0] != want.To || !bytes.Equal(m.Data, want.Raw) {
			t.Errorf("message %d: %v, want from %s to %s with the stored bytes", i, m, want.From, want.To)
		}
		if m.Helo != "example.test" {
			t.Errorf("EHLO name %q, want the sender's domain", m.Helo)
		}
		if st := r.row(want.ID); st.state != store.OutboxSent || st.attempts != 1 || st.sentAt == nil || *st.sentAt != r.clock().Unix() {
			t.Errorf("row %d after sending: %+v", want.ID, st)
		}
	}
	if hooks := r.sentHooks(); strings.Join(hooks, " ") != "a-0@example.test a-1@example.test a-2@example.test a-3@example.test a-4@example.test" {
		t.Errorf("Sent hook calls %v, want every message once in order", hooks)
	}
	if st := r.worker.Status(); !st.LastSentAt.Equal(r.clock()) || st.LastError != "" {
		t.Errorf("status %+v", st)
	}

	// Nothing is due: a second flush neither connects nor sends.
	n, err = r.worker.Flush(bg)
	if err != nil || n != 0 || r.smtp.Connections() != 1 || len(r.smtp.Messages()) != 5 {
		t.Errorf("second Flush = %d, %v with %d connections, %d messages", n, err, r.smtp.Connections(), len(r.smtp.Messages()))
	}
}

func TestFlushMoreThanOneBatch(t *testing.T) {
	r := newRig(t)
	r.enqueue("b", 130, nil)
	n, err := r.worker.Flush(bg)
	if err != nil || n != 130 {
		t.Fatalf("Flush = %d, %v; want 130", n, err)
	}
	if c := r.smtp.Connections(); c > 2 {
		t.Errorf("%d connections for 130 messages (batches of 100), want at most 2", c)
	}
	for id, k := range r.delivered() {
		if k != 1 {
			t.Errorf("%s delivered %d times", id, k)
		}
	}
	if c := r.counts(); c[store.OutboxSent] != 130 || c[store.OutboxPending] != 0 {
		t.Errorf("counts %v", c)
	}
}

func TestFlushWithServerDownLosesNothing(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("c", 3, nil)
	r.smtp.Down()

	n, err := r.worker.Flush(bg)
	if err == nil || n != 0 {
		t.Fatalf("Flush with the server down = %d, %v; want an error", n, err)
	}
	for _, m := range msgs {
		if st := r.row(m.ID); st.state != store.OutboxPending || st.attempts != 0 || st.next != r.clock().Unix() {
			t.Errorf("row %d after a failed connection: %+v, want pending and due as before", m.ID, st)
		}
	}
	if len(r.sentHooks()) != 0 || len(r.failed) != 0 {
		t.Errorf("hooks called while the server was down: sent %v failed %v", r.sentHooks(), r.failed)
	}

	r.smtp.Up()
	n, err = r.worker.Flush(bg)
	if err != nil || n != 3 {
		t.Fatalf("Flush after the server came back = %d, %v", n, err)
	}
	if _, err := r.worker.Flush(bg); err != nil {
		t.Fatal(err)
	}
	d := r.delivered()
	for _, m := range msgs {
		if d[m.MessageID] != 1 {
			t.Errorf("%s delivered %d times, want exactly once", m.MessageID, d[m.MessageID])
		}
	}
	if c := r.counts(); c[store.OutboxSent] != 3 || len(c) != 1 {
		t.Errorf("counts %v, want 3 sent", c)
	}
}

// A connection that breaks after some messages keeps the rest due; each
// message still arrives once.
func TestFlushConnectionLostMidBatch(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("d", 4, nil)
	r.smtp.OnData(func(m mailtest.Message) {
		if len(r.smtp.Messages()) == 1 { // the second message is being accepted
			r.smtp.Down() // before the client sees 250
		}
	})
	n, err := r.worker.Flush(bg)
	if err == nil {
		t.Fatalf("Flush over a broken connection = %d, nil; want an error", n)
	}
	r.smtp.OnData(nil)
	r.smtp.Up()
	if _, err := r.worker.Flush(bg); err != nil {
		t.Fatal(err)
	}
	d := r.delivered()
	for _, m := range msgs {
		if k := d[m.MessageID]; k < 1 {
			t.Errorf("%s never delivered", m.MessageID)
		} else if k > 1 && m.MessageID != "d-1@example.test" {
			// Only the message in flight when the connection broke may be
			// sent twice: SMTP cannot tell whether it was taken.
			t.Errorf("%s delivered %d times", m.MessageID, k)
		}
	}
	if c := r.counts(); c[store.OutboxSent] != 4 {
		t.Errorf("counts %v, want 4 sent", c)
	}
}

func TestFlushTemporaryRefusalReschedules(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("e", 2, nil)
	r.smtp.RefuseRcpt(451, func(rcpt string) bool { return rcpt == msgs[0].To })

	n, err := r.worker.Flush(bg)
	if err != nil || n != 1 {
		t.Fatalf("Flush = %d, %v; want 1 sent, no error (a refusal is per message)", n, err)
	}
	st := r.row(msgs[0].ID)
	if st.state != store.OutboxPending || st.attempts != 1 || st.next <= r.clock().Unix() || !strings.HasPrefix(st.lastError, "451") {
		t.Fatalf("after a 451: %+v, want pending, 1 attempt, later next attempt, 451 error", st)
	}
	if got := time.Duration(st.next-r.clock().Unix()) * time.Second; got != 30*time.Second {
		t.Errorf("first retry in %v, want 30s", got)
	}
	if r.row(msgs[1].ID).state != store.OutboxSent {
		t.Error("the other message was not sent")
	}
	if len(r.failed) != 0 {
		t.Errorf("Failed hook called for a temporary refusal: %v", r.failed)
	}
	next, ok, err := r.store.NextMailDue(bg)
	if err != nil || !ok || next.Unix() != st.next {
		t.Errorf("NextMailDue = %v %v %v, want %d", next, ok, err, st.next)
	}

	// Not yet due: no connection at all.
	conns := r.smtp.Connections()
	if n, err := r.worker.Flush(bg); err != nil || n != 0 || r.smtp.Connections() != conns {
		t.Errorf("Flush before the retry is due = %d, %v, %d new connections", n, err, r.smtp.Connections()-conns)
	}

	// Still refused when due: the delay grows.
	r.advance(31 * time.Second)
	if _, err := r.worker.Flush(bg); err != nil {
		t.Fatal(err)
	}
	st2 := r.row(msgs[0].ID)
	if st2.attempts != 2 || time.Duration(st2.next-r.clock().Unix())*time.Second != time.Minute {
		t.Errorf("second refusal: %+v, want 2 attempts and a retry in 1m", st2)
	}

	// Accepted at last: exactly once.
	r.smtp.RefuseRcpt(0, nil)
	r.advance(time.Minute)
	if n, err := r.worker.Flush(bg); err != nil || n != 1 {
		t.Fatalf("Flush when due = %d, %v", n, err)
	}
	if st := r.row(msgs[0].ID); st.state != store.OutboxSent || st.attempts != 3 || st.lastError != "" {
		t.Errorf("after delivery: %+v", st)
	}
	if d := r.delivered(); d[msgs[0].MessageID] != 1 || d[msgs[1].MessageID] != 1 {
		t.Errorf("delivered %v", d)
	}
}

func TestFlushPermanentRefusalFails(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("f", 3, nil)
	r.smtp.RefuseRcpt(550, func(rcpt string) bool { return rcpt == msgs[1].To })

	n, err := r.worker.Flush(bg)
	if err != nil || n != 2 {
		t.Fatalf("Flush = %d, %v; want 2 sent, no error", n, err)
	}
	st := r.row(msgs[1].ID)
	if st.state != store.OutboxFailed || st.attempts != 1 || !strings.HasPrefix(st.lastError, "550 ") {
		t.Errorf("after a 550: %+v", st)
	}
	if reason, ok := r.failed[msgs[1].MessageID]; !ok || !strings.HasPrefix(reason, "550 ") || !strings.Contains(reason, "no such user") {
		t.Errorf("Failed hook: %q (called %v)", reason, ok)
	}
	if len(r.failed) != 1 {
		t.Errorf("Failed hook calls %v", r.failed)
	}
	if hooks := r.sentHooks(); len(hooks) != 2 || hooks[0] != msgs[0].MessageID || hooks[1] != msgs[2].MessageID {
		t.Errorf("Sent hook calls %v", hooks)
	}
	if c := r.smtp.Connections(); c != 1 {
		t.Errorf("%d connections: the refusal must not cost a reconnect", c)
	}

	// A failed message is never tried again.
	r.smtp.RefuseRcpt(0, nil)
	r.advance(24 * time.Hour)
	if n, err := r.worker.Flush(bg); err != nil || n != 0 {
		t.Errorf("Flush after a failure = %d, %v", n, err)
	}
	if d := r.delivered(); d[msgs[1].MessageID] != 0 {
		t.Error("the refused message was sent later")
	}
}

// A refusal at the end of DATA is handled like one at RCPT.
func TestFlushRefusedAtData(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("g", 2, nil)
	r.smtp.RefuseData(554)
	if n, err := r.worker.Flush(bg); err != nil || n != 0 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	for _, m := range msgs {
		if st := r.row(m.ID); st.state != store.OutboxFailed {
			t.Errorf("row %d: %+v, want failed", m.ID, st)
		}
	}
	if len(r.failed) != 2 {
		t.Errorf("Failed hook calls %v", r.failed)
	}
}

// A server that wants a login we do not give refuses every message alike:
// that is a setup problem to report, not a reason to fail the messages.
func TestFlushAuthRequiredKeepsMessages(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("auth", 2, nil)
	r.smtp.RefuseRcpt(530, func(string) bool { return true })
	n, err := r.worker.Flush(bg)
	if err == nil || n != 0 || !strings.Contains(err.Error(), "530") {
		t.Fatalf("Flush = %d, %v; want an error naming 530", n, err)
	}
	for _, m := range msgs {
		if st := r.row(m.ID); st.state != store.OutboxPending {
			t.Errorf("row %d: %+v, want still pending", m.ID, st)
		}
	}
	if len(r.failed) != 0 {
		t.Errorf("Failed hook called %v", r.failed)
	}
}

func TestFlushSurvivesRestart(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("h", 3, nil)
	r.smtp.Down()
	if _, err := r.worker.Flush(bg); err == nil {
		t.Fatal("Flush with the server down succeeded")
	}
	// The app stops with mail pending and starts again.
	r.store.Close()
	r.open()
	r.smtp.Up()
	n, err := r.worker.Flush(bg)
	if err != nil || n != 3 {
		t.Fatalf("Flush after restart = %d, %v; want 3", n, err)
	}
	d := r.delivered()
	for _, m := range msgs {
		if d[m.MessageID] != 1 {
			t.Errorf("%s delivered %d times", m.MessageID, d[m.MessageID])
		}
	}
	// And once more: what was sent before a restart is not sent again.
	r.store.Close()
	r.open()
	if n, err := r.worker.Flush(bg); err != nil || n != 0 || len(r.smtp.Messages()) != 3 {
		t.Errorf("Flush after a second restart = %d, %v, %d messages in all", n, err, len(r.smtp.Messages()))
	}
}

func TestCancelledMailIsNeverSent(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("i", 3, nil)
	if err := r.store.Tx(bg, func(tx *store.Tx) error { return tx.CancelPendingMail(bg, "invitation", msgs[1].RefID) }); err != nil {
		t.Fatal(err)
	}
	if n, err := r.worker.Flush(bg); err != nil || n != 2 {
		t.Fatalf("Flush = %d, %v", n, err)
	}
	if d := r.delivered(); d[msgs[1].MessageID] != 0 || len(d) != 2 {
		t.Errorf("delivered %v: the cancelled message went out", d)
	}
	if st := r.row(msgs[1].ID); st.state != store.OutboxCancelled || st.attempts != 0 {
		t.Errorf("cancelled row: %+v", st)
	}
	for _, id := range r.sentHooks() {
		if id == msgs[1].MessageID {
			t.Error("Sent hook called for the cancelled message")
		}
	}
}

// A message cancelled while it is on the wire stays cancelled and its Sent
// hook does not run (the invitation was revoked meanwhile).
func TestCancelledWhileSending(t *testing.T) {
	r := newRig(t)
	msgs := r.enqueue("j", 1, nil)
	r.smtp.OnData(func(mailtest.Message) {
		if err := r.store.Tx(bg, func(tx *store.Tx) error { return tx.CancelPendingMail(bg, "invitation", msgs[0].RefID) }); err != nil {
			t.Error(err)
		}
	})
	if _, err := r.worker.Flush(bg); err != nil {
		t.Fatal(err)
	}
	if st := r.row(msgs[0].ID); st.state != store.OutboxCancelled {
		t.Errorf("row %+v, want cancelled", st)
	}
	if len(r.sentHooks()) != 0 {
		t.Errorf("Sent hook ran for a cancelled message: %v", r.sentHooks())
	}
}

func TestFlushWithoutSettings(t *testing.T) {
	r := newRig(t)
	r.enqueue("k", 1, nil)
	r.worker.Settings = func(context.Context) (mail.SMTP, error) { return mail.SMTP{}, nil }
	if _, err := r.worker.Flush(bg); err == nil || !strings.Contains(err.Error(), "no SMTP server") {
		t.Errorf("Flush without a server: %v", err)
	}
	boom := errors.New("vault locked")
	r.worker.Settings = func(context.Context) (mail.SMTP, error) { return mail.SMTP{}, boom }
	if _, err := r.worker.Flush(bg); !errors.Is(err, boom) {
		t.Errorf("Flush with failing settings: %v", err)
	}
	if c := r.counts(); c[store.OutboxPending] != 1 {
		t.Errorf("counts %v", c)
	}
}

func TestFlushWrongPassword(t *testing.T) {
	r := newRig(t, mailtest.WithAuth("owner@example.test", "right"))
	msgs := r.enqueue("l", 1, nil)
	r.worker.Settings = func(context.Context) (mail.SMTP, error) {
		s := r.smtp.Settings("owner@example.test")
		s.Password = "wrong"
		return s, nil
	}
	if _, err := r.worker.Flush(bg); err == nil || !strings.Contains(err.Error(), "log in") {
		t.Fatalf("Flush with a wrong password: %v", err)
	}
	if st := r.row(msgs[0].ID); st.state != store.OutboxPending || st.attempts != 0 {
		t.Errorf("a login failure must not count against the message: %+v", st)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunSendsWhenWokenAndRetriesAfterOutage(t *testing.T) {
	r := newRig(t)
	r.worker.Now = time.Now // Run schedules by the real clock
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { r.worker.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	r.mu.Lock()
	r.now = time.Now()
	r.mu.Unlock()
	r.enqueue("m", 1, nil)
	r.worker.Wake()
	r.smtp.WaitMessages(1, 2*time.Second)
	// The server records a message before its 250 reaches the client: wait
	// for the worker to mark it sent before pulling the plug.
	waitFor(t, 2*time.Second, "the first message to be marked sent", func() bool {
		return r.counts()[store.OutboxSent] == 1
	})

	// Server down: Run reports the problem and keeps the message.
	r.smtp.Down()
	r.mu.Lock()
	r.now = time.Now()
	r.mu.Unlock()
	r.enqueue("n", 1, nil)
	r.worker.Wake()
	waitFor(t, 2*time.Second, "the outage to show in the status", func() bool {
		st := r.worker.Status()
		return st.LastError != "" && !st.RetryAt.IsZero()
	})
	// The backoff starts at 1 s (+ up to a quarter). The first message's
	// wake-up may still be pending when Run sent it on its own: it then
	// retries once at once and doubles the backoff to 2 s.
	st := r.worker.Status()
	in := func(lo, hi time.Duration) bool { d := st.RetryAt.Sub(st.LastErrorAt); return d >= lo && d <= hi }
	if !in(time.Second, 1250*time.Millisecond) && !in(2*time.Second, 2500*time.Millisecond) {
		t.Errorf("first retry scheduled %v after the error, want 1–1.25 s, or 2–2.5 s after a pending wake-up", st.RetryAt.Sub(st.LastErrorAt))
	}
	r.smtp.Up()
	// Run retries on its own after the backoff, without a wake-up.
	msgs := r.smtp.WaitMessages(2, 5*time.Second)
	if id := messageID(t, msgs[1].Data); id != "n-0@example.test" {
		t.Errorf("second message %s", id)
	}
	waitFor(t, time.Second, "the status to clear", func() bool {
		st := r.worker.Status()
		return st.LastError == "" && st.RetryAt.IsZero()
	})
	if d := r.delivered(); d["m-0@example.test"] != 1 || d["n-0@example.test"] != 1 {
		t.Errorf("delivered %v", d)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { r.worker.Run(ctx); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
}
