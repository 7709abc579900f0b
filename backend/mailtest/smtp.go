// Package mailtest runs in-process SMTP and IMAP servers on 127.0.0.1 for
// tests: an SMTP server that records what it receives and can refuse or be
// taken down, and an IMAP server (go-imap's memory backend) with one user
// and an INBOX that tests append to.
package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"grantbook/backend/mail"
)

// Message is one message the SMTP server accepted.
type Message struct {
	Helo string // the client's EHLO/HELO name
	From string // MAIL FROM
	To   []string
	Data []byte
	Conn int // which connection (1 = the first) carried it
}

// SMTP is a recording SMTP server. Its methods are safe for concurrent use.
type SMTP struct {
	t    testing.TB
	Host string // 127.0.0.1
	Port int

	user, pass string // AUTH PLAIN credentials; empty: no AUTH offered

	mu         sync.Mutex
	srv        *smtp.Server
	ln         net.Listener
	msgs       []Message
	conns      int
	refuseRcpt func(rcpt string) *smtp.SMTPError
	refuseFrom func(from string) bool
	refuseData func(from string, to []string) *smtp.SMTPError
	onData     func(Message)
	changed    chan struct{} // closed and replaced whenever msgs grows
}

// SMTPOption configures NewSMTP.
type SMTPOption func(*SMTP)

// WithAuth makes the server offer AUTH PLAIN and demand it before MAIL.
func WithAuth(user, pass string) SMTPOption {
	return func(s *SMTP) { s.user, s.pass = user, pass }
}

// NewSMTP starts a server on 127.0.0.1:0; it stops when the test ends.
func NewSMTP(t testing.TB, opts ...SMTPOption) *SMTP {
	t.Helper()
	s := &SMTP{t: t, Host: "127.0.0.1", changed: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	s.serve(ln)
	t.Cleanup(s.Down)
	return s
}

// Addr is host:port.
func (s *SMTP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Settings are SMTP settings for this server (plain, loopback) sending as
// from; with WithAuth the credentials are filled in.
func (s *SMTP) Settings(from string) mail.SMTP {
	return mail.SMTP{Server: mail.Server{Host: s.Host, Port: s.Port, Security: mail.SecurityPlain,
		Username: s.user, Password: s.pass}, FromEmail: from}
}

func (s *SMTP) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	}))
	srv.Domain = "mailtest.invalid"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(&countingListener{Listener: ln, accepted: func(net.Conn) int {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.conns++
		return s.conns
	}})
}

// Down closes the listener and every open connection: connecting fails
// until Up.
func (s *SMTP) Down() {
	s.mu.Lock()
	srv := s.srv
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Up listens again on the same port after Down.
func (s *SMTP) Up() {
	s.t.Helper()
	s.mu.Lock()
	up := s.srv != nil
	s.mu.Unlock()
	if up {
		return
	}
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		if ln, err = net.Listen("tcp", s.Addr()); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("mailtest: listen again on %s: %v", s.Addr(), err)
	}
	s.serve(ln)
}

// RefuseRcpt answers RCPT TO with code (4xx or 5xx) for recipients that
// match (nil: every recipient). A code of 0 accepts again.
func (s *SMTP) RefuseRcpt(code int, match func(rcpt string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		s.refuseRcpt = nil
		return
	}
	e := smtpError(code)
	s.refuseRcpt = func(rcpt string) *smtp.SMTPError {
		if match == nil || match(rcpt) {
			return e
		}
		return nil
	}
}

// RefuseSender answers MAIL FROM with 553 5.7.1 for senders that match,
// as submission servers do for an address the login does not own. nil
// accepts every sender again.
func (s *SMTP) RefuseSender(match func(from string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseFrom = match
}

// RefuseData answers the end of DATA with code (the message is read, then
// refused). A code of 0 accepts again.
func (s *SMTP) RefuseData(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		s.refuseData = nil
		return
	}
	e := smtpError(code)
	s.refuseData = func(string, []string) *smtp.SMTPError { return e }
}

// OnData runs fn for each accepted message, on the server's goroutine,
// before the client sees the 250 reply.
func (s *SMTP) OnData(fn func(Message)) {
	s.mu.Lock()
	s.onData = fn
	s.mu.Unlock()
}

func smtpError(code int) *smtp.SMTPError {
	class := code / 100
	msg := "mailtest refuses"
	if class == 4 {
		msg = "mailtest: try again later"
	} else if class == 5 {
		msg = "mailtest: no such user here"
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, 1, 1}, Message: msg}
}

// Messages returns a copy of what was accepted so far.
func (s *SMTP) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Connections counts accepted TCP connections.
func (s *SMTP) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// WaitMessages waits until at least n messages were accepted and returns
// them; it fails the test after timeout.
func (s *SMTP) WaitMessages(n int, timeout time.Duration) []Message {
	s.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Message(nil), s.msgs...)
			s.mu.Unlock()
			return out
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			s.t.Fatalf("mailtest: %d messages after %v, want %d", len(s.Messages()), timeout, n)
			return nil
		}
	}
}

type smtpSession struct {
	s      *SMTP
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (ss *smtpSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if ss.s.user == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if (identity != "" && identity != user) || user != ss.s.user || pass != ss.s.pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.s.mu.Lock()
	refuse := ss.s.refuseFrom
	ss.s.mu.Unlock()
	if refuse != nil && refuse(from) {
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "mailtest: sender address not owned by user"}
	}
	ss.from, ss.to = from, nil
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	refuse := ss.s.refuseRcpt
	ss.s.mu.Unlock()
	if refuse != nil {
		if e := refuse(to); e != nil {
			return e
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if len(ss.to) == 0 {
		return errors.New("no recipients")
	}
	ss.s.mu.Lock()
	refuse, onData := ss.s.refuseData, ss.s.onData
	ss.s.mu.Unlock()
	if refuse != nil {
		if e := refuse(ss.from, ss.to); e != nil {
			return e
		}
	}
	m := Message{Helo: ss.conn.Hostname(), From: ss.from, To: append([]string(nil), ss.to...), Data: buf.Bytes(),
		Conn: connNumber(ss.conn.Conn())}
	if onData != nil {
		onData(m)
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	close(ss.s.changed)
	ss.s.changed = make(chan struct{})
	ss.s.mu.Unlock()
	return nil
}

// countingListener numbers the connections it accepts.
type countingListener struct {
	net.Listener
	accepted func(net.Conn) int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &numberedConn{Conn: c, n: l.accepted(c)}, nil
}

type numberedConn struct {
	net.Conn
	n int
}

func connNumber(c net.Conn) int {
	if nc, ok := c.(*numberedConn); ok {
		return nc.n
	}
	return 0
}

// String describes a message for failure output.
func (m Message) String() string {
	return fmt.Sprintf("conn %d, from %s to %v, %d bytes", m.Conn, m.From, m.To, len(m.Data))
}
