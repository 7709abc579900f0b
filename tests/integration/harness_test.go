//go:build integration

// Package integration runs Grantbook's mail path end to end against a real
// Dovecot (IMAP + LMTP) on loopback: the outbox sends through an in-process
// SMTP relay that delivers to Dovecot by LMTP, the invitee's copy is read
// back over IMAP, replies are delivered by LMTP to the owner's mailbox and
// the IDLE watcher acts on them. Start Dovecot with tests/dovecot/start.sh
// (tests/integration/run.sh does everything).
package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"grantbook/backend/core"
	"grantbook/backend/mail"
	"grantbook/backend/model"
	"grantbook/backend/proctest"
)

// dovecotEnv is what tests/dovecot/start.sh exports.
type dovecotEnv struct {
	imapAddr, lmtpAddr string
	owner, ownerPass   string
	inviteePass        string
	imapHost           string
	imapPort           int
}

func loadEnv(t *testing.T) dovecotEnv {
	t.Helper()
	imapAddr := os.Getenv("GRANTBOOK_DOVECOT_IMAP")
	if imapAddr == "" {
		t.Skip("GRANTBOOK_DOVECOT_IMAP is not set: this test needs a real Dovecot; run tests/integration/run.sh " +
			"(or eval \"$(tests/dovecot/start.sh DIR)\" first)")
	}
	e := dovecotEnv{
		imapAddr:    imapAddr,
		lmtpAddr:    os.Getenv("GRANTBOOK_DOVECOT_LMTP"),
		owner:       envOr("GRANTBOOK_DOVECOT_USER", "owner@example.test"),
		ownerPass:   envOr("GRANTBOOK_DOVECOT_PASS", "owner-secret"),
		inviteePass: envOr("GRANTBOOK_DOVECOT_INVITEE_PASS", "invitee-secret"),
	}
	if e.lmtpAddr == "" {
		t.Fatal("GRANTBOOK_DOVECOT_IMAP is set but GRANTBOOK_DOVECOT_LMTP is not: use the output of tests/dovecot/start.sh")
	}
	host, port, err := net.SplitHostPort(imapAddr)
	if err != nil {
		t.Fatalf("GRANTBOOK_DOVECOT_IMAP=%q: %v", imapAddr, err)
	}
	e.imapHost = host
	if e.imapPort, err = strconv.Atoi(port); err != nil {
		t.Fatalf("GRANTBOOK_DOVECOT_IMAP=%q: %v", imapAddr, err)
	}
	return e
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// ---- LMTP ----

// lmtpSend delivers raw to Dovecot by LMTP. It returns the per-recipient
// refusals (RCPT or DATA); err is for the connection itself.
func lmtpSend(addr, from string, rcpts []string, raw []byte) (map[string]*smtp.SMTPError, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("relay.example.test"); err != nil {
		return nil, fmt.Errorf("LHLO: %w", err)
	}
	if err := c.Mail(from, nil); err != nil {
		return nil, fmt.Errorf("MAIL FROM:<%s>: %w", from, err)
	}
	refused := map[string]*smtp.SMTPError{}
	accepted := 0
	for _, rcpt := range rcpts {
		if err := c.Rcpt(rcpt, nil); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				return nil, fmt.Errorf("RCPT TO:<%s>: %w", rcpt, err)
			}
			refused[rcpt] = se
			continue
		}
		accepted++
	}
	if accepted == 0 {
		c.Quit()
		return refused, nil
	}
	w, err := c.Data()
	if err != nil {
		return nil, fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return nil, fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.CloseWithLMTPResponse(); err != nil {
		var le smtp.LMTPDataError
		if !errors.As(err, &le) {
			return nil, fmt.Errorf("end of DATA: %w", err)
		}
		for rcpt, se := range le {
			refused[rcpt] = se
		}
	}
	c.Quit()
	return refused, nil
}

// ---- the SMTP relay in front of Dovecot ----

