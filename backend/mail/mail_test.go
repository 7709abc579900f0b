package mail_test

import (
	"errors"
	"strings"
	"testing"

	"grantbook/backend/mail"
	"grantbook/backend/mailtest"
)

func fieldErr(t *testing.T, err error) *mail.FieldError {
	t.Helper()
	var fe *mail.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *mail.FieldError", err, err)
	}
	return fe
}

func TestNormaliseDefaults(t *testing.T) {
	var st mail.Settings
	if err := st.Normalise(); err != nil {
		t.Fatalf("empty settings: %v", err)
	}
	if st.InvitationExpiryDays != mail.DefaultExpiryDays || st.IMAP.Mailbox != "INBOX" {
		t.Errorf("defaults: expiry %d, mailbox %q", st.InvitationExpiryDays, st.IMAP.Mailbox)
	}
	if st.SMTP.Configured() || st.IMAP.Configured() || st.SMTP.Port != 0 || st.SMTP.Security != "" {
		t.Errorf("an empty server got defaults: %+v", st)
	}

	cases := []struct {
		security, host     string
		smtpPort, imapPort int
		wantSecurity       string
	}{
		{"", "mail.example.com", 587, 143, mail.SecurityStartTLS},
		{mail.SecurityStartTLS, "mail.example.com", 587, 143, mail.SecurityStartTLS},
		{mail.SecurityTLS, "mail.example.com", 465, 993, mail.SecurityTLS},
		{mail.SecurityPlain, "127.0.0.1", 25, 143, mail.SecurityPlain},
		{mail.SecurityPlain, "localhost", 25, 143, mail.SecurityPlain},
		{mail.SecurityPlain, "::1", 25, 143, mail.SecurityPlain},
	}
	for _, tc := range cases {
		st := mail.Settings{
			SMTP: mail.SMTP{Server: mail.Server{Host: "  " + tc.host + " ", Security: tc.security, Username: " me "}, FromEmail: " me@example.com ", FromName: "  Me  "},
			IMAP: mail.IMAP{Server: mail.Server{Host: tc.host, Security: tc.security}, Mailbox: "  ", TrustedAuthServID: " mx.example.com "},
		}
		if err := st.Normalise(); err != nil {
			t.Errorf("%s/%s: %v", tc.security, tc.host, err)
			continue
		}
		if st.SMTP.Host != tc.host || st.SMTP.Security != tc.wantSecurity || st.SMTP.Port != tc.smtpPort {
			t.Errorf("%q/%s SMTP: %s %s %d, want %s %d", tc.security, tc.host, st.SMTP.Host, st.SMTP.Security, st.SMTP.Port, tc.wantSecurity, tc.smtpPort)
		}
		if st.IMAP.Security != tc.wantSecurity || st.IMAP.Port != tc.imapPort {
			t.Errorf("%q/%s IMAP: %s %d, want %s %d", tc.security, tc.host, st.IMAP.Security, st.IMAP.Port, tc.wantSecurity, tc.imapPort)
		}
		if st.SMTP.Username != "me" || st.SMTP.FromEmail != "me@example.com" || st.SMTP.FromName != "Me" ||
			st.IMAP.Mailbox != "INBOX" || st.IMAP.TrustedAuthServID != "mx.example.com" {
			t.Errorf("fields not trimmed: %+v", st)
		}
	}

	// An explicit port is kept.
	st = mail.Settings{SMTP: mail.SMTP{Server: mail.Server{Host: "mail.example.com", Port: 2525}, FromEmail: "a@example.com"}}
	if err := st.Normalise(); err != nil || st.SMTP.Port != 2525 {
		t.Errorf("explicit port: %d, %v", st.SMTP.Port, err)
	}
}

