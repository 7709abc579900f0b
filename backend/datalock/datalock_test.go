package datalock_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grantbook/backend/datalock"
	"grantbook/backend/proctest"
)

// TestMain doubles as the other process: with DATALOCK_DIR set, the test
// binary takes the lock, says "locked" and holds it until stdin closes.
func TestMain(m *testing.M) {
	proctest.Main(m, "DATALOCK_DIR", func(dir string) int { return holder(dir, os.Getenv("DATALOCK_MODE")) })
}

func holder(dir, mode string) int {
	l, err := datalock.Acquire(dir)
	if err != nil {
		fmt.Println("refused:", err)
		return 3
	}
	if err := l.SetMode(mode); err != nil {
		fmt.Println("set mode:", err)
		return 4
	}
	fmt.Println("locked")
	os.Stdin.Read(make([]byte, 1)) // returns when the test closes stdin
	if err := l.Release(); err != nil {
		fmt.Println("release:", err)
		return 5
	}
	return 0
}

// start runs the test binary as a lock holder on dir.
func start(t *testing.T, dir, mode string) *proctest.Proc {
	return proctest.Start(t, "DATALOCK_DIR="+dir, "DATALOCK_MODE="+mode)
}

func held(t *testing.T, err error) *datalock.HeldError {
	t.Helper()
	var he *datalock.HeldError
	if !errors.As(err, &he) {
		t.Fatalf("Acquire = %v, want a HeldError", err)
	}
	return he
}

func TestAnotherProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	first := start(t, dir, "serve on 127.0.0.1:8765")
	first.Await(t, "^locked$")

	he := held(t, acquireErr(dir))
	if he.Holder.PID != first.Cmd.Process.Pid || he.Holder.Mode != "serve on 127.0.0.1:8765" {
		t.Errorf("holder %+v, want pid %d serving", he.Holder, first.Cmd.Process.Pid)
	}
	msg := he.Error()
	for _, want := range []string{dir, fmt.Sprintf("process %d", first.Cmd.Process.Pid), "serve on 127.0.0.1:8765"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}

	// A third process is refused just the same, and at once.
	second := start(t, dir, "window")
	if l := second.Await(t, "^refused: .*")[0]; !strings.Contains(l, dir) {
		t.Errorf("second process: %q", l)
	}
	if err := second.Cmd.Wait(); err == nil {
		t.Error("the refused process exited 0")
	}

	// Once the first lets go, the folder is free.
	first.Stdin.Close()
	if err := first.Cmd.Wait(); err != nil {
		t.Fatalf("first process: %v", err)
	}
	l, err := datalock.Acquire(dir)
	if err != nil {
		t.Fatalf("after the holder released: %v", err)
	}
	l.Release()
}

func TestKilledHolderLeavesNoLock(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, "window")
	p.Await(t, "^locked$")
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Cmd.Wait()

	// The killed process's record is still there; it does not matter.
	if rec := record(t, dir); !strings.Contains(rec, fmt.Sprintf(`"pid":%d,`, p.Cmd.Process.Pid)) {
		t.Fatalf("lock file after the kill: %q", rec)
	}
	l, err := datalock.Acquire(dir)
	if err != nil {
		t.Fatalf("a killed holder still blocks: %v", err)
	}
	defer l.Release()
	if rec := record(t, dir); !strings.Contains(rec, fmt.Sprintf(`"pid":%d,`, os.Getpid())) {
		t.Errorf("lock file names %q, want this process", rec)
	}
}

func record(t *testing.T, dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, datalock.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestSameProcessTwice(t *testing.T) {
	dir := t.TempDir()
	l, err := datalock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetMode("window"); err != nil {
		t.Fatal(err)
	}
	he := held(t, acquireErr(dir))
	if he.Holder.PID != os.Getpid() || he.Holder.Mode != "window" {
		t.Errorf("holder %+v", he.Holder)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	l, err = datalock.Acquire(dir)
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	l.Release()
}

func TestMissingFolder(t *testing.T) {
	_, err := datalock.Acquire(filepath.Join(t.TempDir(), "absent"))
	if err == nil || datalock.IsHeld(err) {
		t.Errorf("Acquire on a missing folder: %v", err)
	}
}

func acquireErr(dir string) error {
	l, err := datalock.Acquire(dir)
	if err == nil {
		l.Release()
		return fmt.Errorf("Acquire(%s) succeeded", dir)
	}
	return err
}
