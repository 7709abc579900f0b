package mailtest

import (
	"bytes"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"grantbook/backend/mail"
)

// IMAP is an in-memory IMAP server with one user and an INBOX.
type IMAP struct {
	t        testing.TB
	Host     string // 127.0.0.1
	Port     int
	User     string
	Password string

	user     *imapmemserver.User
	srv      *imapserver.Server
	hideIdle bool

	mu    sync.Mutex
	conns map[*imapConn]struct{}
	total int
}

type imapConfig struct {
	user, pass string
	noIdle     bool
}

// IMAPOption configures NewIMAP.
type IMAPOption func(*imapConfig)

// WithoutIdle advertises IMAP4rev1 only and no IDLE: clients must poll.
// (go-imap's server always offers IDLE, even as IMAP4rev1; the test server
// strips it from its CAPABILITY lists.)
func WithoutIdle() IMAPOption { return func(c *imapConfig) { c.noIdle = true } }

// WithUser sets the login (default owner@example.test / imap-secret).
func WithUser(user, pass string) IMAPOption {
	return func(c *imapConfig) { c.user, c.pass = user, pass }
}

// NewIMAP starts a server on 127.0.0.1:0; it stops when the test ends.
func NewIMAP(t testing.TB, opts ...IMAPOption) *IMAP {
	t.Helper()
	cfg := imapConfig{user: "owner@example.test", pass: "imap-secret"}
	for _, o := range opts {
		o(&cfg)
	}
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(cfg.user, cfg.pass)
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatalf("mailtest: create INBOX: %v", err)
	}
	mem.AddUser(u)
	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	if cfg.noIdle {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}}
	}
	s := &IMAP{t: t, Host: "127.0.0.1", User: cfg.user, Password: cfg.pass, user: u, conns: map[*imapConn]struct{}{},
		hideIdle: cfg.noIdle}
	s.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.Port = ln.Addr().(*net.TCPAddr).Port
	go s.srv.Serve(&imapListener{Listener: ln, s: s})
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Addr is host:port.
func (s *IMAP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Settings are IMAP settings for this server (plain, loopback, INBOX).
func (s *IMAP) Settings() mail.IMAP {
	return mail.IMAP{Server: mail.Server{Host: s.Host, Port: s.Port, Security: mail.SecurityPlain,
		Username: s.User, Password: s.Password}, Mailbox: "INBOX"}
}

// Append adds raw to INBOX and returns its UID.
func (s *IMAP) Append(raw []byte) uint32 {
	s.t.Helper()
	return s.AppendTo("INBOX", raw)
}

// AppendTo adds raw to a mailbox and returns its UID.
func (s *IMAP) AppendTo(mailbox string, raw []byte) uint32 {
	s.t.Helper()
	return s.AppendAt(mailbox, raw, time.Now())
}

// AppendAt adds raw to a mailbox as arrived at t (its INTERNALDATE).
func (s *IMAP) AppendAt(mailbox string, raw []byte, t time.Time) uint32 {
	s.t.Helper()
	data, err := s.user.Append(mailbox, bytes.NewReader(raw), &imap.AppendOptions{Time: t})
	if err != nil {
		s.t.Fatalf("mailtest: append to %s: %v", mailbox, err)
	}
	return uint32(data.UID)
}

// UIDValidity reports a mailbox's UIDVALIDITY.
func (s *IMAP) UIDValidity(mailbox string) uint32 {
	s.t.Helper()
	st, err := s.user.Status(mailbox, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		s.t.Fatalf("mailtest: status of %s: %v", mailbox, err)
	}
	return st.UIDValidity
}

// Create adds an empty mailbox.
func (s *IMAP) Create(mailbox string) {
	s.t.Helper()
	if err := s.user.Create(mailbox, nil); err != nil {
		s.t.Fatalf("mailtest: create %s: %v", mailbox, err)
	}
}

// Recreate deletes and creates a mailbox: it is empty and has a new
// UIDVALIDITY, which it returns. Open connections are not told.
func (s *IMAP) Recreate(mailbox string) uint32 {
	s.t.Helper()
	if err := s.user.Delete(mailbox); err != nil {
		s.t.Fatalf("mailtest: delete %s: %v", mailbox, err)
	}
	if err := s.user.Create(mailbox, nil); err != nil {
		s.t.Fatalf("mailtest: create %s: %v", mailbox, err)
	}
	return s.UIDValidity(mailbox)
}

// KillConnections closes every open connection (the client sees EOF) and
// reports how many there were. New connections are accepted as usual.
func (s *IMAP) KillConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		c.Conn.Close()
		delete(s.conns, c)
		n++
	}
	return n
}

// StallConnections makes every open connection silent: the server still
// reads, but nothing it writes reaches the client, like a half-open TCP
// connection. It reports how many were stalled.
func (s *IMAP) StallConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if !c.stalled.Swap(true) {
			n++
		}
	}
	return n
}

// Connections counts the connections accepted so far.
func (s *IMAP) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// OpenConnections counts the connections open now.
func (s *IMAP) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

type imapListener struct {
	net.Listener
	s *IMAP
}

func (l *imapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	ic := &imapConn{Conn: c, s: l.s}
	l.s.mu.Lock()
	l.s.conns[ic] = struct{}{}
	l.s.total++
	l.s.mu.Unlock()
	return ic, nil
}

type imapConn struct {
	net.Conn
	s       *IMAP
	stalled atomic.Bool
}

func (c *imapConn) Write(b []byte) (int, error) {
	if c.stalled.Load() {
		return len(b), nil
	}
	if c.s.hideIdle && bytes.Contains(b, []byte("CAPABILITY")) {
		if _, err := c.Conn.Write(stripIdle(b)); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// stripIdle removes the IDLE capability from CAPABILITY responses and
// response codes in b.
func stripIdle(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\r\n"))
	for i, l := range lines {
		if bytes.Contains(l, []byte("CAPABILITY")) {
			l = bytes.ReplaceAll(l, []byte(" IDLE "), []byte(" "))
			l = bytes.ReplaceAll(l, []byte(" IDLE]"), []byte("]"))
			l = bytes.ReplaceAll(l, []byte(" IDLE\r\n"), []byte("\r\n"))
			lines[i] = l
		}
	}
	return bytes.Join(lines, nil)
}

func (c *imapConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	return c.Conn.Close()
}
