package mailtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"grantbook/backend/mailtest"
)

func send(addr string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("a@example.test", []string{"b@client.test"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n"))
}

func TestSMTPDownAndUpOnTheSamePort(t *testing.T) {
	s := mailtest.NewSMTP(t)
	if err := send(s.Addr()); err != nil {
		t.Fatal(err)
	}
	s.Down()
	if err := send(s.Addr()); err == nil {
		t.Fatal("sent while down")
	}
	s.Up()
	if err := send(s.Addr()); err != nil {
		t.Fatalf("after Up: %v", err)
	}
	if n := len(s.WaitMessages(2, time.Second)); n != 2 || s.Connections() != 2 {
		t.Errorf("%d messages over %d connections, want 2 over 2", n, s.Connections())
	}
	s.RefuseRcpt(452, nil)
	if err := send(s.Addr()); err == nil || !strings.Contains(err.Error(), "452") {
		t.Errorf("refused send: %v, want the 452", err)
	}
}

func TestIMAPCapabilities(t *testing.T) {
	for _, tc := range []struct {
		opts []mailtest.IMAPOption
		idle bool
	}{{nil, true}, {[]mailtest.IMAPOption{mailtest.WithoutIdle()}, false}} {
		s := mailtest.NewIMAP(t, tc.opts...)
		c, err := imapclient.DialInsecure(s.Addr(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Login(s.User, s.Password).Wait(); err != nil {
			t.Fatal(err)
		}
		caps, err := c.Capability().Wait()
		if err != nil {
			t.Fatal(err)
		}
		if caps.Has(imap.CapIdle) != tc.idle {
			t.Errorf("IDLE offered %v, want %v (caps %v)", caps.Has(imap.CapIdle), tc.idle, caps)
		}
		uid := s.Append([]byte("Subject: x\r\n\r\nhi\r\n"))
		sel, err := c.Select("INBOX", nil).Wait()
		if err != nil || sel.NumMessages != 1 || uid != 1 || sel.UIDValidity != s.UIDValidity("INBOX") {
			t.Errorf("select %+v, %v; uid %d", sel, err, uid)
		}
		c.Close()
	}
}
