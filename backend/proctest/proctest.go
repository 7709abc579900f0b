// Package proctest runs a test binary again as a second, real process: for
// what only shows between processes (file locks, one process per folder).
package proctest

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Main is TestMain's body: with the environment variable env set, this
// process is the other one and exits with child's code; otherwise it runs
// the tests.
func Main(m *testing.M, env string, child func(value string) int) {
	if v := os.Getenv(env); v != "" {
		os.Exit(child(v))
	}
	os.Exit(m.Run())
}

// Proc is the other process. Closing Stdin is its cue to finish.
type Proc struct {
	Cmd   *exec.Cmd
	Stdin io.WriteCloser
	lines chan string
}

// Start runs this test binary, running no tests, with env added to its
// environment. It is killed when the test ends.
func Start(t *testing.T, env ...string) *Proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
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
	p := &Proc{Cmd: cmd, Stdin: stdin, lines: make(chan string, 16)}
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

// Await returns the submatches of the first line of output that matches
// re, failing the test if none comes within 30 s.
func (p *Proc) Await(t *testing.T, re string) []string {
	t.Helper()
	want := regexp.MustCompile(re)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("the other process ended before printing %q", re)
			}
			if m := want.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("the other process printed no %q within 30 s", re)
		}
	}
}

// Buffer collects what a process or server writes while a test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
