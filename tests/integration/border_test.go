//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"grantbook/backend/model"
)

// servID is the authserv-id of the owner's border MTA; the app trusts it.
const servID = "mx.example.test"

// border is the owner's border MTA in front of Dovecot: it takes mail from
// the Internet over SMTP, removes Authentication-Results fields that claim
// its authserv-id (RFC 8601 section 5), verifies DKIM signatures against
// its key table (standing in for DNS), records the result in its own
// Authentication-Results field at the top and delivers by LMTP.
type border struct {
	lmtpAddr string
	keys     map[string]string // "selector._domainkey.domain" -> TXT record
	logf     func(format string, args ...any)

	mu   sync.Mutex
	addr string
	srv  *smtp.Server
}

func (b *border) start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("border: %w", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &borderSession{b: b}, nil }))
	srv.Domain = servID
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.ErrorLog = logfLogger(b.logf)
	b.mu.Lock()
	b.addr, b.srv = l.Addr().String(), srv
	b.mu.Unlock()
	go srv.Serve(l)
	return nil
}

func (b *border) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv != nil {
		b.srv.Close()
	}
}

func (b *border) lookupTXT(domain string) ([]string, error) {
	if rec, ok := b.keys[domain]; ok {
		return []string{rec}, nil
	}
	return nil, errors.New("no such TXT record")
}

// accept is what the border MTA does with one incoming message.
func (b *border) accept(raw []byte) ([]byte, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(br)
	// Strip forged fields in our name, whatever their case.
	for f := h.FieldsByKey("Authentication-Results"); f.Next(); {
		if id, _, _ := authres.Parse(f.Value()); strings.EqualFold(id, servID) {
			f.Del()
		}
	}
	var results []authres.Result
	verifications, _ := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: b.lookupTXT})
	for _, v := range verifications {
		r := &authres.DKIMResult{Value: authres.ResultPass, Domain: v.Domain, Identifier: v.Identifier}
		if v.Err != nil {
			r.Value, r.Reason = authres.ResultFail, v.Err.Error()
		}
		results = append(results, r)
	}
	if len(results) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultNone})
	}
	h.Add("Authentication-Results", authres.Format(servID, results))
	// Add puts the field first: that is where a border MTA writes it.
	var out bytes.Buffer
	if err := textproto.WriteHeader(&out, h); err != nil {
		return nil, err
	}
	out.Write(body)
	return out.Bytes(), nil
}

type borderSession struct {
	b    *border
	from string
	to   []string
}

func (s *borderSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *borderSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *borderSession) Reset()        { s.from, s.to = "", nil }
func (s *borderSession) Logout() error { return nil }

func (s *borderSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	out, err := s.b.accept(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "border: " + err.Error()}
	}
	refused, err := lmtpSend(s.b.lmtpAddr, s.from, s.to, out)
	if err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 1}, Message: "border: " + err.Error()}
	}
	for rcpt, se := range refused {
		return fmt.Errorf("border: %s refused: %w", rcpt, se)
	}
	return nil
}

// sender is the invitee's mail provider: it signs with DKIM for its domain.
type sender struct {
	domain, selector string
	key              ed25519.PrivateKey
}

func newSender(domain string) (*sender, string, string) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	s := &sender{domain: domain, selector: "gb2025", key: key}
	return s, s.selector + "._domainkey." + domain, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
}

func (s *sender) sign(raw []byte) []byte {
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{Domain: s.domain, Selector: s.selector, Signer: s.key,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References"}}); err != nil {
		panic(err)
	}
	return out.Bytes()
}

// send hands raw to the border MTA over SMTP and returns once it is stored.
func (b *border) send(from, rcpt string, raw []byte) error {
	b.mu.Lock()
	addr := b.addr
	b.mu.Unlock()
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, []string{rcpt}, bytes.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}

// invitationEventually waits until the invitation satisfies ok.
func (h *harness) invitationEventually(t *testing.T, id int64, ok func(*model.Invitation) bool) *model.Invitation {
	t.Helper()
	var inv *model.Invitation
	eventually(t, 10*time.Second, fmt.Sprintf("invitation %d did not change as expected", id), func() (bool, string) {
		inv = h.invitation(t, id)
		return ok(inv), fmt.Sprintf("state %s, notice %q %q, detail %q", inv.State, inv.Notice, inv.NoticeDetail, inv.Detail)
	})
	return inv
}

// sentInvitation invites email in a new account, waits until it is sent
// and reads it from the invitee's mailbox.
func (h *harness) sentInvitation(t *testing.T, account, first, last, email string) (*model.Invitation, *invitationMail) {
	t.Helper()
	acc := h.account(t, account)
	inv := h.invite(t, acc.ID, first, last, email)
	inv = h.waitState(t, inv.ID, model.InvSent, 10*time.Second)
	return inv, h.receive(t, email, inv.MessageID)
}

// arrive sends raw from the Internet through the owner's border MTA, DKIM
// signed by the invitee's provider when signed, and returns the moment
// Dovecot stored it.
func (h *harness) arrive(t *testing.T, from, rcpt string, raw []byte, signed bool) time.Time {
	t.Helper()
	if signed {
		raw = h.signer.sign(raw)
	}
	if err := h.border.send(from, rcpt, raw); err != nil {
		t.Fatalf("border MTA, %s → %s: %v", from, rcpt, err)
	}
	return time.Now()
}
