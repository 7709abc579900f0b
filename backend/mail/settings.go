// Package mail holds the mail settings and opens connections to the
// owner's SMTP and IMAP servers. Sending lives in outbox, reading in inbox.
package mail

import (
	"fmt"
	"net"
	"net/mail"
	"strings"
)

// Security is how a connection is protected.
const (
	SecurityTLS      = "tls"      // implicit TLS (SMTPS 465, IMAPS 993)
	SecurityStartTLS = "starttls" // upgrade a plain connection (587, 143)
	SecurityPlain    = "plain"    // no TLS: loopback only
)

// Server is one mail server endpoint. Password is write-only: it comes in
// from the UI, goes to the secret store and is never served.
type Server struct {
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Security    string `json:"security"`
	Username    string `json:"username"`
	Password    string `json:"password,omitempty"`
	PasswordSet bool   `json:"password_set"`
}

// SMTP is the outgoing server and the sender identity.
type SMTP struct {
	Server
	FromName  string `json:"from_name"`
	FromEmail string `json:"from_email"`
}

// IMAP is the inbox watched for replies.
type IMAP struct {
	Server
	Mailbox string `json:"mailbox"`
	// TrustedAuthServID is the authserv-id of the owner's own receiving
	// server; only its Authentication-Results headers are believed.
	TrustedAuthServID string `json:"trusted_authserv_id"`
}

// Settings are all mail settings. Either server may be left empty: mail
// then waits in the outbox, and replies are not watched.
type Settings struct {
	SMTP                 SMTP `json:"smtp"`
	IMAP                 IMAP `json:"imap"`
	InvitationExpiryDays int  `json:"invitation_expiry_days"`
}

// DefaultExpiryDays is how long an invitation stays valid by default.
const DefaultExpiryDays = 14

// FieldError names the setting at fault.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Configured reports whether the server has a host.
func (s *Server) Configured() bool { return s.Host != "" }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, fmt.Sprint(s.Port)) }

// Normalise fills defaults and checks the settings.
func (st *Settings) Normalise() error {
	if st.InvitationExpiryDays == 0 {
		st.InvitationExpiryDays = DefaultExpiryDays
	}
	if st.InvitationExpiryDays < 1 || st.InvitationExpiryDays > 365 {
		return &FieldError{"invitation_expiry_days", "invitations must expire after 1 to 365 days"}
	}
	if err := st.SMTP.Server.normalise("smtp", 587, 465, 25); err != nil {
		return err
	}
	if err := st.IMAP.Server.normalise("imap", 143, 993, 143); err != nil {
		return err
	}
	st.SMTP.FromName = strings.TrimSpace(st.SMTP.FromName)
	st.SMTP.FromEmail = strings.TrimSpace(st.SMTP.FromEmail)
	if st.SMTP.Configured() {
		if st.SMTP.FromEmail == "" {
			return &FieldError{"smtp.from_email", "the sender address is required to send invitations"}
		}
		if a, err := mail.ParseAddress(st.SMTP.FromEmail); err != nil || a.Address != st.SMTP.FromEmail {
			return &FieldError{"smtp.from_email", "the sender address is not an email address"}
		}
		if strings.ContainsAny(st.SMTP.FromName, "\r\n") {
			return &FieldError{"smtp.from_name", "the sender name must be one line"}
		}
	}
	st.IMAP.Mailbox = strings.TrimSpace(st.IMAP.Mailbox)
	if st.IMAP.Mailbox == "" {
		st.IMAP.Mailbox = "INBOX"
	}
	st.IMAP.TrustedAuthServID = strings.TrimSpace(st.IMAP.TrustedAuthServID)
	return nil
}

func (s *Server) normalise(prefix string, startTLSPort, tlsPort, plainPort int) error {
	s.Host = strings.TrimSpace(s.Host)
	s.Username = strings.TrimSpace(s.Username)
	if s.Host == "" {
		return nil
	}
	if strings.ContainsAny(s.Host, " /:@") && net.ParseIP(s.Host) == nil {
		return &FieldError{prefix + ".host", "the server name looks wrong: give only a host name like mail.example.com"}
	}
	if s.Security == "" {
		s.Security = SecurityStartTLS
	}
	switch s.Security {
	case SecurityTLS, SecurityStartTLS:
	case SecurityPlain:
		if !IsLoopback(s.Host) {
			return &FieldError{prefix + ".security", "an unencrypted connection is allowed only to this computer (localhost); choose TLS or STARTTLS"}
		}
	default:
		return &FieldError{prefix + ".security", "security must be tls, starttls or plain"}
	}
	if s.Port == 0 {
		s.Port = map[string]int{SecurityTLS: tlsPort, SecurityStartTLS: startTLSPort, SecurityPlain: plainPort}[s.Security]
	}
	if s.Port < 1 || s.Port > 65535 {
		return &FieldError{prefix + ".port", "the port must be between 1 and 65535"}
	}
	return nil
}

// IsLoopback reports whether host names this computer.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