func TestNormaliseRefuses(t *testing.T) {
	ok := func() mail.Settings {
		return mail.Settings{SMTP: mail.SMTP{Server: mail.Server{Host: "smtp.example.com"}, FromEmail: "me@example.com"},
			IMAP: mail.IMAP{Server: mail.Server{Host: "imap.example.com"}}}
	}
	if st := ok(); st.Normalise() != nil {
		t.Fatal("the base settings are refused")
	}
	cases := []struct {
		name  string
		edit  func(*mail.Settings)
		field string
	}{
		{"plain SMTP to a remote host", func(s *mail.Settings) { s.SMTP.Security = mail.SecurityPlain }, "smtp.security"},
		{"plain IMAP to a remote host", func(s *mail.Settings) { s.IMAP.Security = mail.SecurityPlain }, "imap.security"},
		{"plain to a LAN address", func(s *mail.Settings) { s.SMTP.Host, s.SMTP.Security = "192.168.1.10", mail.SecurityPlain }, "smtp.security"},
		{"plain to a name that merely starts with localhost", func(s *mail.Settings) { s.SMTP.Host, s.SMTP.Security = "localhost.evil.com", mail.SecurityPlain }, "smtp.security"},
		{"unknown security", func(s *mail.Settings) { s.IMAP.Security = "ssl" }, "imap.security"},
		{"no sender address", func(s *mail.Settings) { s.SMTP.FromEmail = "" }, "smtp.from_email"},
		{"blank sender address", func(s *mail.Settings) { s.SMTP.FromEmail = "   " }, "smtp.from_email"},
		{"sender with a name", func(s *mail.Settings) { s.SMTP.FromEmail = "Me <me@example.com>" }, "smtp.from_email"},
		{"sender not an address", func(s *mail.Settings) { s.SMTP.FromEmail = "me" }, "smtp.from_email"},
		{"two-line sender name", func(s *mail.Settings) { s.SMTP.FromName = "Me\r\nBcc: x@example.com" }, "smtp.from_name"},
		{"host with a port", func(s *mail.Settings) { s.SMTP.Host = "smtp.example.com:587" }, "smtp.host"},
		{"host with a scheme", func(s *mail.Settings) { s.IMAP.Host = "imaps://imap.example.com" }, "imap.host"},
		{"host with a user", func(s *mail.Settings) { s.SMTP.Host = "me@smtp.example.com" }, "smtp.host"},
		{"host with a space", func(s *mail.Settings) { s.SMTP.Host = "smtp example.com" }, "smtp.host"},
		{"port too high", func(s *mail.Settings) { s.SMTP.Port = 70000 }, "smtp.port"},
		{"negative port", func(s *mail.Settings) { s.IMAP.Port = -1 }, "imap.port"},
		{"expiry too long", func(s *mail.Settings) { s.InvitationExpiryDays = 366 }, "invitation_expiry_days"},
		{"negative expiry", func(s *mail.Settings) { s.InvitationExpiryDays = -1 }, "invitation_expiry_days"},
	}
	for _, tc := range cases {
		st := ok()
		tc.edit(&st)
		err := st.Normalise()
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if fe := fieldErr(t, err); fe.Field != tc.field || fe.Message == "" || !strings.HasPrefix(fe.Error(), tc.field+": ") {
			t.Errorf("%s: field %q (%q), want %q", tc.name, fe.Field, fe.Error(), tc.field)
		}
	}

	// Without an SMTP host the sender address is not required.
	st := mail.Settings{IMAP: mail.IMAP{Server: mail.Server{Host: "imap.example.com"}}}
	if err := st.Normalise(); err != nil {
		t.Errorf("IMAP only: %v", err)
	}
}

func TestIsLoopbackAndAddr(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true,
		"10.0.0.1": false, "example.com": false, "localhost.example.com": false, "": false, "0.0.0.0": false,
	} {
		if got := mail.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
	s := mail.Server{Host: "::1", Port: 25}
	if s.Addr() != "[::1]:25" {
		t.Errorf("Addr = %q", s.Addr())
	}
	s = mail.Server{Host: "mail.example.com", Port: 587}
	if s.Addr() != "mail.example.com:587" {
		t.Errorf("Addr = %q", s.Addr())
	}
}

