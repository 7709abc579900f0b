package datalock_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"grantbook/backend/datalock"
)

// TestMain doubles as the other process: with DATALOCK_DIR set, the test
// binary takes the lock, says "locked" and holds it until stdin closes.
func TestMain(m *testing.M) {
	if dir := os.Getenv("DATALOCK_DIR"); dir != "" {
		os.Exit(holder(dir, os.Getenv("DATALOCK_MODE")))
	}
	os.Exit(m.Run())
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
	io.Copy(io.Discard, os.Stdin)
	if err := l.Release(); err != nil {
		fmt.Println("release:", err)
		return 5
	}
	return 0
}

type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// start runs the test binary as a lock holder on dir.
func start(t *testing.T, dir, mode string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DATALOCK_DIR="+dir, "DATALOCK_MODE="+mode)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: stdin, lines: make(chan string, 4)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	return p
}

// line waits for the process's next line of output.
func (p *proc) line(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatal("the other process ended without a word")
		}
		return l
	case <-time.After(20 * time.Second):
		t.Fatal("the other process said nothing for 20 s")
	}
	return ""
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
	if l := first.line(t); l != "locked" {
		t.Fatalf("first process: %q", l)
	}

	he := held(t, acquireErr(dir))
	if he.Holder.PID != first.cmd.Process.Pid || he.Holder.Mode != "serve on 127.0.0.1:8765" {
		t.Errorf("holder %+v, want pid %d serving", he.Holder, first.cmd.Process.Pid)
	}
	msg := he.Error()
	for _, want := range []string{dir, fmt.Sprintf("process %d", first.cmd.Process.Pid), "serve on 127.0.0.1:8765"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}

	// A third process is refused just the same, and at once.
	second := start(t, dir, "window")
	if l := second.line(t); !strings.HasPrefix(l, "refused: ") || !strings.Contains(l, dir) {
		t.Errorf("second process: %q", l)
	}
	if err := second.cmd.Wait(); err == nil {
		t.Error("the refused process exited 0")
	}

	// Once the first lets go, the folder is free.
	first.stdin.Close()
	if err := first.cmd.Wait(); err != nil {
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
	if l := p.line(t); l != "locked" {
		t.Fatalf("holder: %q", l)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	// The killed process's record is still there; it does not matter.
	var h datalock.Holder
	raw, _ := os.ReadFile(filepath.Join(dir, datalock.FileName))
	if json.Unmarshal(raw, &h) != nil || h.PID != p.cmd.Process.Pid {
		t.Fatalf("lock file after the kill: %q", raw)
	}
	l, err := datalock.Acquire(dir)
	if err != nil {
		t.Fatalf("a killed holder still blocks: %v", err)
	}
	defer l.Release()
	raw, _ = os.ReadFile(filepath.Join(dir, datalock.FileName))
	if json.Unmarshal(raw, &h) != nil || h.PID != os.Getpid() {
		t.Errorf("lock file names %q, want this process", raw)
	}
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
