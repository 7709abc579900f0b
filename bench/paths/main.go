// Command paths measures what Grantbook's requests really cost, side by
// side with a minimal server on the same data in the same run: it seeds a
// store (cached outside the repository), starts `grantbook serve` on a copy
// and a baseline (net/http + go-sqlite3: one prepared primary-key SELECT,
// and the same plus one INSERT in a transaction) on another, and drives
// both with wrk, interleaved, printing req/s, p50 and p99 of each and the
// ratio. One-client latencies (search, list pages) come from a sequential
// Go client; the CSV import is timed against the sqlite3 shell's .import.
//
// Usage, from the module root:
//
//	go run ./bench/paths [-sizes 100000,1000000] [-only check,portal,search,list,import|seed] [-any-seed]
//	                     [-duration 10s] [-rounds 3] [-conns 32] [-threads 2] [-cache DIR]
//	go run ./bench/paths -smoke    # a tiny store, one second a case: checks the program runs
//	go run ./bench/paths -only inproc[,check,portal,search] [-cpuprofile PREFIX]
//	                               # the handlers alone, in a loop: time and allocations a request
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var (
	sizesFlag = flag.String("sizes", "100000", "store sizes (contacts), comma-separated")
	only      = flag.String("only", "", "comma-separated parts: check, portal, search, list, import (default: all); seed: only make the seed; inproc: the handlers in a loop (with check, portal, search: only those)")
	duration  = flag.Duration("duration", 10*time.Second, "length of one wrk run")
	rounds    = flag.Int("rounds", 3, "runs of each server per case, interleaved (the median is reported)")
	conns     = flag.Int("conns", 32, "wrk connections")
	threads   = flag.Int("threads", 2, "wrk threads")
	cacheDir  = flag.String("cache", filepath.Join(os.TempDir(), "grantbook-bench-paths"), "where seeds and CSV files are kept between runs")
	binFlag   = flag.String("bin", "", "the grantbook binary (default: go build into the work folder)")
	keep      = flag.Bool("keep", false, "keep the work folder")
	smoke     = flag.Bool("smoke", false, "tiny store, one second a case, one round: checks that the program works")
	anySeed   = flag.Bool("any-seed", false, "without a seed of this schema, use the newest of another (older migrations: the product applies the rest when it opens it)")

	cpuProfile = flag.String("cpuprofile", "", "with -only inproc: write a CPU profile of each case to this prefix + case + .pprof")
	memProfile = flag.String("memprofile", "", "with -only inproc: write an allocation profile of each case to this prefix + case + .pprof")

	baselineDB   = flag.String("baseline-db", "", "(internal) serve the baseline on this database")
	baselineAddr = flag.String("baseline-addr", "", "(internal) the baseline's address")
)

func main() {
	flag.Parse()
	if *baselineDB != "" {
		serveBaseline(*baselineDB, *baselineAddr)
		return
	}
	if *smoke {
		*sizesFlag, *duration, *rounds, *conns = "300", time.Second, 1, 4
	}
	work, err := os.MkdirTemp("", "grantbook-bench-paths-")
	if err != nil {
		fail(err)
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	bin := *binFlag
	if bin == "" && !want("inproc") {
		if bin, err = buildProduct(work); err != nil {
			fail(err)
		}
	}
	fmt.Printf("machine: %s; load average at start %s; wrk -t%d -c%d -d%s, %d rounds interleaved\n",
		machine(), loadavg(), *threads, *conns, *duration, *rounds)
	ok := true
	for _, f := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 100 {
			fail(fmt.Errorf("-sizes: %q is not a size of at least 100", f))
		}
		if !runSize(bin, work, n) {
			ok = false
		}
	}
	if !ok && *smoke {
		fail(fmt.Errorf("smoke run failed"))
	}
}

func want(part string) bool {
	if *only == "" {
		return true
	}
	for _, p := range strings.Split(*only, ",") {
		if strings.TrimSpace(p) == part {
			return true
		}
	}
	return false
}