// relay is the owner's "SMTP server": it takes mail over SMTP with AUTH
// PLAIN and delivers it to Dovecot by LMTP, like a smarthost. A recipient
// Dovecot refuses for good is bounced to the envelope sender with an RFC
// 3464 delivery status notification, as a real MTA does after accepting
// the message. It counts deliveries per Message-ID and can be taken down
// and brought back on the same port.
type relay struct {
	lmtpAddr   string
	user, pass string
	logf       func(format string, args ...any)

	mu        sync.Mutex
	addr      string
	srv       *smtp.Server
	delivered map[string]int // Message-ID (no <>) -> successful LMTP deliveries
	dsnSeq    int
	bounces   sync.WaitGroup
}

func (r *relay) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv != nil {
		return errors.New("relay already up")
	}
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var l net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		if l, err = net.Listen("tcp", addr); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("relay: listen on %s: %w", addr, err)
	}
	r.addr = l.Addr().String()
	if r.delivered == nil {
		r.delivered = map[string]int{}
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &relaySession{r: r}, nil
	}))
	srv.Domain = "relay.example.test"
	srv.AllowInsecureAuth = true // loopback only
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = logfLogger(r.logf)
	r.srv = srv
	go srv.Serve(l)
	return nil
}

// stop takes the relay down: the port refuses connections until start.
func (r *relay) stop() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (r *relay) port() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, p, _ := net.SplitHostPort(r.addr)
	n, _ := strconv.Atoi(p)
	return n
}

// count is how many times a message was delivered to Dovecot.
func (r *relay) count(messageID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delivered[messageID]
}

func (r *relay) deliver(from string, rcpts []string, raw []byte) error {
	id := headerMessageID(raw)
	refused, err := lmtpSend(r.lmtpAddr, from, rcpts, raw)
	if err != nil {
		r.logf("relay: LMTP unavailable for %s: %v", id, err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 1}, Message: "relay: cannot reach the mailbox server, try again later"}
	}
	var failed []string
	temporary := 0
	for _, rcpt := range rcpts {
		se := refused[rcpt]
		switch {
		case se == nil:
		case se.Code >= 500:
			failed = append(failed, rcpt)
		default:
			temporary++
		}
	}
	delivered := len(rcpts) - len(failed) - temporary
	if delivered == 0 && temporary > 0 {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "relay: mailbox server busy, try again later"}
	}
	r.mu.Lock()
	if delivered > 0 {
		r.delivered[id]++
	}
	r.dsnSeq++
	seq := r.dsnSeq
	r.mu.Unlock()
	r.logf("relay: %s from <%s>: %d delivered, %d refused for good", id, from, delivered, len(failed))
	if len(failed) > 0 && from != "" {
		// Like an MTA: the message was accepted; the failure comes back later.
		r.bounces.Add(1)
		go func() {
			defer r.bounces.Done()
			dsn := buildDSN(from, failed, refused, raw, seq)
			if refused, err := lmtpSend(r.lmtpAddr, "", []string{from}, dsn); err != nil || len(refused) > 0 {
				r.logf("relay: cannot return the bounce to %s: %v %v", from, err, refused)
			}
		}()
	}
	return nil
}

type relaySession struct {
	r      *relay
	authed bool
	from   string
	to     []string
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *relaySession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.r.user || password != s.r.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		s.authed = true
		return nil
	}), nil
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *relaySession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return s.r.deliver(s.from, s.to, raw)
}

func (s *relaySession) Reset()        { s.from, s.to = "", nil }
func (s *relaySession) Logout() error { return nil }

type logfLogger func(format string, args ...any)

func (l logfLogger) Printf(format string, v ...any) { l(format, v...) }
func (l logfLogger) Println(v ...any)               { l("%s", fmt.Sprintln(v...)) }

