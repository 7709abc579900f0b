package core_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
	"grantbook/backend/proctest"
)

// The other process of TestUncleanStopIsRecorded: it opens the data,
// says so and waits to be killed.
func TestMain(m *testing.M) {
	proctest.Main(m, "GRANTBOOK_CRASH_DIR", func(dir string) int {
		os.Setenv("GRANTBOOK_KEYRING", "off")
		if _, err := core.Open(context.Background(), dir); err != nil {
			fmt.Println("open:", err)
			return 1
		}
		fmt.Println("open")
		select {}
	})
}

// A process killed with the data open leaves the mark a clean stop
// removes: the next one says in the audit log that views may be missing.
func TestUncleanStopIsRecorded(t *testing.T) {
	dir := t.TempDir()
	p := proctest.Start(t, "GRANTBOOK_CRASH_DIR="+dir)
	p.Await(t, "^open$")
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Cmd.Process.Wait() // the kernel drops its lock on the folder when it is gone
	app := openApp(t, dir)
	entries, _, err := app.Audit(bg, core.AuditFilter{Entity: "database", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "system.unclean_stop" || !strings.Contains(entries[0].Summary, "may be missing") {
		t.Fatalf("after a kill: %+v, want one system.unclean_stop row", entries)
	}
	// Closed cleanly, the next start records nothing.
	app.Close()
	again := openApp(t, dir)
	if _, n, _ := again.Audit(bg, core.AuditFilter{Entity: "database", Limit: 10}); n != 1 {
		t.Errorf("after a clean stop: %d database rows, want still 1", n)
	}
}

// Close stops what Start runs before it closes the store, even while the
// context given to Start is still alive: nothing of the app runs once Close
// returns (a worker left behind wrote into a removed data folder in CI).
func TestCloseWaitsForStartedWork(t *testing.T) {
	app := openApp(t, t.TempDir())
	app.Start(context.Background())
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, g := range strings.Split(stacks, "\n\n") {
		for _, fn := range []string{"(*Worker).Run", "(*Watcher).Run", "(*App).runSignins", "(*App).runSearchIndex", "(*App).Start"} {
			if strings.Contains(g, fn) {
				t.Fatalf("after Close, still running:\n%s", g)
			}
		}
	}
}

// A paired hub leaves the owner's timed jobs to the desktop: run there
// too, they would mail contacts twice and change the owner's records.
func TestOwnerJobsRunWhereTheOwnerIs(t *testing.T) {
	r := newInvRig(t, true, true)
	inv := r.invite("Ivy", "Invitee", "ivy@client.test")
	r.flush(1)
	r.advance(15 * 24 * time.Hour)
	elsewhere := true
	r.app.SetOwnerJobsElsewhere(func() bool { return elsewhere })
	r.app.RunOwnerJobs(invCtx)
	if got := r.invitation(inv.ID); got.State == model.InvExpired {
		t.Fatalf("jobs ran while they belong elsewhere: %+v", got)
	}
	elsewhere = false
	r.app.RunOwnerJobs(invCtx)
	if got := r.invitation(inv.ID); got.State != model.InvExpired {
		t.Fatalf("jobs did not run here: %+v", got)
	}
}
