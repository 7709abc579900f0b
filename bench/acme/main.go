// Command acme measures the time from starting `grantbook serve --domain`
// to its first HTTPS answer (GET /api/health, trusting only the CA's root)
// against Pebble, Let's Encrypt's test CA, on loopback:
//
//   - first start, empty data folder, tls-alpn-01 reachable on the HTTPS
//     port (what autocert tries first, as with Let's Encrypt on :443):
//     account registration, order, validation, issuance;
//   - first start where only HTTP-01 works (tls-alpn-01 refused first);
//   - restart with the certificate cached in the data folder;
//
// beside the baseline of the same binary: `serve` on plain loopback HTTP,
// start to first answer. With -hold it then leaves one server running and
// prints a curl command to try by hand.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"time"

	"grantbook/backend/certs/certstest"
)

const name = "portal.grantbook.test"

var (
	runs = flag.Int("runs", 5, "runs of each case")
	bin  = flag.String("bin", "", "grantbook binary (default: go build . into a temp folder)")
	hold = flag.Bool("hold", false, "afterwards keep one serve --domain running and print a curl command")
	keep = flag.String("keep", "", "work in this folder and keep it (default: a temp folder, removed)")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	work, cleanup := workDir()
	defer cleanup()
	grantbook := *bin
	if grantbook == "" {
		grantbook = build(work)
	}
	ports, err := certstest.FreePorts(3)
	check(err, "finding ports")
	b := &bench{bin: grantbook, work: work, httpsPort: ports[0], httpPort: ports[1], plainPort: ports[2]}

	alpn := b.pebble("pebble-alpn", b.httpsPort)
	defer alpn.Stop()
	http01 := b.pebble("pebble-http01", 0)
	defer http01.Stop()

	plain := b.times(*runs, func(i int) time.Duration { return b.plain(b.fresh("plain", i)) })
	plainAgain := b.times(*runs, func(int) time.Duration { return b.plain(b.fresh("plain", 0)) })
	first := b.times(*runs, func(i int) time.Duration { return b.domain(alpn, b.fresh("alpn", i)) })
	viaHTTP := b.times(*runs, func(i int) time.Duration { return b.domain(http01, b.fresh("http01", i)) })
	restart := b.times(*runs, func(int) time.Duration { return b.domain(alpn, b.fresh("alpn", 0)) })

	fmt.Printf("acme: serve start → first answer, %d runs each, Pebble %s on loopback (median, all runs)\n", *runs, certstest.PebbleVersion)
	report("baseline: serve, plain HTTP, empty data folder", plain, nil)
	report("serve --domain, empty data folder, tls-alpn-01", first, plain)
	report("serve --domain, empty data folder, HTTP-01 after a refused tls-alpn-01", viaHTTP, plain)
	report("baseline: serve, plain HTTP, restart", plainAgain, nil)
	report("serve --domain, restart, certificate cached", restart, plainAgain)
	if *hold {
		b.holdOpen(alpn, b.fresh("alpn", 0))
	}
}

func report(what string, d, base []time.Duration) {
	m := median(d)
	line := fmt.Sprintf("%-72s %8v", what+":", m.Round(time.Millisecond))
	if base != nil {
		line += fmt.Sprintf("  (%.1f× the baseline)", float64(m)/float64(median(base)))
	}
	all := make([]string, len(d))
	for i, x := range d {
		all[i] = x.Round(time.Millisecond).String()
	}
	fmt.Printf("%s  runs %v\n", line, all)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func workDir() (string, func()) {
	if *keep != "" {
		check(os.MkdirAll(*keep, 0o700), "work folder")
		return *keep, func() {}
	}
	dir, err := os.MkdirTemp("", "grantbook-bench-acme-")
	check(err, "work folder")
	return dir, func() { os.RemoveAll(dir) }
}

func build(work string) string {
	out := filepath.Join(work, "grantbook")
	cmd := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", out, ".")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Run(), "building grantbook (run from the repository root)")
	return out
}

func check(err error, doing string) {
	if err != nil {
		log.Fatalf("bench/acme: %s: %v", doing, err)
	}
}

// holdOpen serves until interrupted, for trying it by hand.
func (b *bench) holdOpen(p *certstest.Pebble, dataDir string) {
	_, rootPEM, err := p.Root()
	check(err, "pebble root")
	root := filepath.Join(b.work, "pebble-root.pem")
	check(os.WriteFile(root, rootPEM, 0o600), "writing the root")
	cmd := b.start(os.Stdout, b.domainArgs(p, dataDir)...)
	fmt.Printf("\nserving; try:\n  curl --cacert %s --resolve %s:%d:127.0.0.1 https://%s:%d/api/health\n"+
		"  curl -si --resolve %s:%d:127.0.0.1 http://%s:%d/contacts\nCtrl-C stops.\n",
		root, name, b.httpsPort, name, b.httpsPort, name, b.httpPort, name, b.httpPort)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	b.stop(cmd)
}
