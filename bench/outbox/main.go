// Command outbox measures sending: -n invitations queued through the core,
// then delivered to a loopback go-smtp server that counts them,
//
//   - by the product's outbox worker (Worker.Flush: one connection for each
//     batch of up to 100 due messages, a transaction per message marking it
//     sent and the invitation with it);
//   - by a sender that opens one connection per message (mail.DialSMTP,
//     SendMail, QUIT) and marks each message sent the same way;
//
// and, to isolate the transport, the same two ways with raw SMTP only (no
// database). Figures are messages per second.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"grantbook/backend/core"
	"grantbook/backend/mail"
	"grantbook/backend/store"
)

var n = flag.Int("n", 1000, "invitations to send")

// counter is the loopback SMTP server: it accepts everything and counts.
type counter struct{ got atomic.Int64 }

type session struct{ c *counter }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.c.got.Add(1)
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func main() {
	flag.Parse()
	os.Setenv("GRANTBOOK_KEYRING", "off")
	cnt := &counter{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{cnt}, nil }))
	srv.Domain = "bench.example.test"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	port := l.Addr().(*net.TCPAddr).Port
	settings := mail.SMTP{Server: mail.Server{Host: "127.0.0.1", Port: port, Security: mail.SecurityPlain},
		FromName: "Olivia Owner", FromEmail: "owner@example.test"}

	// The product's worker: connection reuse.
	app, dir := queued(settings)
	start := time.Now()
	sent, err := app.Outbox().Flush(context.Background())
	reuse := time.Since(start)
	if err != nil || sent != *n || cnt.got.Load() != int64(*n) {
		fail(fmt.Errorf("worker sent %d (server got %d): %v", sent, cnt.got.Load(), err))
	}
	app.Close()
	os.RemoveAll(dir)

	// One connection per message, same bookkeeping.
	cnt.got.Store(0)
	app, dir = queued(settings)
	ctx := context.Background()
	direct, err := store.Open(ctx, filepath.Join(app.DataDir(), core.DBFile)) // the core keeps its own handle to itself
	if err != nil {
		fail(err)
	}
	start = time.Now()
	due, err := direct.DueMail(ctx, time.Now().Add(time.Hour), *n)
	if err != nil || len(due) != *n {
		fail(fmt.Errorf("due: %d %v", len(due), err))
	}
	for _, m := range due {
		c, err := mail.DialSMTP(settings)
		if err != nil {
			fail(err)
		}
		if err := c.SendMail(m.From, []string{m.To}, bytes.NewReader(m.Raw)); err != nil {
			fail(err)
		}
		c.Quit()
		c.Close()
		if err := direct.Tx(ctx, func(tx *store.Tx) error {
			ok, err := tx.MarkMailSent(ctx, m.ID, time.Now())
			if err == nil && !ok {
				err = errors.New("not marked")
			}
			return err
		}); err != nil {
			fail(err)
		}
	}
	perMsg := time.Since(start)
	direct.Close()
	if cnt.got.Load() != int64(*n) {
		fail(fmt.Errorf("server got %d", cnt.got.Load()))
	}

	// Raw SMTP only, both ways, with the same messages.
	raw := due
	rawRun := func(reuseConn bool) time.Duration {
		cnt.got.Store(0)
		start := time.Now()
		var c *smtp.Client
		for i, m := range raw {
			if c == nil || !reuseConn {
				if c, err = mail.DialSMTP(settings); err != nil {
					fail(err)
				}
			}
			if err := c.SendMail(m.From, []string{m.To}, bytes.NewReader(m.Raw)); err != nil {
				fail(err)
			}
			if !reuseConn || i == len(raw)-1 {
				c.Quit()
				c.Close()
			}
		}
		if cnt.got.Load() != int64(len(raw)) {
			fail(fmt.Errorf("server got %d", cnt.got.Load()))
		}
		return time.Since(start)
	}
	rawReuse, rawPer := rawRun(true), rawRun(false)
	app.Close()
	os.RemoveAll(dir)

	rate := func(d time.Duration) float64 { return float64(*n) / d.Seconds() }
	fmt.Printf("outbox: %d invitations to a loopback go-smtp server\n", *n)
	fmt.Printf("outbox worker (connection reuse, 100 a connection, a transaction a message): %.0f messages/s (%v)\n", rate(reuse), reuse.Round(time.Millisecond))
	fmt.Printf("one connection per message (same transactions): %.0f messages/s (%v); reuse is %.1f× faster\n", rate(perMsg), perMsg.Round(time.Millisecond), float64(perMsg)/float64(reuse))
	fmt.Printf("raw SMTP, one connection for all: %.0f messages/s; one connection per message: %.0f messages/s (%.1f×)\n",
		rate(rawReuse), rate(rawPer), float64(rawPer)/float64(rawReuse))
}

// queued opens a fresh core with n invitations waiting in the outbox.
func queued(settings mail.SMTP) (*core.App, string) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "grantbook-bench-outbox-")
	if err != nil {
		fail(err)
	}
	app, err := core.Open(ctx, dir)
	if err != nil {
		fail(err)
	}
	app.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := app.PutMailSettings(ctx, mail.Settings{SMTP: settings}); err != nil {
		fail(err)
	}
	acc, err := app.CreateAccount(ctx, "Bench Ltd")
	if err != nil {
		fail(err)
	}
	for i := range *n {
		if _, err := app.Invite(ctx, core.InvitationInput{ContactInput: core.ContactInput{AccountID: acc.ID,
			FirstName: "Person", LastName: fmt.Sprint(i), Email: fmt.Sprintf("person%d@example.test", i), Preset: "billing"}}); err != nil {
			fail(err)
		}
	}
	return app, dir
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/outbox:", err)
	os.Exit(1)
}
