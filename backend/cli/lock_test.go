package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"grantbook/backend/cli"
	"grantbook/backend/core"
	"grantbook/backend/datalock"
	"grantbook/backend/proctest"
)

// TestMain doubles as a second grantbook: with GRANTBOOK_CLI_ARGS set, the
// test binary runs the command line with those arguments. Its "window"
// says so and stays open until stdin closes.
func TestMain(m *testing.M) {
	proctest.Main(m, "GRANTBOOK_CLI_ARGS", func(args string) int {
		return cli.Main(strings.Fields(args), assets, heldWindow, os.Stdout, os.Stderr)
	})
}

func heldWindow(app *core.App, _ fs.FS, startErr error) error {
	if startErr != nil {
		return startErr
	}
	fmt.Println("window open")
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// other runs grantbook with args in another process and waits until its
// output matches ready; it returns the process and the match.
func other(t *testing.T, ready string, args ...string) (*exec.Cmd, []string) {
	t.Helper()
	p := proctest.Start(t, "GRANTBOOK_CLI_ARGS="+strings.Join(args, " "), "GRANTBOOK_KEYRING=off")
	return p.Cmd, p.Await(t, ready)
}

// refusedServe runs grantbook serve in another process on a held folder and
// checks it fails at once, naming the folder and the holder.
func refusedServe(t *testing.T, want []string, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GRANTBOOK_CLI_ARGS=serve --addr 127.0.0.1:0 --data-dir "+dir, "GRANTBOOK_KEYRING=off")
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("a second serve was still running after 10 s: %q", out.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || strings.Contains(out.String(), "serving on") {
		t.Errorf("second serve: %v, stdout %q", err, out.String())
	}
	saysOnce(t, errs.String(), want)
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
	srv, m := other(t, `serving on http://(127\.0\.0\.1:\d+)/`, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	want := []string{dir, fmt.Sprintf("process %d, serve on %s", srv.Process.Pid, m[1])}
	refusedServe(t, want, dir)
	refusedWindow(t, want, dir)
}

func TestWindowFirstRefusesServe(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	dir := t.TempDir()
	win, _ := other(t, `^window open$`, "--data-dir", dir)
	want := []string{dir, fmt.Sprintf("process %d, window)", win.Process.Pid)}
	refusedServe(t, want, dir)
	refusedWindow(t, want, dir)

	// Killed, it leaves its lock file behind, which blocks nothing.
	win.Process.Kill()
	if err := win.Wait(); err == nil || errors.Is(err, exec.ErrNotFound) {
		t.Fatalf("the killed window: %v", err)
	}
	opened := false
	window := func(app *core.App, _ fs.FS, err error) error { opened = app != nil; return err }
	if code, _, errs := run(t, window, "--data-dir", dir); code != 0 || !opened {
		t.Errorf("after the holder was killed: code %d, opened %v, %s", code, opened, errs)
	}
}
