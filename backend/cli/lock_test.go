package cli_test

import (
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/datalock"
)

// heldWindow is the child process's window (process_test.go): it says it
// is open and stays so until interrupted, holding the data folder.
func heldWindow(_ *core.App, _ fs.FS, startErr error) error {
	if startErr != nil {
		return startErr
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	fmt.Println("window open")
	<-stop
	return nil
}

// refusedServe runs grantbook serve in another process on a held folder and
// checks it fails at once, naming the folder and the holder.
func refusedServe(t *testing.T, want []string, dir string) {
	t.Helper()
	p := startProcess(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	if code := p.exit(10 * time.Second); code != 1 || strings.Contains(p.stdout.String(), "serving on") {
		t.Errorf("second serve: exit %d, stdout %q", code, p.stdout.String())
	}
	saysOnce(t, p.stderr.String(), want)
}

// refusedWindow opens the window in this process on a held folder: it must
// be handed the reason instead of the data, and the exit code is 1.
func refusedWindow(t *testing.T, want []string, dir string) {
	t.Helper()
	var startErr error
	window := func(app *core.App, _ fs.FS, err error) error { startErr = err; return err }
	code, _, errs := run(t, window, "--data-dir", dir)
	if code != 1 || !datalock.IsHeld(startErr) {
		t.Errorf("second window: code %d, told %v", code, startErr)
	}
	saysOnce(t, errs, want)
}

func saysOnce(t *testing.T, stderr string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q lacks %q", stderr, w)
		}
	}
	if n := strings.Count(stderr, "in use by"); n != 1 {
		t.Errorf("the refusal is printed %d times: %q", n, stderr)
	}
}

func TestServeFirstRefusesAnother(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := t.TempDir()
	srv, base, _ := serve(t, nil, "--addr", "127.0.0.1:0", "--data-dir", dir)
	want := []string{dir, fmt.Sprintf("process %d, serve on %s)", srv.cmd.Process.Pid, strings.TrimPrefix(base, "http://"))}
	refusedServe(t, want, dir)
	refusedWindow(t, want, dir)
}

func TestServeDomainNamesItself(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := t.TempDir()
	// The CA is never reached: the folder is taken and named before.
	srv := startProcess(t, nil, "serve", "--domain", "portal.example.test", "--https-addr", "127.0.0.1:0",
		"--http-addr=", "--acme-ca", "https://127.0.0.1:9/directory", "--data-dir", dir)
	srv.waitFor(regexp.MustCompile(`serving on https://portal\.example\.test`), 30*time.Second)
	refusedServe(t, []string{dir, fmt.Sprintf("process %d, serve on portal.example.test (127.0.0.1:", srv.cmd.Process.Pid)}, dir)
}

func TestWindowFirstRefusesServe(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := t.TempDir()
	win := startProcess(t, nil, "--data-dir", dir)
	win.waitFor(regexp.MustCompile(`(?m)^window open$`), 30*time.Second)
	want := []string{dir, fmt.Sprintf("process %d, window)", win.cmd.Process.Pid)}
	refusedServe(t, want, dir)
	refusedWindow(t, want, dir)

	// Killed, it leaves its lock file behind, which blocks nothing.
	win.cmd.Process.Kill()
	if code := win.exit(10 * time.Second); code == 0 {
		t.Fatal("the killed window exited 0")
	}
	opened := false
	window := func(app *core.App, _ fs.FS, err error) error { opened = app != nil; return err }
	if code, _, errs := run(t, window, "--data-dir", dir); code != 0 || !opened {
		t.Errorf("after the holder was killed: code %d, opened %v, %s", code, opened, errs)
	}
}
