package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownerToken is the product's GRANTBOOK_TOKEN in every run.
const ownerToken = "bench-owner-token-0123456789abcdef"

// buildTags are the tags scripts/build.sh builds with (less the window's).
const buildTags = "sqlite_fts5"

// proc is a server the benchmark started.
type proc struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	log  string
	done chan struct{} // closed when the process has exited
}

// buildProduct builds the grantbook binary from the module root.
func buildProduct(work string) (string, error) {
	bin := filepath.Join(work, "grantbook")
	args := []string{"build", "-o", bin}
	if buildTags != "" {
		args = append(args, "-tags", buildTags)
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build (run from the module root): %w", err)
	}
	return bin, nil
}

// startProduct runs grantbook serve on dataDir.
func startProduct(bin, dataDir, work string) (*proc, error) {
	addr := freeAddr()
	p := &proc{name: "grantbook serve", base: "http://" + addr, log: filepath.Join(work, "serve.log")}
	p.cmd = exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir)
	p.cmd.Env = append(os.Environ(), "GRANTBOOK_TOKEN="+ownerToken, "GRANTBOOK_KEYRING=off")
	return p, p.start("/api/health")
}

// startBaseline runs this program again as the baseline server on file.
func startBaseline(file, work string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr := freeAddr()
	p := &proc{name: "baseline", base: "http://" + addr, log: filepath.Join(work, "baseline.log")}
	p.cmd = exec.Command(self, "-baseline-db", file, "-baseline-addr", addr)
	return p, p.start("/health")
}

func (p *proc) start(health string) error {
	f, err := os.Create(p.log)
	if err != nil {
		return err
	}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	p.done = make(chan struct{})
	var exitErr error
	go func() { exitErr = p.cmd.Wait(); f.Close(); close(p.done) }()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if res, err := http.Get(p.base + health); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			b, _ := os.ReadFile(p.log)
			return fmt.Errorf("%s exited (%v): %s", p.name, exitErr, b)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: no answer on %s after 2 minutes (log: %s)", p.name, health, p.log)
}

// stop ends the server with SIGTERM, a clean stop.
func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// rss is the process's resident memory now and at its peak, in MiB.
func (p *proc) rss() (now, peak float64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			now = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return now, peak
}

// cpu is the CPU time (user and system) the process has used so far, from
// /proc/<pid>/stat (0 where that cannot be read).
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command's ")": state is the first, utime the 12th, stime the 13th.
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (100 on Linux).
const clockTicks = 100

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// copyFile copies src to dst (a new file).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
