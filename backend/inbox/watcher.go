// Package inbox watches the owner's IMAP mailbox for replies to
// invitations: IDLE when the server offers it, polling otherwise, and a
// cursor (UIDVALIDITY, last UID) so that no message is handled twice or
// skipped across restarts.
package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"grantbook/backend/mail"
)

// Processor handles messages and keeps the cursor. Process must handle the
// message and move the cursor to uid in one transaction; on an error the
// cursor stays before the message and it is tried again. Watch says what
// to look for.
type Processor interface {
	Cursor(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, ok bool, err error)
	SetCursor(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error
	Process(ctx context.Context, mailbox string, uidValidity, uid uint32, raw []byte) error
	Watch(ctx context.Context) (Watch, error)
}

// Watch is what can concern an invitation.
type Watch struct {
	// Since is when the first invitation was made (zero: none ever):
	// nothing that arrived before can be a reply or a report.
	Since time.Time
	// Invitees are the addresses with a pending invitation: every message
	// of theirs is read.
	Invitees []string
}

// Watcher follows one mailbox.
type Watcher struct {
	Settings  func(ctx context.Context) (mail.IMAP, error)
	Processor Processor
	Log       *slog.Logger
	// PollInterval is used when the server has no IDLE (default 30 s).
	PollInterval time.Duration
	// Watchdog is how often an idle connection is checked with NOOP
	// (default 4 min): half-open TCP connections are otherwise silent.
	Watchdog time.Duration
	// NoopTimeout bounds the watchdog's NOOP (default 20 s).
	NoopTimeout time.Duration
	// ForcePolling ignores IDLE (tests of the fallback).
	ForcePolling bool

	mu     sync.Mutex
	status Status
	wake   chan struct{}
	once   sync.Once
}

// Status is what the UI shows about watching.
type Status struct {
	State       string    `json:"state"` // off, connecting, idle, polling, error
	Mode        string    `json:"mode"`  // idle or polling
	LastError   string    `json:"last_error"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastCheckAt time.Time `json:"last_check_at,omitzero"`
}

func (w *Watcher) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Log == nil {
			w.Log = slog.Default()
		}
		if w.PollInterval == 0 {
			w.PollInterval = 30 * time.Second
		}
		if w.Watchdog == 0 {
			w.Watchdog = 4 * time.Minute
		}
		if w.NoopTimeout == 0 {
			w.NoopTimeout = 20 * time.Second
		}
	})
}

// Status reports the watcher's state.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

func (w *Watcher) setState(state, mode string) {
	w.mu.Lock()
	w.status.State, w.status.Mode = state, mode
	w.mu.Unlock()
}

// Restart drops the current connection so new settings take effect.
func (w *Watcher) Restart() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// errRestart ends a session on purpose.
var errRestart = errors.New("restart requested")

// Run watches until ctx ends, reconnecting with backoff.
func (w *Watcher) Run(ctx context.Context) {
	w.init()
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		settings, err := w.Settings(ctx)
		if err == nil && !settings.Configured() {
			w.setState("off", "")
			if !w.sleep(ctx, time.Hour) {
				return
			}
			continue
		}
		if err == nil {
			w.setState("connecting", "")
			began := time.Now()
			err = w.session(ctx, settings)
			if !w.Status().LastCheckAt.Before(began) {
				backoff = 0 // the session worked: a new failure starts a new backoff
			}
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errRestart) {
			backoff = 0
			continue
		}
		backoff = min(max(2*backoff, time.Second), 2*time.Minute)
		wait := backoff + rand.N(backoff/4+1)
		w.mu.Lock()
		w.status.State, w.status.LastError, w.status.LastErrorAt = "error", err.Error(), time.Now()
		w.mu.Unlock()
		w.Log.Warn("inbox: watching stopped", "err", err, "retry_in", wait.Round(time.Second))
		if !w.sleep(ctx, wait) {
			return
		}
	}
}

// sleep waits for d, a restart request or the end of ctx (false).
func (w *Watcher) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-w.wake:
	case <-t.C:
	}
	return true
}

// session is one connection: catch up, then wait for news and catch up
// again until something breaks.
func (w *Watcher) session(ctx context.Context, s mail.IMAP) error {
	news := make(chan struct{}, 1)
	opts := &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		// Runs on the reader goroutine: only signal.
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				select {
				case news <- struct{}{}:
				default:
				}
			}
		},
	}}
	c, err := mail.DialIMAP(s, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	// Closing the client unblocks any command when ctx ends.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	sel, err := c.Select(s.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return fmt.Errorf("open mailbox %q: %w", s.Mailbox, err)
	}
	idle := c.Caps().Has(imap.CapIdle) && !w.ForcePolling
	mode := "polling"
	if idle {
		mode = "idle"
	}
	w.Log.Info("inbox: watching", "mailbox", s.Mailbox, "mode", mode, "uidvalidity", sel.UIDValidity)
	for {
		if err := w.catchUp(ctx, c, s.Mailbox, sel.UIDValidity); err != nil {
			return err
		}
		w.mu.Lock()
		w.status.State, w.status.Mode, w.status.LastCheckAt, w.status.LastError = mode, mode, time.Now(), ""
		w.mu.Unlock()
		if idle {
			err = w.idle(ctx, c, news)
		} else {
			err = w.poll(ctx, c)
		}
		if err != nil {
			return err
		}
	}
}

// idle waits in IDLE for new mail, checking the connection every Watchdog.
func (w *Watcher) idle(ctx context.Context, c *imapclient.Client, news <-chan struct{}) error {
	cmd, err := c.Idle()
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	t := time.NewTimer(w.Watchdog)
	defer t.Stop()
	var wakeErr error
	select {
	case <-ctx.Done():
		wakeErr = ctx.Err()
	case <-w.wake:
		wakeErr = errRestart
	case <-news:
	case <-t.C:
	case <-c.Closed(): // the server hung up: stopIdle reports it
	}
	if err := stopIdle(cmd, w.NoopTimeout); err != nil {
		c.Close()
		return fmt.Errorf("idle: %w", err)
	}
	if wakeErr != nil {
		return wakeErr
	}
	return w.noop(c)
}

// stopIdle ends IDLE; a server that does not answer within limit is gone.
func stopIdle(cmd *imapclient.IdleCommand, limit time.Duration) error {
	done := make(chan error, 1)
	go func() {
		if err := cmd.Close(); err != nil {
			done <- err
			return
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		return errors.New("server did not answer: connection lost")
	}
}

// poll waits PollInterval, then checks the connection.
func (w *Watcher) poll(ctx context.Context, c *imapclient.Client) error {
	t := time.NewTimer(w.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-w.wake:
		return errRestart
	case <-t.C:
	case <-c.Closed(): // the server hung up: noop reports it
	}
	return w.noop(c)
}

// noop checks that the server still answers; it also brings EXISTS news.
func (w *Watcher) noop(c *imapclient.Client) error {
	done := make(chan error, 1)
	go func() { done <- c.Noop().Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(w.NoopTimeout):
		c.Close()
		return errors.New("server did not answer NOOP: connection lost")
	}
}

// catchUp handles every message after the cursor, in UID order.
func (w *Watcher) catchUp(ctx context.Context, c *imapclient.Client, mailbox string, uidValidity uint32) error {
	validity, last, ok, err := w.Processor.Cursor(ctx, mailbox)
	if err != nil {
		return err
	}
	if ok && validity != uidValidity {
		// The server renumbered the mailbox: look at everything again;
		// handling a message twice is harmless, an answered invitation
		// stays answered.
		w.Log.Warn("inbox: UIDVALIDITY changed, rescanning", "mailbox", mailbox, "old", validity, "new", uidValidity)
		last = 0
	}
	// First the highest UID now present: everything up to it is examined
	// in this pass, whatever arrives meanwhile waits for the next one.
	all, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(last + 1), Stop: 0}}}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	top := uint32(0)
	for _, u := range all.AllUIDs() {
		top = max(top, uint32(u)) // the server may return the highest UID even below last+1
	}
	if top <= last {
		if !ok || validity != uidValidity {
			return w.Processor.SetCursor(ctx, mailbox, uidValidity, last)
		}
		return nil
	}
	uids, err := w.search(ctx, c, last, top)
	if err != nil {
		return err
	}
	for len(uids) > 0 {
		n := min(len(uids), 50)
		if err := w.fetchAndProcess(ctx, c, mailbox, uidValidity, uids[:n]); err != nil {
			return err
		}
		uids = uids[n:]
	}
	return w.Processor.SetCursor(ctx, mailbox, uidValidity, top)
}

func (w *Watcher) fetchAndProcess(ctx context.Context, c *imapclient.Client, mailbox string, uidValidity uint32, uids []imap.UID) error {
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
	for _, m := range msgs {
		raw := m.FindBodySection(section)
		if err := w.Processor.Process(ctx, mailbox, uidValidity, uint32(m.UID), raw); err != nil {
			return fmt.Errorf("message %d: %w", m.UID, err)
		}
	}
	return nil
}