// buildDSN is the relay's multipart/report delivery-status bounce (RFC 3464,
// RFC 6522) carrying the headers of the returned message.
func buildDSN(to string, failed []string, refused map[string]*smtp.SMTPError, orig []byte, seq int) []byte {
	now := time.Now()
	boundary := fmt.Sprintf("dsn-boundary-%d-%d", seq, now.UnixNano())
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	w("From: Mail Delivery System <MAILER-DAEMON@relay.example.test>")
	w("To: <%s>", to)
	w("Subject: Undelivered Mail Returned to Sender")
	w("Date: %s", now.Format(time.RFC1123Z))
	w("Message-ID: <dsn.%d.%d@relay.example.test>", seq, now.UnixNano())
	w("Auto-Submitted: auto-replied")
	w("MIME-Version: 1.0")
	w("Content-Type: multipart/report; report-type=delivery-status; boundary=\"%s\"", boundary)
	w("")
	w("--%s", boundary)
	w("Content-Type: text/plain; charset=us-ascii")
	w("")
	w("This is the mail system at host relay.example.test.")
	w("")
	w("Your message could not be delivered to one or more recipients.")
	for _, rcpt := range failed {
		w("<%s>: host 127.0.0.1 said: %s", rcpt, smtpReply(refused[rcpt]))
	}
	w("")
	w("--%s", boundary)
	w("Content-Type: message/delivery-status")
	w("")
	w("Reporting-MTA: dns; relay.example.test")
	w("Arrival-Date: %s", now.Format(time.RFC1123Z))
	for _, rcpt := range failed {
		se := refused[rcpt]
		w("")
		w("Final-Recipient: rfc822; %s", rcpt)
		w("Original-Recipient: rfc822;%s", rcpt)
		w("Action: failed")
		w("Status: %d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		w("Remote-MTA: dns; 127.0.0.1")
		w("Diagnostic-Code: smtp; %s", smtpReply(se))
	}
	w("")
	w("--%s", boundary)
	w("Content-Type: text/rfc822-headers")
	w("")
	head := orig
	if i := bytes.Index(orig, []byte("\r\n\r\n")); i >= 0 {
		head = orig[:i+2]
	}
	b.Write(head)
	w("")
	w("--%s--", boundary)
	return b.Bytes()
}

func smtpReply(se *smtp.SMTPError) string {
	if se == nil {
		return ""
	}
	return fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
}

// headerMessageID is the Message-ID of raw, without angle brackets.
func headerMessageID(raw []byte) string {
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	id, _ := r.Header.MessageID()
	return id
}

// ---- reading a Dovecot mailbox over IMAP ----

// mailbox returns every message of user's INBOX.
func mailbox(addr, user, pass string) ([][]byte, error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		return nil, fmt.Errorf("login %s: %w", user, err)
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("select INBOX of %s: %w", user, err)
	}
	var out [][]byte
	if sel.NumMessages > 0 {
		var seq imap.SeqSet
		seq.AddRange(1, sel.NumMessages)
		section := &imap.FetchItemBodySection{Peek: true}
		msgs, err := c.Fetch(seq, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return nil, fmt.Errorf("fetch INBOX of %s: %w", user, err)
		}
		for _, m := range msgs {
			out = append(out, m.FindBodySection(section))
		}
	}
	c.Logout().Wait()
	return out, nil
}

// withMessageID keeps the messages whose Message-ID is id.
func withMessageID(msgs [][]byte, id string) [][]byte {
	var out [][]byte
	for _, m := range msgs {
		if headerMessageID(m) == id {
			out = append(out, m)
		}
	}
	return out
}

// invitationMail is an invitation as the invitee's mailbox holds it.
type invitationMail struct {
	Raw           []byte
	MessageID     string // without <>
	From          string
	ReplyTo       string
	Subject       string
	Date          time.Time
	AutoSubmitted string
	DeliveredTo   string
	Text          string // the text/plain part, decoded
	Code          string // "Invitation code: ..." in Text
}

var codeRE = regexp.MustCompile(`Invitation code: ([a-z2-7]{26})`)

