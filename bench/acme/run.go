package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"grantbook/backend/certs/certstest"
)

type bench struct {
	bin, work                      string
	httpsPort, httpPort, plainPort int
	logs                           int
}

// pebble starts a CA whose HTTP-01 requests go to b.httpPort and whose
// tls-alpn-01 ones go to tlsPort (0: a closed port).
func (b *bench) pebble(dir string, tlsPort int) *certstest.Pebble {
	d := filepath.Join(b.work, dir)
	check(os.MkdirAll(d, 0o700), "pebble folder")
	log, err := os.Create(filepath.Join(d, "pebble.log"))
	check(err, "pebble log")
	p, err := certstest.Start(context.Background(), certstest.Options{Dir: d, HTTPPort: b.httpPort, TLSPort: tlsPort, Log: log})
	check(err, "starting pebble")
	return p
}

// fresh names a data folder that does not exist yet.
func (b *bench) fresh(kind string, i int) string {
	return filepath.Join(b.work, fmt.Sprintf("data-%s-%d", kind, i))
}

func (b *bench) times(n int, f func(int) time.Duration) []time.Duration {
	var d []time.Duration
	for i := range n {
		d = append(d, f(i))
	}
	return d
}

// plain is the baseline: start to first answer of serve on loopback HTTP.
func (b *bench) plain(dataDir string) time.Duration {
	start := time.Now()
	cmd := b.start(nil, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", b.plainPort), "--data-dir", dataDir)
	defer b.stop(cmd)
	return firstAnswer(http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/api/health", b.plainPort), start)
}

// domain is start to first HTTPS answer of serve --domain, trusting only
// Pebble's root.
func (b *bench) domain(p *certstest.Pebble, dataDir string) time.Duration {
	pool, _, err := p.Root()
	check(err, "pebble root")
	start := time.Now()
	cmd := b.start(nil, b.domainArgs(p, dataDir)...)
	defer b.stop(cmd)
	return firstAnswer(certstest.Client(pool, name), fmt.Sprintf("https://%s:%d/api/health", name, b.httpsPort), start)
}

func (b *bench) domainArgs(p *certstest.Pebble, dataDir string) []string {
	return []string{"serve", "--domain", name, "--data-dir", dataDir,
		"--https-addr", fmt.Sprintf("127.0.0.1:%d", b.httpsPort), "--http-addr", fmt.Sprintf("127.0.0.1:%d", b.httpPort),
		"--acme-ca", p.DirectoryURL, "--acme-root", p.ListenerCA}
}

// start runs grantbook; its output goes to out, or to a log file.
func (b *bench) start(out io.Writer, args ...string) *exec.Cmd {
	if out == nil {
		b.logs++
		f, err := os.Create(filepath.Join(b.work, fmt.Sprintf("serve-%02d.log", b.logs)))
		check(err, "serve log")
		out = f
	}
	cmd := exec.Command(b.bin, args...)
	cmd.Env = append(os.Environ(), "GRANTBOOK_KEYRING=off", "GRANTBOOK_TOKEN=")
	cmd.Stdout, cmd.Stderr = out, out
	check(cmd.Start(), "starting grantbook")
	return cmd
}

func (b *bench) stop(cmd *exec.Cmd) {
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// firstAnswer polls url until it answers 200 and returns the time since start.
func firstAnswer(c *http.Client, url string, start time.Time) time.Duration {
	deadline := time.Now().Add(2 * time.Minute)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		res, err := c.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		if time.Now().After(deadline) {
			check(fmt.Errorf("no answer within 2 minutes: %v", err), "waiting for "+url)
		}
	}
	panic("unreachable")
}
