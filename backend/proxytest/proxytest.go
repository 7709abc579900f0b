//go:build !windows

// Package proxytest runs Debian's nginx and Caddy in front of a server under
// test: as children of the test (never daemons), on the loopback ports the
// test picks, with configurations taken from docs/deploy.md so that what is
// documented is what is tested.
package proxytest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"grantbook/backend/proctest"
)

// Snippet returns the fenced code block that follows the line
// "<!-- proxytest: NAME -->" in the Markdown file doc.
func Snippet(t testing.TB, doc, name string) string {
	t.Helper()
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatalf("proxytest: %v", err)
	}
	marker := "<!-- proxytest: " + name + " -->"
	_, rest, ok := strings.Cut(string(raw), marker+"\n")
	if !ok {
		t.Fatalf("proxytest: %s has no %q line", doc, marker)
	}
	fence, rest, ok := strings.Cut(rest, "\n")
	if !ok || !strings.HasPrefix(fence, "```") {
		t.Fatalf("proxytest: %q in %s is not followed by a fenced code block", marker, doc)
	}
	body, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatalf("proxytest: the code block after %q in %s does not end", marker, doc)
	}
	return body + "\n"
}

// Replace replaces each old with its new (pairs), failing the test when an
// old is not there: the documented configuration changed under the test.
func Replace(t testing.TB, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("proxytest: %q is not in the documented configuration:\n%s", pairs[i], s)
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// Proc is a proxy running as a child of the test.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	out  proctest.Buffer
	done chan struct{}
}

// Log is what the proxy wrote so far.
func (p *Proc) Log() string { return p.out.String() }

// need fails the test with how to install a missing program.
func need(t testing.TB, program, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		t.Fatalf("proxytest: %s is not installed: run scripts/setup.sh (or apt-get install %s)", program, pkg)
	}
	return path
}

// start runs the program in its own process group, stopped (and waited
// for) when the test ends, and waits until it accepts connections on ready.
func start(t testing.TB, name string, ready string, env []string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, cmd: exec.Command(args[0], args[1:]...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("proxytest: starting %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", ready, time.Second); err == nil {
			c.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("proxytest: %s exited at start (%v):\n%s", name, p.cmd.ProcessState, p.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxytest: %s does not answer on %s after 20 s:\n%s", name, ready, p.Log())
		}
		time.Sleep(20 * time.Millisecond) // polling, with the deadline above
	}
}

// stop asks the whole group to quit (nginx's workers too), then kills it.
func (p *Proc) stop() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Nginx runs nginx in the foreground with servers (server blocks, the
// http context's content) and waits until ready accepts connections.
func Nginx(t testing.TB, servers, ready string) *Proc {
	t.Helper()
	bin := need(t, "nginx", "nginx")
	dir := t.TempDir()
	var tmp strings.Builder
	for _, k := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&tmp, "\t%s_temp_path %s;\n", k, filepath.Join(dir, k))
	}
	// As root the workers would switch to nobody, who cannot use dir.
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n"
	}
	conf := fmt.Sprintf("%sdaemon off;\nworker_processes 1;\npid %s;\nerror_log stderr notice;\nevents { worker_connections 64; }\n"+
		"http {\n\taccess_log %s;\n%s\n%s}\n", user, filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "access.log"), tmp.String(), servers)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, "nginx", ready, nil, bin, "-p", dir, "-e", "stderr", "-c", file)
}

// Caddy runs `caddy run` with caddyfile, keeping its state under a
// temporary home, and waits until ready accepts connections.
func Caddy(t testing.TB, caddyfile, ready string) *Proc {
	t.Helper()
	bin := need(t, "caddy", "caddy")
	dir := t.TempDir()
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data")}
	return start(t, "caddy", ready, env, bin, "run", "--adapter", "caddyfile", "--config", file)
}
