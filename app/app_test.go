package app

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"grantbook/backend/core"
	"grantbook/backend/datalock"
	"grantbook/backend/web"
)

func newApp(t *testing.T) (*App, *core.App, string) {
	t.Helper()
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := t.TempDir()
	c, err := core.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return New(c, fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}), c, dir
}

func TestTheWindowServesTheAPI(t *testing.T) {
	a, _, _ := newApp(t)
	req := httptest.NewRequest("POST", "/api/accounts", strings.NewReader(`{"name":"Acme"}`))
	req.Header.Set("X-Requested-By", "grantbook")
	rec := httptest.NewRecorder()
	a.window.ServeHTTP(rec, req)
	if rec.Code != 201 {
		t.Fatalf("create account through the window's handler: %d %s", rec.Code, rec.Body)
	}
}

func TestFileDialogsWaitForThePassphrase(t *testing.T) {
	a, c, _ := newApp(t)
	if err := c.SetPassphrase(context.Background(), "", "correct horse"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExportBackup(); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("export while locked: %v", err)
	}
	if _, err := a.RestoreBackup(); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("restore while locked: %v", err)
	}
}

func TestAboutNamesTheDataFolder(t *testing.T) {
	a, _, dir := newApp(t)
	if text := a.aboutText(); !strings.Contains(text, dir) {
		t.Errorf("about text %q lacks the data folder %s", text, dir)
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

// The window's published face is the client area's only; closing while
// nothing is published (or nobody is signed in) asks nothing.
func TestThePublishedFaceIsForContacts(t *testing.T) {
	a, c, _ := newApp(t)
	h := web.NewContactsServer(c, fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}}, a.log)
	for path, want := range map[string]int{"/api/accounts": 404, "/api/health": 200, "/": 302, "/portal": 200} {
		rec, req := httptest.NewRecorder(), httptest.NewRequest("GET", path, nil)
		req.Host = "localhost"
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
	if a.window.Publish != a.publish || a.beforeClose(context.Background()) {
		t.Error("closing an unpublished window was held")
	}
}
