package core_test

import (
	"fmt"
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