func parseInvitation(raw []byte) (*invitationMail, error) {
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	h := r.Header
	m := &invitationMail{Raw: raw, AutoSubmitted: h.Get("Auto-Submitted"), DeliveredTo: h.Get("Delivered-To")}
	m.MessageID, _ = h.MessageID()
	m.Subject, _ = h.Subject()
	m.Date, _ = h.Date()
	if from, err := h.AddressList("From"); err == nil && len(from) == 1 {
		m.From = from[0].Address
	}
	if rt, err := h.AddressList("Reply-To"); err == nil && len(rt) == 1 {
		m.ReplyTo = rt[0].Address
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if ih, ok := p.Header.(*gomail.InlineHeader); ok {
			if ct, _, _ := ih.ContentType(); ct == "text/plain" && m.Text == "" {
				b, err := io.ReadAll(p.Body)
				if err != nil {
					return nil, err
				}
				m.Text = string(b)
			}
		}
	}
	if sm := codeRE.FindStringSubmatch(m.Text); sm != nil {
		m.Code = sm[1]
	}
	return m, nil
}

// ---- composing what the invitee (or someone else) sends back ----

var replySeq atomic.Int64

type reply struct {
	FromName, FromAddr string
	Text               string            // the new text, above the quote
	Headers            map[string]string // extra header fields
	// To the owner's plain address, without In-Reply-To and References, as
	// some webmail and phone clients answer.
	NoThread bool
	To       string
}

// build composes a reply to inv the way a mail client does: To the
// Reply-To, Re: subject, In-Reply-To and References, the original quoted
// under an attribution line. It returns the reply's Message-ID (no <>).
func (rp reply) build(inv *invitationMail) (string, []byte) {
	id := fmt.Sprintf("reply.%d.%d@example.test", replySeq.Add(1), time.Now().UnixNano())
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	to := inv.ReplyTo
	if rp.To != "" {
		to = rp.To
	}
	w("From: %s <%s>", mime.QEncoding.Encode("utf-8", rp.FromName), rp.FromAddr)
	w("To: <%s>", to)
	w("Subject: %s", mime.QEncoding.Encode("utf-8", "Re: "+inv.Subject))
	w("Date: %s", time.Now().Format(time.RFC1123Z))
	w("Message-ID: <%s>", id)
	if !rp.NoThread {
		w("In-Reply-To: <%s>", inv.MessageID)
		w("References: <%s>", inv.MessageID)
	}
	for k, v := range rp.Headers {
		w("%s: %s", k, v)
	}
	w("MIME-Version: 1.0")
	w("Content-Type: text/plain; charset=utf-8")
	w("Content-Transfer-Encoding: 8bit")
	w("")
	for _, l := range strings.Split(rp.Text, "\n") {
		w("%s", l)
	}
	w("")
	w("On %s, %s wrote:", inv.Date.Format("Mon, 2 Jan 2006 at 15:04"), inv.From)
	for _, l := range strings.Split(strings.ReplaceAll(inv.Text, "\r\n", "\n"), "\n") {
		w("> %s", l)
	}
	return id, b.Bytes()
}

// ---- the harness ----

// logBuffer collects the app's log; it is printed when a test fails.
type logBuffer = proctest.Buffer

type harness struct {
	env    dovecotEnv
	app    *core.App
	relay  *relay
	border *border // the owner's receiving server
	signer *sender // the invitees' provider, signing for example.test
	ctx    context.Context
	logs   *logBuffer
	log    *slog.Logger
}