// runSize runs every part on a store of n contacts; false when a run failed.
func runSize(bin, work string, n int) bool {
	fmt.Printf("\n== %d contacts\n", n)
	dir := filepath.Join(work, fmt.Sprintf("n%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	ok := true
	if want("seed") { // only make the seed, for a later run
		if _, err := seeded(*cacheDir, n); err != nil {
			fail(err)
		}
	}
	if want("inproc") {
		s, err := seeded(*cacheDir, n)
		if err == nil {
			err = inProcess(s, dir)
		}
		if err != nil {
			fmt.Println("in process:", err)
			ok = false
		}
	}
	if !want("inproc") && (want("check") || want("portal") || want("search") || want("list")) {
		ok = servedParts(bin, dir, n) && ok
	}
	if want("import") {
		if err := importPart(bin, dir, n); err != nil {
			fmt.Println("import:", err)
			ok = false
		}
	}
	return ok
}

// servedParts runs the load cases and the one-client latencies on a copy
// of the seed.
func servedParts(bin, dir string, n int) bool {
	s, err := seeded(*cacheDir, n)
	if err != nil {
		fail(err)
	}
	prod, base, err := startBoth(bin, s, dir)
	defer prod.stop()
	defer base.stop()
	if err != nil {
		fmt.Println(err)
		return false
	}
	ok := true
	for _, c := range cases(s) {
		part := strings.TrimSuffix(strings.Fields(c.name)[0], ",") // "search, 32 connections"
		if !want(part) {
			continue
		}
		if err := runCase(c, prod, base, dir, n); err != nil {
			fmt.Printf("%s: %v\n", c.name, err)
			ok = false
		}
	}
	if want("search") {
		if err := oneClientSearch(prod, n); err != nil {
			fmt.Println("search, one client:", err)
			ok = false
		}
	}
	if want("list") {
		if err := oneClientList(prod, n); err != nil {
			fmt.Println("list, one client:", err)
			ok = false
		}
	}
	return ok
}

// startBoth copies the seed twice and starts the product and the baseline.
func startBoth(bin string, s seed, dir string) (*proc, *proc, error) {
	data, baseDB := filepath.Join(dir, "data"), filepath.Join(dir, "baseline.db")
	os.RemoveAll(data)
	os.Remove(baseDB)
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, nil, err
	}
	for _, dst := range []string{filepath.Join(data, "grantbook.db"), baseDB} {
		if err := copyFile(s.db(), dst); err != nil {
			return nil, nil, err
		}
	}
	if err := freshSessions(filepath.Join(data, "grantbook.db")); err != nil {
		return nil, nil, err
	}
	prod, err := startProduct(bin, data, dir)
	if err != nil {
		return nil, nil, err
	}
	base, err := startBaseline(baseDB, dir)
	return prod, base, err
}

// warm brings both servers to their steady state before a case is
// measured (not reported): caches filled, pages in memory. Checks sweep
// every contact once.
func warm(c pathCase, prod, base *proc, dir string, n int) error {
	w, d := c.product, 5*time.Second
	if c.sweep {
		w.Path = strings.ReplaceAll(w.Path, "{id}", "{seq}")
		d = min(max(d, time.Duration(n/4000)*time.Second), 5*time.Minute)
	}
	if *smoke {
		d = time.Second
	}
	if _, err := w.run(dir, prod.base, *threads, *conns, d); err != nil {
		return err
	}
	for _, kind := range c.baselines {
		if _, err := baselineLoad(kind, n).run(dir, base.base, *threads, *conns, min(d, 5*time.Second)); err != nil {
			return err
		}
	}
	return nil
}

// runCase measures the product and its baselines, interleaved round by round.
func runCase(c pathCase, prod, base *proc, dir string, n int) error {
	if err := warm(c, prod, base, dir, n); err != nil {
		return err
	}
	var prods []result
	var cpus []string
	bases := map[string][]result{}
	for r := 0; r < *rounds; r++ {
		t0 := prod.cpu()
		pr, err := c.product.run(dir, prod.base, *threads, *conns, *duration)
		if err != nil {
			return err
		}
		if pr.Requests > 0 {
			cpus = append(cpus, fmt.Sprintf("%.0f", float64(prod.cpu()-t0)/float64(time.Microsecond)/float64(pr.Requests)))
		}
		if pr.Errors > 0 {
			return fmt.Errorf("%d errors or non-2xx answers out of %d requests (log: %s)", pr.Errors, pr.Requests, prod.log)
		}
		prods = append(prods, pr)
		for _, kind := range c.baselines {
			br, err := baselineLoad(kind, n).run(dir, base.base, *threads, *conns, *duration)
			if err != nil {
				return err
			}
			bases[kind] = append(bases[kind], br)
		}
	}
	p := medianResult(prods)
	fmt.Printf("%-26s product  %s   rounds %s\n", c.name, p, joinRounds(prods))
	fmt.Printf("%-26s serve's CPU a request (user+system, rounds): %s µs\n", "", strings.Join(cpus, " / "))
	med := map[string]result{}
	for _, kind := range c.baselines {
		b := medianResult(bases[kind])
		med[kind] = b
		fmt.Printf("%-26s %-8s %s   rounds %s   ratio product/%s %.2f×\n", "", kind, b, joinRounds(bases[kind]), kind, p.RPS/b.RPS)
	}
	if k, s := med["const"], med["select"]; k.RPS > 0 && s.RPS > 0 {
		ceiling(k.RPS / s.RPS)
	}
	if applies(c, n) {
		fmt.Printf("%-26s target %s: %s\n", "", c.target, verdict(c.met(p, med)))
	} else {
		fmt.Printf("%-26s target %s\n", "", c.target)
	}
	return nil
}

// ceiling prints how far above the one-SELECT baseline a server that does
// no work at all gets, and what that means for the 1.5× target.
func ceiling(r float64) {
	fmt.Printf("%-26s ceiling: const/select %.2f×", "", r)
	if r < 1.5 {
		fmt.Printf(" < 1.5×: on this machine not even a net/http server that answers a constant does 1.5× the SELECT baseline, so no server that does any work can")
	}
	fmt.Println()
}

func machine() string {
	cpu, n := "unknown CPU", 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu, n = strings.TrimSpace(v), n+1
			}
		}
	}
	return fmt.Sprintf("%s, %d cores", cpu, n)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/paths:", err)
	os.Exit(1)
}
