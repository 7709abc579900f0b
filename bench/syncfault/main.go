// Command syncfault is issue 18's fault benchmark: a desktop and a hub in
// this process on loopback with real stores, the hub behind serve's
// web.Server, the desktop's leaf through a TCP proxy this program cuts
// (as bench/sync). Scenarios, each printing its figures and PASS/FAIL
// assertions (the exit code is 1 on any FAIL; timing targets are printed
// as met or MISSED):
//
//   - lag: a change on one side until the other's store has it, link up;
//   - cuts: seeded cuts and restores while the owner writes on the desktop
//     and a contact acts in the hub's client area; then nothing lost, no
//     row twice, equal table digests, no rejection;
//   - revocation: a grant narrowed or a contact suspended on the desktop,
//     until the hub's client area refuses them;
//   - skew: cuts again with the hub's change-log clock −10 then +10
//     minutes off, and a field both sides edit at once;
//   - forged: the hub's real events handed to the desktop's live log
//     (ApplyAll, the applier's entry point, not the wire) out of order,
//     twice, and forged;
//   - outage: -outage changes made offline, caught up, while the client
//     area's p99 is measured against its idle figure.
//
// kill -9 of either side is bench/synckill's.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

func main() {
	seed := flag.Uint64("seed", 1, "seed of the cut schedule and of both writers")
	cuts := flag.Int("cuts", 20, "link cuts while both sides write (full run: 200)")
	skewCuts := flag.Int("skew-cuts", 0, "cuts in each clock-skew run (0: cuts/5, at least 3)")
	upMax := flag.Duration("up", 400*time.Millisecond, "longest the link stays up after the leaf is back, before the next cut")
	downMax := flag.Duration("down", 600*time.Millisecond, "longest a cut lasts")
	outage := flag.Int("outage", 2000, "changes made on the desktop while the link is cut (full run: 50000)")
	gets := flag.Int("gets", 300, "client-area GETs for the idle p99")
	lagN := flag.Int("lag", 100, "changes timed one by one each way with the link up")
	revocations := flag.Int("revocations", 20, "revocations timed")
	forgedK := flag.Int("forged", 30, "genuine hub events handed to the desktop's log, with forgeries")
	settle := flag.Duration("settle", 5*time.Minute, "longest wait for both sides to be in step")
	invoices := flag.Int("invoices", 5, "invoices of the contact's account made before pairing (the outage's GET lists them all; the full run's cuts leave ~13,000)")
	progress := flag.Bool("progress", false, "print the hub's mark and mirror every 2 s during the outage's catch-up")
	only := flag.String("only", "", "comma-separated scenarios to run (lag,cuts,revocation,skew,forged,outage); empty: all")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (both sides and the contact) to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *skewCuts == 0 {
		*skewCuts = max(3, *cuts/5)
	}
	want := func(s string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), s) }

	ctx := context.Background()
	r, err := openRig(ctx, *settle)
	if err != nil {
		log.Fatal(err)
	}
	r.progress = *progress
	defer r.close()
	t0 := time.Now()
	if err := r.seedAndPair(*invoices); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("paired and in step after %s\n", time.Since(t0).Round(time.Millisecond))
	ada, err := r.signIn(r.ada)
	if err != nil {
		log.Fatal(err)
	}
	if want("lag") {
		r.lag(*lagN, ada)
	}
	if want("cuts") {
		r.cutsWhileBothWrite("cuts", *seed, *cuts, *upMax, *downMax, ada)
	}
	if want("revocation") {
		r.revocation(*revocations)
	}
	if want("skew") {
		r.skew(-10*time.Minute, *seed+1, *skewCuts, *upMax, *downMax, ada)
		r.skew(10*time.Minute, *seed+2, *skewCuts, *upMax, *downMax, ada)
	}
	if want("forged") {
		r.forged(*forgedK, *seed, ada)
	}
	if want("outage") {
		r.outage(*outage, *gets, ada)
	}
	if r.fails > 0 {
		fmt.Printf("%d FAIL\n", r.fails)
		r.close()
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	fmt.Println("all PASS")
}
