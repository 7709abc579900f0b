package web_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"grantbook/backend/core"

	_ "github.com/mattn/go-sqlite3"
)

// views counts the audit rows of the client area's invoice list.
func views(t *testing.T, app *core.App) int {
	t.Helper()
	entries, _, err := app.Audit(context.Background(), core.AuditFilter{Entity: "contact", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "portal.view" && strings.Contains(e.Summary, "view invoices") {
			n++
		}
	}
	return n
}

// A client-area page writes nothing while the contact waits: it is served
// while another transaction holds the one writer, and its audit row is
// written once the writer is free.
func TestClientAreaReadsDoNotWaitForTheWriter(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "reader@example.com", map[string]any{"preset": "full"})
	p := e.signIn("reader@example.com")
	p.get("/api/portal/invoices") // the session's once-a-minute touch is behind it
	before := views(t, e.app)

	// Another connection to the same file holds SQLite's write lock, as a
	// long write transaction would.
	other, err := sql.Open("sqlite3", e.dbFile())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	hold, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	release := func() error {
		_, err := hold.ExecContext(context.Background(), `COMMIT`)
		return errors.Join(err, hold.Close())
	}
	for range 3 {
		if r := p.get("/api/portal/invoices"); r.status != 200 {
			t.Fatalf("while the writer is held: %d %s", r.status, r.body)
		}
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if got := views(t, e.app) - before; got != 3 {
		t.Errorf("%d audit rows for the 3 views served while the writer was held, want 3", got)
	}
}

// Views still queued when Grantbook stops cleanly are written first.
func TestQueuedViewsSurviveACleanStop(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "stop@example.com", map[string]any{"preset": "full"})
	p := e.signIn("stop@example.com")
	const n = 50
	for range n {
		if r := p.get("/api/portal/invoices"); r.status != 200 {
			t.Fatalf("invoices: %d %s", r.status, r.body)
		}
	}
	dir := filepath.Dir(e.dbFile())
	e.srv.Close()
	if err := e.app.Close(); err != nil {
		t.Fatal(err)
	}
	app, err := core.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if got := views(t, app); got != n {
		t.Errorf("%d views in the log after a clean stop, want %d", got, n)
	}
	entries, _, _ := app.Audit(context.Background(), core.AuditFilter{Entity: "database", Limit: 10})
	for _, x := range entries {
		if x.Action == "system.unclean_stop" {
			t.Errorf("a clean stop was recorded as unclean: %s", x.Summary)
		}
	}
}

// TestViewRowWords checks a listing's view row word for word: who, what,
// how many of how many were shown.
func TestViewRowWords(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "words@example.com", map[string]any{"preset": "full"})
	p := e.signIn("words@example.com")
	if r := p.get("/api/portal/services"); r.status != 200 {
		t.Fatalf("services: %d %s", r.status, r.body)
	}
	entries, _, err := e.app.Audit(context.Background(), core.AuditFilter{Entity: "contact", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range entries {
		if x.Action == "portal.view" {
			if want := "C words@example.com: view services — allowed (2 of 2 shown)"; x.Summary != want || x.Actor != "contact words@example.com" {
				t.Errorf("view row %q by %q, want %q by contact words@example.com", x.Summary, x.Actor, want)
			}
			return
		}
	}
	t.Fatal("no view row")
}
