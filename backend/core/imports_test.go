package core_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
)

// waitImport polls an import until it is no longer running.
func waitImport(t *testing.T, app *core.App, id string) core.ImportProgress {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		p, err := app.ImportStatus(id)
		if err != nil {
			t.Fatal(err)
		}
		if p.State != core.ImportRunning {
			return p
		}
	}
	t.Fatalf("import %s still running", id)
	return core.ImportProgress{}
}

func TestFinishedImportsAreForgottenByTheAppsClock(t *testing.T) {
	f := newFixture(t)
	csv := "first_name,last_name,email\nAda,L,ada@example.com\n"
	id, err := f.app.StartImport(bg, f.acc.ID, []byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	waitImport(t, f.app, id)
	// Fifty minutes on the app's clock: still known.
	f.now = f.now.Add(50 * time.Minute)
	other := must(f.app.StartImport(bg, f.acc.ID, []byte(csv)))
	waitImport(t, f.app, other)
	if _, err := f.app.ImportStatus(id); err != nil {
		t.Fatalf("forgotten after 50 minutes: %v", err)
	}
	// Two hours: the next import drops it.
	f.now = f.now.Add(2 * time.Hour)
	waitImport(t, f.app, must(f.app.StartImport(bg, f.acc.ID, []byte(csv))))
	if _, err := f.app.ImportStatus(id); err == nil {
		t.Error("an import finished two hours ago (app clock) is still listed")
	}
}

func TestCloseStopsRunningImports(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("first_name,last_name,email\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "Person,%d,person%d@example.com\n", i, i)
	}
	id, err := f.app.StartImport(bg, f.acc.ID, []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.app.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waited for the job: it is over, and wrote nothing half-way.
	p, err := f.app.ImportStatus(id)
	if err != nil || p.State == core.ImportRunning || (p.State == core.ImportDone) != (p.Imported == 20000) {
		t.Fatalf("after Close: %+v %v", p, err)
	}
	if p.State == core.ImportDone {
		t.Log("the import finished before Close cancelled it")
	}
}

// rowsReader streams a CSV of n contacts as a client uploads it, through a
// pipe; dup repeats line 2's email on the last line.
func rowsReader(n int, dup bool) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		w.WriteString("first_name,last_name,email,company\n")
		for i := range n {
			email := fmt.Sprintf("person%d@example.com", i)
			if dup && i == n-1 {
				email = "PERSON0@example.com"
			}
			fmt.Fprintf(w, "Person,%05d,%s,Streamed Ltd\n", i, email)
		}
		pw.CloseWithError(w.Flush())
	}()
	return pr
}

// An upload is spooled to the data folder and imported from there (a bulk
// one with its triggers suspended); the file goes when the job ends, the
// limit answers too_large, and the imported contacts are counted, listed
// and found by a search at once.
func TestStartImportFromSpoolsTheUpload(t *testing.T) {
	f := newFixture(t)
	const n = 3000
	p := waitImport(t, f.app, must(f.app.StartImportFrom(bg, f.acc.ID, rowsReader(n, true))))
	if p.State != core.ImportFailed || len(p.Errors) != 1 || p.Errors[0].Message != "email: PERSON0@example.com is also on line 2" {
		t.Fatalf("a repeated email: %+v", p)
	}
	p = waitImport(t, f.app, must(f.app.StartImportFrom(bg, f.acc.ID, rowsReader(n, false))))
	if p.State != core.ImportDone || p.Imported != n || p.Total != n {
		t.Fatalf("import: %+v", p)
	}
	if left, err := os.ReadDir(filepath.Join(f.app.DataDir(), "imports")); err != nil || len(left) != 0 {
		t.Errorf("spooled files left: %v %v", left, err)
	}
	page, err := f.app.ContactPage(bg, core.ContactFilter{AccountID: f.acc.ID, Limit: 5}, "")
	if err != nil || page.Total != n {
		t.Fatalf("after the import: total %v, %v", page, err)
	}
	page, err = f.app.ContactPage(bg, core.ContactFilter{AccountID: f.acc.ID, Query: "person2999@", Limit: 5}, "")
	if err != nil || len(page.Contacts) != 1 || page.Total != 1 {
		t.Fatalf("search after the import: %+v, %v", page, err)
	}
	p = waitImport(t, f.app, must(f.app.StartImportFrom(bg, f.acc.ID, rowsReader(2, false))))
	if p.State != core.ImportFailed || len(p.Errors) != 2 || !strings.Contains(p.Errors[0].Message, "already exists") {
		t.Fatalf("a second run: %+v", p)
	}

	f.app.SetImportLimit(1000)
	_, err = f.app.StartImportFrom(bg, f.acc.ID, rowsReader(100, false))
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.CodeTooLarge {
		t.Fatalf("over the limit: %v", err)
	}
	if left, err := os.ReadDir(filepath.Join(f.app.DataDir(), "imports")); err != nil || len(left) != 0 {
		t.Errorf("a refused upload left %v %v", left, err)
	}
}
