package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"grantbook/backend/mail"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// Hooks let the application react, inside the same transaction, when a
// message leaves or is refused for good.
type Hooks struct {
	Sent   func(ctx context.Context, tx *store.Tx, m *model.OutboxMessage, now time.Time) error
	Failed func(ctx context.Context, tx *store.Tx, m *model.OutboxMessage, reason string, now time.Time) error
	// Changed runs after a commit that changed something (for live UIs).
	Changed func()
	// Content supplies, at send time, a message stored without content
	// (a sign-in code's mail is never written to the database). An error
	// means there is nothing to send: the message is cancelled with it.
	Content func(m *model.OutboxMessage) ([]byte, error)
}

// Worker sends due outbox messages, one SMTP connection for a batch.
type Worker struct {
	Store    *store.Store
	Settings func(ctx context.Context) (mail.SMTP, error)
	Hooks    Hooks
	Log      *slog.Logger
	Now      func() time.Time
	Dial     func(mail.SMTP) (*smtp.Client, error) // mail.DialSMTP unless tests swap it

	wake chan struct{}
	once sync.Once

	mu      sync.Mutex
	status  Status
	backoff time.Duration
}

// Status is what the UI shows about sending.
type Status struct {
	LastError   string    `json:"last_error"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	LastSentAt  time.Time `json:"last_sent_at,omitzero"`
	RetryAt     time.Time `json:"retry_at,omitzero"`
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		if w.Now == nil {
			w.Now = time.Now
		}
		if w.Dial == nil {
			w.Dial = mail.DialSMTP
		}
		if w.Log == nil {
			w.Log = slog.Default()
		}
	})
}

// Wake asks the worker to look at the outbox now.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Status reports the last sending problem, if any.
func (w *Worker) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Run sends until ctx ends: at once when woken, when a retry is due, and
// after a backoff while the server cannot be reached.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	for {
		wait := time.Minute
		if _, err := w.Flush(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			w.mu.Lock()
			w.backoff = min(max(2*w.backoff, time.Second), 5*time.Minute)
			// Jitter so many clients do not hammer a recovering server together.
			wait = w.backoff + rand.N(w.backoff/4+1)
			w.status.LastError, w.status.LastErrorAt, w.status.RetryAt = err.Error(), w.Now(), w.Now().Add(wait)
			w.mu.Unlock()
			w.Log.Warn("outbox: cannot send", "err", err, "retry_in", wait.Round(time.Second))
		} else {
			w.mu.Lock()
			w.backoff, w.status.RetryAt = 0, time.Time{}
			w.mu.Unlock()
			if next, ok, err := w.Store.NextMailDue(ctx); err == nil && ok {
				wait = min(max(next.Sub(w.Now()), 10*time.Millisecond), time.Minute)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Flush sends every due message over one connection. It returns an error
// when the server cannot be reached or used at all; a message refused on
// its own is rescheduled or failed and the rest go on.
func (w *Worker) Flush(ctx context.Context) (sent int, err error) {
	w.init()
	for ctx.Err() == nil {
		due, err := w.Store.DueMail(ctx, w.Now(), 100)
		if err != nil || len(due) == 0 {
			return sent, err
		}
		settings, err := w.Settings(ctx)
		if err != nil {
			return sent, err
		}
		if !settings.Configured() {
			return sent, errors.New("no SMTP server is set up yet: mail waits in the outbox")
		}
		c, err := w.Dial(settings)
		if err != nil {
			return sent, err
		}
		n, err := w.sendBatch(ctx, c, due)
		sent += n
		c.Quit()
		c.Close()
		if err != nil {
			return sent, err
		}
	}
	return sent, ctx.Err()
}

func (w *Worker) sendBatch(ctx context.Context, c *smtp.Client, due []*model.OutboxMessage) (int, error) {
	sent := 0
	for _, m := range due {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		raw, err := w.content(m)
		if err != nil {
			if err := w.commit(ctx, func(tx *store.Tx) error { return tx.CancelMail(ctx, m.ID, err.Error()) }); err != nil {
				return sent, err
			}
			continue
		}
		err = send(c, m, raw)
		now := w.Now()
		var se *smtp.SMTPError
		switch {
		case err == nil:
			if err := w.commit(ctx, func(tx *store.Tx) error {
				ok, err := tx.MarkMailSent(ctx, m.ID, now)
				if err != nil || !ok || w.Hooks.Sent == nil {
					return err
				}
				return w.Hooks.Sent(ctx, tx, m, now)
			}); err != nil {
				return sent, err
			}
			sent++
			w.mu.Lock()
			w.status.LastSentAt, w.status.LastError = now, ""
			w.mu.Unlock()
		case errors.As(err, &se) && setupProblem(se):
			// Not this message's fault: the server refuses us altogether.
			return sent, fmt.Errorf("the mail server refuses to send: %d %s (check the user name and password in Settings)", se.Code, se.Message)
		case errors.As(err, &se) && se.Code >= 500:
			reason := fmt.Sprintf("%d %s", se.Code, se.Message)
			if err := w.commit(ctx, func(tx *store.Tx) error {
				if err := tx.MarkMailFailed(ctx, m.ID, reason); err != nil || w.Hooks.Failed == nil {
					return err
				}
				return w.Hooks.Failed(ctx, tx, m, reason, now)
			}); err != nil {
				return sent, err
			}
			c.Reset()
		case errors.As(err, &se):
			// 4xx: the server wants us to come back later.
			next := now.Add(retryDelay(m.Attempts))
			if err := w.commit(ctx, func(tx *store.Tx) error {
				return tx.MarkMailRetry(ctx, m.ID, next, fmt.Sprintf("%d %s", se.Code, se.Message))
			}); err != nil {
				return sent, err
			}
			c.Reset()
		default:
			// The connection broke: keep the message due, let Run back off.
			return sent, fmt.Errorf("send %s: %w", m.MessageID, err)
		}
	}
	return sent, nil
}

func (w *Worker) content(m *model.OutboxMessage) ([]byte, error) {
	if len(m.Raw) > 0 {
		return m.Raw, nil
	}
	if w.Hooks.Content == nil {
		return nil, errors.New("not sent: the message has no content")
	}
	return w.Hooks.Content(m)
}

// send runs one SMTP transaction. When the server refuses the return path
// as sender (some accept only the exact login address), the message goes
// with the plain address instead: its bounces then arrive unmarked, and
// the owner is asked to confirm them.
func send(c *smtp.Client, m *model.OutboxMessage, raw []byte) error {
	var opts *smtp.MailOptions
	if !isASCII(m.From) || !isASCII(m.To) {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(m.From, opts); err != nil {
		var se *smtp.SMTPError
		plain := PlainSender(m.From)
		if plain == m.From || !errors.As(err, &se) || se.Code < 500 {
			return err
		}
		if err := c.Reset(); err != nil {
			return err
		}
		if err := c.Mail(plain, opts); err != nil {
			return err
		}
	}
	if err := c.Rcpt(m.To, nil); err != nil {
		return err
	}
	wc, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.Copy(wc, bytes.NewReader(raw)); err != nil {
		wc.Close()
		return err
	}
	return wc.Close()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func (w *Worker) commit(ctx context.Context, fn func(tx *store.Tx) error) error {
	if err := w.Store.Tx(ctx, fn); err != nil {
		return err
	}
	if w.Hooks.Changed != nil {
		w.Hooks.Changed()
	}
	return nil
}

// setupProblem tells a refusal of the sender's setup (authentication
// required or failed) from a refusal of one message.
func setupProblem(se *smtp.SMTPError) bool {
	switch se.Code {
	case 530, 535, 538:
		return true
	}
	ec := se.EnhancedCode
	return ec[0] == 5 && ec[1] == 7 && (ec[2] == 0 || ec[2] == 8 || ec[2] == 9)
}

// retryDelay grows from 30 s to at most an hour.
func retryDelay(attempts int) time.Duration {
	d := 30 * time.Second << min(attempts, 7)
	return min(d, time.Hour)
}
