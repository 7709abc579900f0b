package core_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/mail"
	"grantbook/backend/mailtest"
	"grantbook/backend/model"
)

// signinRig is a core with one active contact and a mail server.
type signinRig struct {
	t       *testing.T
	dir     string
	app     *core.App
	smtp    *mailtest.SMTP
	contact *model.Contact

	mu  sync.Mutex
	now time.Time
}

const signinEmail = "tess@example.com"

func newSigninRig(t *testing.T) *signinRig {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	r := &signinRig{t: t, dir: t.TempDir(), smtp: mailtest.NewSMTP(t), now: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	r.open()
	acc, err := r.app.CreateAccount(bg, "Acme Ltd")
	if err != nil {
		t.Fatal(err)
	}
	if r.contact, err = r.app.CreateContact(bg, core.ContactInput{AccountID: acc.ID, FirstName: "Tess", LastName: "Tester",
		Email: signinEmail, Preset: "technical"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.PutMailSettings(bg, mail.Settings{SMTP: r.smtp.Settings("owner@example.com")}); err != nil {
		t.Fatal(err)
	}
	return r
}

// open opens (again: a restarted process) the core on the rig's data.
func (r *signinRig) open() {
	r.t.Helper()
	r.app = openQuiet(r.t, r.dir, func() time.Time {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.now
	})
}

func (r *signinRig) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

func (r *signinRig) request(nonce string) {
	r.t.Helper()
	if err := r.app.RequestSignin(bg, signinEmail, nonce, ""); err != nil {
		r.t.Fatal(err)
	}
}

func (r *signinRig) flush() int {
	r.t.Helper()
	n, err := r.app.Outbox().Flush(bg)
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// files is the database and its write-ahead log as they are on disk.
func (r *signinRig) files() []byte {
	r.t.Helper()
	var all []byte
	names, _ := filepath.Glob(filepath.Join(r.dir, core.DBFile+"*"))
	for _, f := range names {
		b, err := os.ReadFile(f)
		if err != nil {
			r.t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

var mailedCode = regexp.MustCompile(`is:\s+(\d{6})`)

func TestCodesPerContactPerDay(t *testing.T) {
	r := newSigninRig(t)
	sent := 0
	for i := 0; i < core.CodesPerDay+2; i++ {
		r.advance(16 * time.Minute) // never three in a quarter of an hour
		r.request(core.NewNonce())
		sent += r.flush()
	}
	if sent != core.CodesPerDay {
		t.Errorf("%d codes mailed within a day, want %d", sent, core.CodesPerDay)
	}
	r.advance(24 * time.Hour)
	r.request(core.NewNonce())
	if n := r.flush(); n != 1 {
		t.Errorf("the next day: %d codes mailed, want 1", n)
	}
}

func TestCodeMailIsNeverInTheDatabase(t *testing.T) {
	r := newSigninRig(t)
	r.smtp.Down()
	nonce := core.NewNonce()
	r.request(nonce)
	pending := r.files()
	if _, err := r.app.Outbox().Flush(bg); err == nil {
		t.Fatal("the mail server is down, yet Flush succeeded")
	}
	r.smtp.Up()
	if n := r.flush(); n != 1 {
		t.Fatalf("%d sent, want 1", n)
	}
	msg := r.smtp.Messages()[0]
	m := mailedCode.FindSubmatch(bytes.ReplaceAll(msg.Data, []byte("=\r\n"), nil))
	if m == nil {
		t.Fatalf("no code in the mail:\n%s", msg.Data)
	}
	code := m[1]
	if subject := regexp.MustCompile(`(?m)^Subject: .*$`).Find(msg.Data); bytes.Contains(subject, code) {
		t.Errorf("%s carries the code", subject)
	}
	if bytes.Contains(pending, code) {
		t.Error("the code was in the database files while its mail waited")
	}
	if bytes.Contains(r.files(), code) {
		t.Error("the code is in the database files after its mail was sent")
	}
	if _, err := r.app.VerifySignin(bg, signinEmail, string(code), nonce, "test", "192.0.2.1"); err != nil {
		t.Errorf("the mailed code: %v", err)
	}
}

func TestCodeMailDiesWithTheProcessOrTheCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		then func(r *signinRig)
	}{
		{"restart", func(r *signinRig) { r.app.Close(); r.open() }},
		{"expired unsent", func(r *signinRig) { r.advance(core.CodeTTL) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSigninRig(t)
			r.smtp.Down()
			r.request(core.NewNonce())
			tc.then(r)
			r.smtp.Up()
			if n := r.flush(); n != 0 || len(r.smtp.Messages()) != 0 {
				t.Fatalf("%d sent (%d received), want none", n, len(r.smtp.Messages()))
			}
			counts, err := r.app.StoreForTest().OutboxCounts(bg)
			if err != nil || counts["cancelled"] != 1 || counts["pending"] != 0 {
				t.Errorf("outbox %v, %v: want the mail cancelled", counts, err)
			}
		})
	}
}

// The sign-in code mail names the one page to enter the code on.
func TestSigninCodeMailCarriesTheAddress(t *testing.T) {
	r := newSigninRig(t)
	if _, err := r.app.PutClientArea(bg, core.ClientArea{Address: "https://portal.example.com"}); err != nil {
		t.Fatal(err)
	}
	r.request(core.NewNonce())
	r.flush()
	p := invParse(t, r.smtp.Messages()[0].Data)
	if !strings.Contains(p.text, "Enter it only on the sign-in page at "+areaLink) || !mailedCode.MatchString(p.text) {
		t.Errorf("code mail:\n%s", p.text)
	}
}