func newHarness(t *testing.T) *harness {
	e := loadEnv(t)
	t.Setenv("GRANTBOOK_KEYRING", "off")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := &harness{env: e, ctx: ctx, logs: logs, log: log}

	app, err := core.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	app.SetLogger(log)
	h.app = app

	h.relay = &relay{lmtpAddr: e.lmtpAddr, user: e.owner, pass: e.ownerPass,
		logf: func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }}
	if err := h.relay.start(); err != nil {
		t.Fatal(err)
	}
	signer, dnsName, record := newSender("example.test")
	h.signer = signer
	h.border = &border{lmtpAddr: e.lmtpAddr, keys: map[string]string{dnsName: record},
		logf: func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) }}
	if err := h.border.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		h.border.stop()
		h.relay.stop()
		h.relay.bounces.Wait()
		// The workers stop on cancel; give them a moment before the
		// database goes.
		time.Sleep(100 * time.Millisecond)
		app.Close()
		if t.Failed() {
			t.Logf("app and relay log:\n%s", logs.String())
		}
	})

	// Start as the app does, before mail is set up: the watcher waits,
	// and the settings wake it (one IMAP session from then on).
	app.Start(ctx)
	eventually(t, 5*time.Second, "the inbox watcher does not wait for settings", func() (bool, string) {
		st := app.Inbox().Status()
		return st.State == "off", fmt.Sprintf("%+v", st)
	})
	_, err = app.PutMailSettings(ctx, mail.Settings{
		SMTP: mail.SMTP{Server: mail.Server{Host: "127.0.0.1", Port: h.relay.port(), Security: mail.SecurityPlain,
			Username: e.owner, Password: e.ownerPass}, FromName: "Olivia Owner", FromEmail: e.owner},
		IMAP: mail.IMAP{Server: mail.Server{Host: e.imapHost, Port: e.imapPort, Security: mail.SecurityPlain,
			Username: e.owner, Password: e.ownerPass}, Mailbox: "INBOX", TrustedAuthServID: servID},
	})
	if err != nil {
		t.Fatalf("PutMailSettings: %v", err)
	}
	for _, which := range []string{"smtp", "imap"} {
		res, err := app.TestMail(ctx, which)
		if err != nil || !res.OK {
			t.Fatalf("TestMail(%s) = %+v, %v", which, res, err)
		}
		t.Logf("TestMail(%s): %s", which, res.Message)
	}
	h.waitIdle(t)
	return h
}

// sessions counts the IMAP sessions the watcher has opened so far.
func (h *harness) sessions() int { return strings.Count(h.logs.String(), "inbox: watching") }

// eventually polls cond every 10 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	eventuallyEvery(t, timeout, 10*time.Millisecond, what, cond)
}

func eventuallyEvery(t *testing.T, timeout, every time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(every)
	}
}

// waitIdle waits until the watcher sits in IDLE on the owner's INBOX.
func (h *harness) waitIdle(t *testing.T) {
	t.Helper()
	eventually(t, 15*time.Second, "the inbox watcher is not in IDLE", func() (bool, string) {
		st := h.app.Inbox().Status()
		return st.State == "idle" && st.Mode == "idle", fmt.Sprintf("%+v", st)
	})
}

