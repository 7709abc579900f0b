package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/datalock"
)

func newApp(t *testing.T) (*App, *core.App) {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	c, err := core.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return New(c), c
}

func TestRequestSpeaksTheAPI(t *testing.T) {
	a, _ := newApp(t)
	res := a.Request("POST", "/api/accounts", `{"name":"Acme"}`)
	if res.Status != http.StatusCreated {
		t.Fatalf("create account: %d %s", res.Status, res.Body)
	}
	res = a.Request("GET", "/api/accounts", "")
	var out struct {
		Accounts []struct{ Name string } `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil || len(out.Accounts) != 1 || out.Accounts[0].Name != "Acme" {
		t.Fatalf("list accounts: %d %s", res.Status, res.Body)
	}
	if res := a.Request("GET", "/not-api", ""); res.Status != http.StatusNotFound {
		t.Errorf("non-API path: %d", res.Status)
	}
	// The window is the owner; it never reaches the portal as a contact.
	if res := a.Request("GET", "/api/portal/me", ""); res.Status != http.StatusUnauthorized {
		t.Errorf("portal through the window: %d %s", res.Status, res.Body)
	}
}

func TestPassphraseLocksTheWindow(t *testing.T) {
	a, c := newApp(t)
	// Setting the first passphrase from the window keeps it open.
	if res := a.Request("PUT", "/api/lock", `{"current":"","passphrase":"correct horse"}`); res.Status != http.StatusOK {
		t.Fatalf("set passphrase: %d %s", res.Status, res.Body)
	}
	if res := a.Request("GET", "/api/accounts", ""); res.Status != http.StatusOK {
		t.Fatalf("right after setting it: %d %s", res.Status, res.Body)
	}

	a.Lock()
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/accounts"}, {"POST", "/api/accounts"}, {"GET", "/api/backup"}, {"PUT", "/api/lock"},
	} {
		if res := a.Request(tc.method, tc.path, `{}`); res.Status != http.StatusLocked {
			t.Errorf("locked %s %s: %d %s", tc.method, tc.path, res.Status, res.Body)
		}
	}
	if res := a.Request("GET", "/api/lock", ""); res.Status != http.StatusOK {
		t.Errorf("lock status while locked: %d", res.Status)
	}
	if _, err := a.ExportBackup(); err == nil {
		t.Error("export while locked worked")
	}
	if ok, err := a.Unlock("wrong horse"); ok || err != nil {
		t.Fatalf("a wrong passphrase: %v %v", ok, err)
	}
	if res := a.Request("GET", "/api/accounts", ""); res.Status != http.StatusLocked {
		t.Errorf("after a wrong passphrase: %d", res.Status)
	}
	if ok, err := a.Unlock("correct horse"); !ok || err != nil {
		t.Fatalf("the right passphrase did not unlock: %v", err)
	}
	if res := a.Request("GET", "/api/accounts", ""); res.Status != http.StatusOK {
		t.Errorf("after unlocking: %d %s", res.Status, res.Body)
	}

	// A new window on the same data starts locked.
	if res := New(c).Request("GET", "/api/accounts", ""); res.Status != http.StatusLocked {
		t.Errorf("a fresh window: %d", res.Status)
	}
}

// Wrong passphrases are limited in core: after a few, the window refuses
// attempts for a growing time, says how long, and never sleeps.
func TestUnlockAttemptsAreLimited(t *testing.T) {
	a, c := newApp(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	c.SetClock(func() time.Time { return now })
	if res := a.Request("PUT", "/api/lock", `{"current":"","passphrase":"correct horse"}`); res.Status != http.StatusOK {
		t.Fatalf("set passphrase: %d %s", res.Status, res.Body)
	}
	a.Lock()
	for range 4 {
		if ok, err := a.Unlock("wrong horse"); ok || err != nil {
			t.Fatalf("wrong passphrase: %v %v", ok, err)
		}
	}
	ok, err := a.Unlock("correct horse")
	if ok || err == nil || err.Error() != "Too many wrong passphrases: try again in 1 second." {
		t.Fatalf("right passphrase right after 4 wrong ones: %v %v", ok, err)
	}
	if res := a.Request("GET", "/api/accounts", ""); res.Status != http.StatusLocked {
		t.Errorf("still locked: %d", res.Status)
	}
	now = now.Add(time.Second)
	if ok, err := a.Unlock("correct horse"); !ok || err != nil {
		t.Fatalf("after the wait: %v %v", ok, err)
	}
}

func TestStartErrorSaysWhy(t *testing.T) {
	held := fmt.Errorf("open: %w", &datalock.HeldError{Dir: "/d", Holder: datalock.Holder{PID: 7, Mode: "window"}})
	if p := describeStartError(held); p.Heading != "Grantbook is already open" || !strings.Contains(p.Message, "process 7, window") {
		t.Errorf("held folder: %+v", p)
	}
	if p := describeStartError(errors.New("disk full")); p.Heading != "Grantbook cannot open your data" || p.Message != "disk full" {
		t.Errorf("other error: %+v", p)
	}
}
