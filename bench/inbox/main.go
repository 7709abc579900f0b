// Command inbox measures the reply watcher against a real Dovecot (start it
// with bench/inbox.sh, which runs this): a mailbox of -noise unrelated
// messages and -replies genuine replies to invitations, written as maildir
// files for Dovecot to index, then
//
//   - catch-up: the watcher's first pass (connect, search, fetch, classify,
//     accept) until all replies are acted on, against a minimal client
//     doing UID FETCH 1:* BODY.PEEK[HEADER] of the same mailbox in the same
//     run (target: ≤ 1.2×). The watcher searches the headers and FROM each
//     of the -replies + -idle pending invitees; the replies carry the
//     receiving server's DMARC pass, as the owner's provider adds it. The
//     unrelated mail arrived over -noise-age before the invitations, as an
//     existing mailbox's did (0: all of it after them, the worst case: the
//     watcher then searches all of it);
//   - IDLE: -idle replies delivered one by one over LMTP while the watcher
//     idles, each timed from delivery to the invitation being accepted
//     (target: median ≤ 1 s).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"grantbook/backend/core"
	"grantbook/backend/inbox"
	"grantbook/backend/mail"
	"grantbook/backend/store"
)

var (
	noise    = flag.Int("noise", 10_000, "unrelated messages in the mailbox")
	replies  = flag.Int("replies", 100, "replies to invitations among them")
	idleN    = flag.Int("idle", 30, "replies delivered one by one while the watcher idles")
	baseRuns = flag.Int("baseline-runs", 3, "runs of the minimal header fetch (median reported)")
	bodySize = flag.Int("body", 4096, "approximate size in bytes of an unrelated message body")
	noiseAge = flag.Duration("noise-age", 30*24*time.Hour, "the unrelated messages arrived over this time before the invitations (0: all after them)")
)

// benchServID stands for the owner's receiving server.
const benchServID = "mx.bench.test"

type env struct {
	imapAddr, lmtpAddr, user, pass, maildir string
}