func (h *harness) account(t *testing.T, name string) *model.Account {
	t.Helper()
	acc, err := h.app.CreateAccount(h.ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func (h *harness) invite(t *testing.T, accountID int64, first, last, email string) *model.Invitation {
	t.Helper()
	inv, err := h.app.Invite(h.ctx, core.InvitationInput{ContactInput: core.ContactInput{AccountID: accountID,
		FirstName: first, LastName: last, Email: email, Preset: "billing"}, Note: "See you on the portal."})
	if err != nil {
		t.Fatalf("Invite(%s): %v", email, err)
	}
	if inv.State != model.InvQueued {
		t.Fatalf("new invitation is %q, want queued", inv.State)
	}
	return inv
}

func (h *harness) invitation(t *testing.T, id int64) *model.Invitation {
	t.Helper()
	inv, err := h.app.Invitation(h.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func (h *harness) waitState(t *testing.T, id int64, state string, timeout time.Duration) *model.Invitation {
	t.Helper()
	var inv *model.Invitation
	eventually(t, timeout, fmt.Sprintf("invitation %d is not %s", id, state), func() (bool, string) {
		inv = h.invitation(t, id)
		return inv.State == state, fmt.Sprintf("state %s, detail %q, outbox %+v", inv.State, inv.Detail, h.app.Outbox().Status())
	})
	return inv
}

// receive waits for the invitation messageID in user's mailbox, reads it
// over IMAP and checks that it carries the token everywhere it should.
func (h *harness) receive(t *testing.T, user, messageID string) *invitationMail {
	t.Helper()
	var raw []byte
	eventuallyEvery(t, 10*time.Second, 50*time.Millisecond, fmt.Sprintf("<%s> did not reach %s", messageID, user), func() (bool, string) {
		msgs, err := mailbox(h.env.imapAddr, user, h.env.inviteePass)
		if err != nil {
			return false, err.Error()
		}
		found := withMessageID(msgs, messageID)
		if len(found) > 0 {
			raw = found[0]
		}
		return len(found) > 0, fmt.Sprintf("%d messages in the mailbox", len(msgs))
	})
	m, err := parseInvitation(raw)
	if err != nil {
		t.Fatalf("parse the invitation in %s's mailbox: %v\n%s", user, err, raw)
	}
	if m.Code == "" {
		t.Fatalf("no invitation code in the text:\n%s", m.Text)
	}
	wantReplyTo := strings.Replace(h.env.owner, "@", "+"+m.Code+"@", 1)
	switch {
	case m.MessageID != messageID:
		t.Fatalf("Message-ID %q, want %q", m.MessageID, messageID)
	case !strings.Contains(m.MessageID, m.Code):
		t.Fatalf("Message-ID %q does not carry the code %s", m.MessageID, m.Code)
	case m.ReplyTo != wantReplyTo:
		t.Fatalf("Reply-To %q, want %q", m.ReplyTo, wantReplyTo)
	case m.From != h.env.owner:
		t.Fatalf("From %q, want %q", m.From, h.env.owner)
	case m.AutoSubmitted != "auto-generated":
		t.Fatalf("Auto-Submitted %q, want auto-generated", m.AutoSubmitted)
	case !strings.EqualFold(m.DeliveredTo, user):
		t.Fatalf("Delivered-To %q, want %q", m.DeliveredTo, user)
	}
	return m
}

// deliver hands raw to Dovecot by LMTP for rcpt and returns the moment
// Dovecot confirmed it was stored.
func (h *harness) deliver(t *testing.T, from, rcpt string, raw []byte) time.Time {
	t.Helper()
	refused, err := lmtpSend(h.env.lmtpAddr, from, []string{rcpt}, raw)
	if err != nil {
		t.Fatalf("LMTP delivery to %s: %v", rcpt, err)
	}
	if se := refused[rcpt]; se != nil {
		t.Fatalf("LMTP refused %s: %v", rcpt, se)
	}
	return time.Now()
}

// event waits until the watcher has recorded its decision on messageID.
func (h *harness) event(t *testing.T, invitationID int64, messageID string) *model.MailEvent {
	t.Helper()
	var ev *model.MailEvent
	eventually(t, 10*time.Second, fmt.Sprintf("no mail event for <%s>", messageID), func() (bool, string) {
		evs, err := h.app.MailEvents(h.ctx, invitationID, 100)
		if err != nil {
			return false, err.Error()
		}
		for _, e := range evs {
			if e.MessageID == messageID {
				ev = e
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events for invitation %d; inbox %+v", len(evs), invitationID, h.app.Inbox().Status())
	})
	return ev
}

// granted reports whether the contact is active and allowed what the
// billing preset gives.
func (h *harness) granted(t *testing.T, contactID int64) (bool, string) {
	t.Helper()
	c, err := h.app.Contact(h.ctx, contactID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.app.Check(h.ctx, contactID, "invoices.view", 0)
	if err != nil {
		t.Fatal(err)
	}
	return c.Status == model.StatusActive && res.Allowed, fmt.Sprintf("contact %s; check: %s", c.Status, res.Reason)
}

func (h *harness) assertNotGranted(t *testing.T, contactID int64) {
	t.Helper()
	c, err := h.app.Contact(h.ctx, contactID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != model.StatusInvited {
		t.Errorf("contact %d is %s, want still invited", contactID, c.Status)
	}
	res, err := h.app.Check(h.ctx, contactID, "invoices.view", 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Allowed {
		t.Errorf("Check(invoices.view) allowed (%s), want denied", res.Reason)
	}
}

func expectEvent(t *testing.T, ev *model.MailEvent, verdict, reasonPart string) {
	t.Helper()
	if ev.Verdict != verdict || !strings.Contains(ev.Reason, reasonPart) {
		t.Errorf("mail event: verdict %q reason %q; want %q with %q", ev.Verdict, ev.Reason, verdict, reasonPart)
	}
}
