package cli_test

import (
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"grantbook/backend/cli"
	"grantbook/backend/proctest"
)

// childEnv makes the test binary run the command line instead of the tests,
// so a test can start, stop and restart serve as a real process.
const childEnv = "GRANTBOOK_CLI_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(cli.Main(os.Args[1:], assets, heldWindow, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// process is a grantbook command running in a child process.
type process struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout proctest.Buffer
	stderr proctest.Buffer
	done   chan struct{}
}

// startProcess runs `grantbook args...` with env added (KEY=VALUE; an empty
// value still overrides the test's own environment).
func startProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := &process{t: t, cmd: exec.Command(os.Args[0], args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), childEnv+"=1", "GRANTBOOK_KEYRING=off")
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting grantbook %q: %v", args, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop() })
	return p
}

// waitFor polls stdout until re matches, the process exits or the deadline
// passes, and returns the submatches.
func (p *process) waitFor(re *regexp.Regexp, within time.Duration) []string {
	p.t.Helper()
	deadline := time.After(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
			return m
		}
		select {
		case <-p.done:
			if m := re.FindStringSubmatch(p.stdout.String()); m != nil {
				return m
			}
			p.t.Fatalf("grantbook exited (%v) before printing %q\nstdout: %s\nstderr: %s", p.cmd.ProcessState, re, p.stdout.String(), p.stderr.String())
		case <-deadline:
			p.t.Fatalf("grantbook printed no %q within %v\nstdout: %s\nstderr: %s", re, within, p.stdout.String(), p.stderr.String())
		case <-tick.C:
		}
	}
}

// exit waits for the process to end by itself and returns its exit code.
func (p *process) exit(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		p.t.Fatalf("grantbook did not exit within %v", within)
		return -1
	}
}

// stop ends the process the way a service manager does, and waits.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	if runtime.GOOS == "windows" {
		p.cmd.Process.Kill()
	} else {
		p.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("grantbook did not stop on interrupt\nstderr: %s", p.stderr.String())
	}
}

var servingLine = regexp.MustCompile(`serving on (https?://[^/\s]+)/#token=(\S+)`)

// serve starts `grantbook serve` and returns it with its base URL and token.
func serve(t *testing.T, env []string, args ...string) (p *process, base, token string) {
	t.Helper()
	p = startProcess(t, env, append([]string{"serve"}, args...)...)
	m := p.waitFor(servingLine, 30*time.Second)
	if strings.Contains(m[2], "%") {
		t.Fatalf("printed token %q looks unformatted", m[2])
	}
	return p, m[1], m[2]
}