func TestDialSMTP(t *testing.T) {
	srv := mailtest.NewSMTP(t, mailtest.WithAuth("me@example.test", "s3cret"))
	s := srv.Settings("me@example.test")
	c, err := mail.DialSMTP(s)
	if err != nil {
		t.Fatalf("DialSMTP: %v", err)
	}
	if err := c.SendMail("me@example.test", []string{"you@client.test"}, strings.NewReader("Subject: hi\r\n\r\nhello\r\n")); err != nil {
		t.Fatalf("send over the dialled client: %v", err)
	}
	c.Quit()
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("messages %v, want one", msgs)
	}
	if msgs[0].Helo != "example.test" {
		t.Errorf("EHLO %q, want the sender's domain example.test", msgs[0].Helo)
	}

	if err := mail.TestSMTP(s); err != nil {
		t.Errorf("TestSMTP: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("TestSMTP sent something: %d messages", n)
	}

	bad := s
	bad.Password = "wrong"
	if err := mail.TestSMTP(bad); err == nil || !strings.Contains(err.Error(), "log in") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v (the error must say login and not echo the password)", err)
	}
	if _, err := mail.DialSMTP(mail.SMTP{}); err == nil {
		t.Error("DialSMTP without a host succeeded")
	}
	srv.Down()
	if err := mail.TestSMTP(s); err == nil || !strings.Contains(err.Error(), srv.Addr()) {
		t.Errorf("server down: %v, want an error naming %s", err, srv.Addr())
	}
}

// A plain server must not be upgraded to, or mistaken for, TLS.
func TestDialSMTPSecurityMismatch(t *testing.T) {
	srv := mailtest.NewSMTP(t)
	s := srv.Settings("me@example.test")
	s.Security = mail.SecurityStartTLS
	if err := mail.TestSMTP(s); err == nil {
		t.Error("STARTTLS against a server without it succeeded")
	}
}

func TestDialIMAP(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []mailtest.IMAPOption
		mode string
	}{
		{"idle", nil, "IDLE"},
		{"polling", []mailtest.IMAPOption{mailtest.WithoutIdle()}, "polling"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.NewIMAP(t, tc.opts...)
			srv.Append([]byte("Authentication-Results: mx.old.test; dmarc=pass\r\nFrom: a@b.test\r\nSubject: x\r\n\r\nbody\r\n"))
			// The newest message: its topmost field is the receiving server's.
			srv.Append([]byte("Authentication-Results: mx.provider.test;\r\n\tdkim=pass header.d=b.test\r\n" +
				"Received: from x by mx.provider.test\r\nAuthentication-Results: forged.test; dmarc=pass\r\n" +
				"From: a@b.test\r\nSubject: y\r\n\r\nbody\r\n"))
			msg, id, err := mail.TestIMAP(srv.Settings())
			if err != nil {
				t.Fatalf("TestIMAP: %v", err)
			}
			if !strings.Contains(msg, "INBOX has 2 messages") || !strings.Contains(msg, tc.mode) {
				t.Errorf("TestIMAP = %q, want 2 messages and %s", msg, tc.mode)
			}
			if id != "mx.provider.test" {
				t.Errorf("suggested authserv-id %q, want mx.provider.test (the newest message's topmost)", id)
			}

			s := srv.Settings()
			s.Mailbox = "Nope"
			if _, _, err := mail.TestIMAP(s); err == nil || !strings.Contains(err.Error(), `"Nope"`) {
				t.Errorf("missing mailbox: %v", err)
			}
			s = srv.Settings()
			s.Password = "wrong"
			if _, err := mail.DialIMAP(s, nil); err == nil || !strings.Contains(err.Error(), "log in") {
				t.Errorf("wrong password: %v", err)
			}
		})
	}
	if _, err := mail.DialIMAP(mail.IMAP{}, nil); err == nil {
		t.Error("DialIMAP without a host succeeded")
	}
}
