package mail

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// DialTimeout bounds connecting and greeting.
const DialTimeout = 15 * time.Second

// DialSMTP connects, says hello and logs in.
func DialSMTP(s SMTP) (*smtp.Client, error) {
	if !s.Configured() {
		return nil, errors.New("no SMTP server is set up")
	}
	tlsConf := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	d := net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	conn, err := d.Dial("tcp", s.Addr())
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.Addr(), err)
	}
	conn.SetDeadline(time.Now().Add(DialTimeout))
	var c *smtp.Client
	switch s.Security {
	case SecurityTLS:
		c = smtp.NewClient(tls.Client(conn, tlsConf))
	case SecurityStartTLS:
		if c, err = smtp.NewClientStartTLS(conn, tlsConf); err != nil {
			conn.Close()
			return nil, fmt.Errorf("STARTTLS with %s: %w", s.Addr(), err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = time.Minute
	c.SubmissionTimeout = 5 * time.Minute
	if err := c.Hello(helloName(s.FromEmail)); err != nil {
		c.Close()
		return nil, fmt.Errorf("greet %s: %w", s.Addr(), err)
	}
	if s.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			c.Close()
			return nil, fmt.Errorf("log in to %s as %s: %w", s.Addr(), s.Username, err)
		}
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

func helloName(from string) string {
	for i := len(from) - 1; i >= 0; i-- {
		if from[i] == '@' && i+1 < len(from) {
			return from[i+1:]
		}
	}
	return "localhost"
}

// DialIMAP connects and logs in; opts may carry a unilateral data handler.
func DialIMAP(s IMAP, opts *imapclient.Options) (*imapclient.Client, error) {
	if !s.Configured() {
		return nil, errors.New("no IMAP server is set up")
	}
	if opts == nil {
		opts = &imapclient.Options{}
	}
	opts.TLSConfig = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	opts.Dialer = &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	var c *imapclient.Client
	var err error
	switch s.Security {
	case SecurityTLS:
		c, err = imapclient.DialTLS(s.Addr(), opts)
	case SecurityStartTLS:
		c, err = imapclient.DialStartTLS(s.Addr(), opts)
	default:
		c, err = imapclient.DialInsecure(s.Addr(), opts)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.Addr(), err)
	}
	if err := c.Login(s.Username, s.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("log in to %s as %s: %w", s.Addr(), s.Username, err)
	}
	return c, nil
}

// TestSMTP connects and logs in, then quits: it sends nothing.
func TestSMTP(s SMTP) error {
	c, err := DialSMTP(s)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Quit()
}

// TestIMAP connects, logs in and opens the mailbox read-only. It also
// returns the authserv-id of the topmost Authentication-Results field of
// the newest message ("" if none): most likely the owner's own receiving
// server, a suggestion for IMAP.TrustedAuthServID.
func TestIMAP(s IMAP) (msg, authServID string, err error) {
	c, err := DialIMAP(s, nil)
	if err != nil {
		return "", "", err
	}
	defer c.Close()
	data, err := c.Select(s.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return "", "", fmt.Errorf("open mailbox %q: %w", s.Mailbox, err)
	}
	idle := "polling (the server does not offer IDLE)"
	if c.Caps().Has(imap.CapIdle) {
		idle = "IDLE"
	}
	if data.NumMessages > 0 {
		authServID, err = newestAuthServID(c, data.NumMessages)
		if err != nil {
			return "", "", fmt.Errorf("read the newest message of %q: %w", s.Mailbox, err)
		}
	}
	c.Logout().Wait()
	return fmt.Sprintf("%s has %d messages; replies will be watched with %s", s.Mailbox, data.NumMessages, idle), authServID, nil
}

// newestAuthServID reads the Authentication-Results fields of message seq.
func newestAuthServID(c *imapclient.Client, seq uint32) (string, error) {
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader,
		HeaderFields: []string{"Authentication-Results"}, Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(seq), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil || len(msgs) == 0 {
		return "", err
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(msgs[0].FindBodySection(section))))
	if err != nil && h.Len() == 0 {
		return "", nil
	}
	id, _, _ := authres.Parse(h.Get("Authentication-Results"))
	if strings.ContainsAny(id, "=;\"()<>") || len(id) > 255 {
		return "", nil // not a plain token: no suggestion
	}
	return id, nil
}