func main() {
	flag.Parse()
	os.Setenv("GRANTBOOK_KEYRING", "off")
	e := env{imapAddr: os.Getenv("GRANTBOOK_DOVECOT_IMAP"), lmtpAddr: os.Getenv("GRANTBOOK_DOVECOT_LMTP"),
		user: os.Getenv("GRANTBOOK_DOVECOT_USER"), pass: os.Getenv("GRANTBOOK_DOVECOT_PASS")}
	dir := os.Getenv("BENCH_DOVECOT_DIR")
	if e.imapAddr == "" || dir == "" {
		fail(fmt.Errorf("run me through bench/inbox.sh (it starts Dovecot and sets GRANTBOOK_DOVECOT_* and BENCH_DOVECOT_DIR)"))
	}
	e.maildir = filepath.Join(dir, "mail", e.user, "Maildir")
	ctx := context.Background()

	data, err := os.MkdirTemp("", "grantbook-bench-inbox-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(data)
	app, err := core.Open(ctx, data)
	if err != nil {
		fail(err)
	}
	defer app.Close()
	direct, err := store.Open(ctx, filepath.Join(app.DataDir(), core.DBFile)) // the core keeps its own handle to itself
	if err != nil {
		fail(err)
	}
	defer direct.Close()
	app.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	host, port, _ := net.SplitHostPort(e.imapAddr)
	iport, _ := strconv.Atoi(port)
	if _, err := app.PutMailSettings(ctx, mail.Settings{
		// Nothing is sent: the outbox worker is not started.
		SMTP: mail.SMTP{Server: mail.Server{Host: "127.0.0.1", Port: 1, Security: mail.SecurityPlain}, FromName: "Olivia Owner", FromEmail: e.user},
		IMAP: mail.IMAP{Server: mail.Server{Host: host, Port: iport, Security: mail.SecurityPlain, Username: e.user, Password: e.pass},
			Mailbox: "INBOX", TrustedAuthServID: benchServID},
	}); err != nil {
		fail(err)
	}
	acc, err := app.CreateAccount(ctx, "Bench Ltd")
	if err != nil {
		fail(err)
	}
	total := *replies + *idleN
	invs := make([]int64, total)
	for i := range total {
		inv, err := app.Invite(ctx, core.InvitationInput{ContactInput: core.ContactInput{AccountID: acc.ID,
			FirstName: "Person", LastName: fmt.Sprint(i), Email: fmt.Sprintf("person%d@example.test", i), Preset: "billing"}})
		if err != nil {
			fail(err)
		}
		invs[i] = inv.ID
	}
	mails := invitationMails(direct, invs)

	// The mailbox: noise with the replies spread through it, as maildir files.
	start := time.Now()
	for _, d := range []string{"", "new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(e.maildir, d), 0o700); err != nil {
			fail(err)
		}
	}
	every := max(*noise/max(*replies, 1), 1)
	n, r := 0, 0
	now := time.Now()
	for i := range *noise {
		if i%every == every/2 && r < *replies {
			writeMaildir(e.maildir, n, reply(mails[r], r), now)
			n, r = n+1, r+1
		}
		arrived := now.Add(-*noiseAge + time.Duration(i)*(*noiseAge/time.Duration(*noise)))
		writeMaildir(e.maildir, n, unrelated(i), arrived)
		n++
	}
	for ; r < *replies; r++ {
		writeMaildir(e.maildir, n, reply(mails[r], r), now)
		n++
	}
	chownAll(filepath.Join(dir, "mail"))
	fmt.Printf("mailbox: %d messages (%d unrelated of ~%d bytes, %d replies) written as maildir files in %v\n",
		n, *noise, *bodySize, *replies, time.Since(start).Round(time.Millisecond))

	// Dovecot indexes the new files on first access; do that before timing.
	start = time.Now()
	if _, err := headerFetch(e); err != nil {
		fail(err)
	}
	fmt.Printf("warm-up (Dovecot indexes the mailbox, first header fetch): %v\n", time.Since(start).Round(time.Millisecond))

	var base []time.Duration
	for range *baseRuns {
		start := time.Now()
		got, err := headerFetch(e)
		if err != nil {
			fail(err)
		}
		if got != n {
			fail(fmt.Errorf("header fetch got %d messages, want %d", got, n))
		}
		base = append(base, time.Since(start))
	}

	// The watcher's SEARCH commands alone (inbox.Candidates: headers, then
	// FROM the invitees among the mail that arrived since the invitations),
	// to tell the search from the rest of the catch-up.
	watch, err := app.Watch(ctx)
	if err != nil {
		fail(err)
	}
	var search, headerOnly []time.Duration
	for range *baseRuns {
		start := time.Now()
		if _, err := candidateSearch(e, inbox.Watch{Since: watch.Since}, uint32(n)); err != nil {
			fail(err)
		}
		headerOnly = append(headerOnly, time.Since(start))
		start = time.Now()
		if _, err := candidateSearch(e, watch, uint32(n)); err != nil {
			fail(err)
		}
		search = append(search, time.Since(start))
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start = time.Now()
	// The app's watcher, with its Process calls timed.
	proc := &timedProcessor{App: app}
	watcher := &inbox.Watcher{Settings: app.Inbox().Settings, Processor: proc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	go watcher.Run(wctx)
	for accepted(direct, invs[:*replies]) < *replies {
		if time.Since(start) > 10*time.Minute {
			fail(fmt.Errorf("catch-up: only %d of %d accepted after 10 minutes", accepted(direct, invs[:*replies]), *replies))
		}
		time.Sleep(2 * time.Millisecond)
	}
	catchUp := time.Since(start)
	mb := median(base)
	fmt.Printf("catch-up: minimal client UID FETCH 1:* BODY.PEEK[HEADER] of %d messages: median %v of %v\n", n, ms(mb), list(base))
	fmt.Printf("catch-up: watcher's first pass until all %d replies accepted: %v\n", *replies, ms(catchUp))
	fmt.Printf("catch-up: of which the watcher's UID SEARCH commands (inbox.Candidates: SINCE the first invitation; headers; FROM %d invitees in %d batches) alone, fresh connection: median %v of %v\n",
		len(watch.Invitees), len(inbox.FromSearches(watch.Invitees)), ms(median(search)), list(search))
	fmt.Printf("catch-up: the same without the FROM searches, fresh connection: median %v of %v\n", ms(median(headerOnly)), list(headerOnly))
	ratio := float64(catchUp) / float64(mb)
	fmt.Printf("catch-up ratio watcher/header fetch: %.2f×; target ≤ 1.2×: %s\n", ratio, verdict(ratio <= 1.2))

	// IDLE: one reply at a time, delivered by LMTP.
	fmt.Printf("catch-up: of which deciding the %d fetched messages (core.App.Process: classify, act, log, cursor): %v\n", proc.n, ms(proc.total))
	for watcher.Status().State != "idle" {
		time.Sleep(5 * time.Millisecond)
	}
	var lat []time.Duration
	for k := range *idleN {
		i := *replies + k
		raw := reply(mails[i], i)
		t0 := time.Now()
		if err := lmtp(e.lmtpAddr, mails[i].ReplyTo, raw); err != nil {
			fail(err)
		}
		for accepted(direct, invs[i:i+1]) == 0 {
			if time.Since(t0) > time.Minute {
				fail(fmt.Errorf("IDLE: reply %d not acted on after a minute", k))
			}
			time.Sleep(time.Millisecond)
		}
		lat = append(lat, time.Since(t0))
		time.Sleep(100 * time.Millisecond)
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	fmt.Printf("IDLE: delivery (LMTP) → invitation accepted over %d replies: median %v, p95 %v, max %v; target median ≤ 1 s: %s\n",
		len(s), ms(s[len(s)/2]), ms(s[len(s)*95/100]), ms(s[len(s)-1]), verdict(s[len(s)/2] <= time.Second))
}

// timedProcessor adds up the time spent in Process.
type timedProcessor struct {
	*core.App
	n     int
	total time.Duration
}

func (p *timedProcessor) Process(ctx context.Context, mailbox string, uidValidity, uid uint32, raw []byte) error {
	start := time.Now()
	err := p.App.Process(ctx, mailbox, uidValidity, uid, raw)
	p.n++
	p.total += time.Since(start)
	return err
}

type invMail struct {
	MessageID, ReplyTo, Subject, From, To, Text string
	Date                                        time.Time
}

// invitationMails reads the queued invitation messages back from the outbox.
func invitationMails(direct *store.Store, ids []int64) []invMail {
	out := make([]invMail, len(ids))
	for i, id := range ids {
		var raw []byte
		if err := direct.DB().QueryRow(`SELECT raw FROM outbox WHERE kind = 'invitation' AND ref_id = ?`, id).Scan(&raw); err != nil {
			fail(err)
		}
		r, err := gomail.CreateReader(bytes.NewReader(raw))
		if err != nil {
			fail(err)
		}
		m := invMail{}
		m.MessageID, _ = r.Header.MessageID()
		m.Subject, _ = r.Header.Subject()
		m.Date, _ = r.Header.Date()
		if a, err := r.Header.AddressList("Reply-To"); err == nil && len(a) == 1 {
			m.ReplyTo = a[0].Address
		}
		if a, err := r.Header.AddressList("From"); err == nil && len(a) == 1 {
			m.From = a[0].Address
		}
		if a, err := r.Header.AddressList("To"); err == nil && len(a) == 1 {
			m.To = a[0].Address
		}
		for {
			p, err := r.NextPart()
			if err != nil {
				break
			}
			if ih, ok := p.Header.(*gomail.InlineHeader); ok {
				if ct, _, _ := ih.ContentType(); ct == "text/plain" && m.Text == "" {
					b, _ := io.ReadAll(p.Body)
					m.Text = string(b)
				}
			}
		}
		out[i] = m
	}
	return out
}

// reply is the invitee's genuine answer, as a mail client writes it.
func reply(m invMail, i int) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("Return-Path: <%s>", m.To)
	w("Authentication-Results: %s; dmarc=pass header.from=example.test", benchServID)
	w("From: Person %d <%s>", i, m.To)
	w("To: <%s>", m.ReplyTo)
	w("Subject: %s", mime.QEncoding.Encode("utf-8", "Re: "+m.Subject))
	w("Date: %s", time.Now().Format(time.RFC1123Z))
	w("Message-ID: <reply.%d.%d@example.test>", i, time.Now().UnixNano())
	w("In-Reply-To: <%s>", m.MessageID)
	w("References: <%s>", m.MessageID)
	w("MIME-Version: 1.0")
	w("Content-Type: text/plain; charset=utf-8")
	w("")
	w("Yes, happy to accept. Thanks!")
	w("")
	w("On %s, %s wrote:", m.Date.Format("Mon, 2 Jan 2006 at 15:04"), m.From)
	for _, l := range strings.Split(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") {
		w("> %s", l)
	}
	return b.Bytes()
}

// unrelated is a newsletter-like message that concerns no invitation.
func unrelated(i int) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("Return-Path: <news%d@shop.example.test>", i%50)
	w("From: Shop %d <news%d@shop.example.test>", i%50, i%50)
	w("To: <owner@example.test>")
	w("Subject: Weekly offers, issue %d", i)
	w("Date: %s", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z))
	w("Message-ID: <news.%d@shop.example.test>", i)
	w("MIME-Version: 1.0")
	w("Content-Type: text/plain; charset=utf-8")
	w("")
	line := fmt.Sprintf("Item %d: a fine thing at a fine price, while stocks last. ", i)
	for b.Len() < *bodySize {
		w("%s", line)
	}
	return b.Bytes()
}

// writeMaildir stores a message; its mtime is its arrival (INTERNALDATE).
func writeMaildir(dir string, n int, raw []byte, arrived time.Time) {
	name := fmt.Sprintf("%d.M%dP1.bench,S=%d", 1767225600+n, n, len(raw))
	p := filepath.Join(dir, "new", name)
	if err := os.WriteFile(p, raw, 0o600); err != nil {
		fail(err)
	}
	if err := os.Chtimes(p, arrived, arrived); err != nil {
		fail(err)
	}
}

// chownAll gives the mail tree to Dovecot's mail user (65534).
func chownAll(root string) {
	filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			os.Chown(p, 65534, 65534)
		}
		return nil
	})
}

// headerFetch is the minimal client: log in, select, fetch every header.
func headerFetch(e env) (int, error) {
	c, err := imapclient.DialInsecure(e.imapAddr, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Login(e.user, e.pass).Wait(); err != nil {
		return 0, err
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	uids := imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}
	msgs, err := c.Fetch(uids, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return 0, err
	}
	c.Logout().Wait()
	return len(msgs), nil
}

func candidateSearch(e env, watch inbox.Watch, top uint32) (int, error) {
	c, err := imapclient.DialInsecure(e.imapAddr, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Login(e.user, e.pass).Wait(); err != nil {
		return 0, err
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	uids, err := inbox.Candidates(c, watch, 0, top)
	if err != nil {
		return 0, err
	}
	c.Logout().Wait()
	return len(uids), nil
}

func lmtp(addr, rcpt string, raw []byte) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("bench.example.test"); err != nil {
		return err
	}
	if err := c.Mail("person@example.test", nil); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func accepted(direct *store.Store, ids []int64) int {
	n := 0
	for _, id := range ids {
		var st string
		if err := direct.DB().QueryRow(`SELECT state FROM invitations WHERE id = ?`, id).Scan(&st); err != nil {
			fail(err)
		}
		if st == "accepted" {
			n++
		}
	}
	return n
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func list(ds []time.Duration) string {
	var out []string
	for _, d := range ds {
		out = append(out, ms(d))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/inbox:", err)
	os.Exit(1)
}
