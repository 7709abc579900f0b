// Command synckill kills the desktop or the hub with SIGKILL mid-stream
// (issue 18) and checks that sync loses nothing and applies nothing twice.
//
// It runs each side as a child process of its own (this program again,
// with -role): the hub is serve's web.Server on a fixed loopback port
// with StartHubSync, the desktop the window's StartDesktopSync paired with
// it. Both write changes at a steady rate and print each one once its
// commit returned. For -kills rounds the parent picks a side (seeded),
// kills it at a random moment while both write, restarts it on the same
// data dir, and times until both sides are in step again. At the end it
// checks both stores: every printed change on both sides exactly once,
// high-water marks equal to each origin's last sequence, equal table
// digests, no rejections, PRAGMA integrity_check ok.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	role := flag.String("role", "", "child: hub or desk (the parent runs without it)")
	dir := flag.String("dir", "", "child: data dir")
	addr := flag.String("addr", "", "child hub: listen address")
	hubURL := flag.String("hub", "", "child desk: the hub's address")
	code := flag.String("code", "", "child desk: pairing code (first start only)")
	gen := flag.Int("gen", 1, "child: start number (markers stay unique across restarts)")
	rate := flag.Int("rate", 200, "changes per second each side writes (200 keeps the appliers some events behind: the kill lands mid-stream)")
	kills := flag.Int("kills", 4, "kill -9 rounds (the full run: 20)")
	seed := flag.Uint64("seed", 1, "seed for the side killed and the moment")
	minWait := flag.Duration("min", 150*time.Millisecond, "shortest wait before a kill")
	maxWait := flag.Duration("max", 1500*time.Millisecond, "longest wait before a kill")
	pairKills := flag.Int("pair-kills", 0, "instead: rounds of kill -9 of one side during pairing, each on fresh data dirs")
	seedRows := flag.Int("seed-rows", 0, "accounts on the desktop before it pairs (its snapshot); -pair-kills: 3000 unless set")
	pairMax := flag.Duration("pair-max", 0, "-pair-kills: longest wait after the desktop starts pairing (0: 1.2 times a pairing nobody killed)")
	flag.Parse()
	if *role != "" {
		if err := runChild(*role, *dir, *addr, *hubURL, *code, *gen, *rate, *seedRows); err != nil {
			fmt.Fprintln(os.Stderr, *role+":", err)
			os.Exit(2)
		}
		return
	}
	rng := rand.New(rand.NewPCG(*seed, 0x5eed))
	var ok bool
	var err error
	if *pairKills > 0 {
		if *seedRows == 0 {
			*seedRows = 3000
		}
		ok, err = pairingRounds(*pairKills, *rate, *seedRows, *pairMax, rng)
	} else {
		r := &run{rate: *rate, rng: rng, rec: newRecord(), seedRows: *seedRows}
		ok, err = r.main(*kills, *minWait, *maxWait)
	}
	if err != nil {
		log.Printf("FAIL: %v", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Println("FAIL")
		os.Exit(1)
	}
	fmt.Println("PASS")
}

type run struct {
	rate     int
	seedRows int
	rng      *rand.Rand
	rec      *record
	tmp      string
	addr     string
	gen      int
	hub, dsk *proc
}

// proc is one running child.
type proc struct {
	role    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan string
	done    chan struct{} // its stdout reached EOF
}

func (r *run) main(kills int, minWait, maxWait time.Duration) (bool, error) {
	var err error
	if r.tmp, err = os.MkdirTemp("", "bench-synckill-"); err != nil {
		return false, err
	}
	defer os.RemoveAll(r.tmp)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false, err
	}
	r.addr = ln.Addr().String()
	ln.Close()
	defer func() {
		for _, p := range []*proc{r.hub, r.dsk} {
			if p != nil {
				p.kill()
			}
		}
	}()

	if r.hub, err = r.start("hub"); err != nil {
		return false, err
	}
	line, err := r.hub.await("code ")
	if err != nil {
		return false, err
	}
	if _, err := r.hub.await("ready"); err != nil {
		return false, err
	}
	if r.dsk, err = r.start("desk", "-code", strings.TrimPrefix(line, "code "), "-seed-rows", strconv.Itoa(r.seedRows)); err != nil {
		return false, err
	}
	if _, err := r.dsk.await("pairing"); err != nil {
		return false, err
	}
	if _, err := r.dsk.await("ready"); err != nil {
		return false, err
	}
	for _, p := range []*proc{r.hub, r.dsk} {
		if _, err := p.ask("go", "ok go"); err != nil {
			return false, err
		}
	}
	// Both writing (the hub once the contact it acts for has arrived).
	if err := r.rec.waitBoth(30 * time.Second); err != nil {
		return false, err
	}

	var converge, sinceKill []time.Duration
	perSide := map[string][]time.Duration{}
	var inFlight []int
	killed := map[string]int{}
	for round := range kills {
		time.Sleep(minWait + time.Duration(r.rng.Int64N(int64(maxWait-minWait)))) // the random moment, not a synchronisation
		victim := &r.hub
		if r.rng.IntN(2) == 1 {
			victim = &r.dsk
		}
		// What is in flight just before the kill: events one side has and
		// the other has not applied yet.
		hs, ds, err := r.statuses()
		if err != nil {
			return false, err
		}
		flight := int(ds.OwnLast-hs.PeerApplied) + int(hs.OwnLast-ds.PeerApplied)
		role := (*victim).role
		tKill := time.Now()
		(*victim).kill()
		killed[role]++
		tStart := time.Now()
		if *victim, err = r.start(role); err != nil {
			return false, err
		}
		if _, err := (*victim).await("ready"); err != nil {
			return false, fmt.Errorf("round %d: %s did not restart: %w", round+1, role, err)
		}
		// Stop writing on both sides, then time until both are in step.
		for _, p := range []*proc{r.hub, r.dsk} {
			if _, err := p.ask("pause", "ok pause"); err != nil {
				return false, err
			}
		}
		if err := r.waitInStep(60 * time.Second); err != nil {
			return false, fmt.Errorf("round %d (%s killed, %d events in flight): %w", round+1, role, flight, err)
		}
		converge = append(converge, time.Since(tStart))
		perSide[role] = append(perSide[role], converge[len(converge)-1])
		sinceKill = append(sinceKill, time.Since(tKill))
		inFlight = append(inFlight, flight)
		fmt.Printf("round %2d: kill -9 %-4s with %3d events in flight; in step %s after the restart\n",
			round+1, role, flight, converge[len(converge)-1].Round(time.Millisecond))
		for _, p := range []*proc{r.hub, r.dsk} {
			if _, err := p.ask("go", "ok go"); err != nil {
				return false, err
			}
		}
	}
	for _, p := range []*proc{r.hub, r.dsk} {
		if _, err := p.ask("pause", "ok pause"); err != nil {
			return false, err
		}
	}
	if err := r.waitInStep(60 * time.Second); err != nil {
		return false, fmt.Errorf("at the end: %w", err)
	}
	hf, df, err := r.finals()
	if err != nil {
		return false, err
	}
	if err := r.quitBoth(); err != nil {
		return false, err
	}

	fmt.Printf("kills: %d hub, %d desktop; rate %d changes/s each side\n", killed["hub"], killed["desk"], r.rate)
	fmt.Printf("committed (printed after commit): desktop %d, hub %d; events: desktop %d, hub %d\n",
		r.rec.count("desk"), r.rec.count("hub"), df.OwnLast, hf.OwnLast)
	if len(converge) > 0 {
		fmt.Printf("in step after the restart: median %s, max %s (after the kill: median %s, max %s); events in flight at the kill: median %d, max %d\n",
			pct(converge, 50), pct(converge, 100), pct(sinceKill, 50), pct(sinceKill, 100),
			pctInt(inFlight, 50), pctInt(inFlight, 100))
		for _, role := range []string{"hub", "desk"} {
			if ds := perSide[role]; len(ds) > 0 {
				fmt.Printf("  %s killed: in step after its restart median %s, max %s\n", role, pct(ds, 50), pct(ds, 100))
			}
		}
	}
	problems := r.rec.check(hf, df)
	for _, p := range problems {
		fmt.Println("problem:", p)
	}
	return len(problems) == 0, nil
}

// quitBoth stops both children the clean way.
func (r *run) quitBoth() error {
	for _, p := range []*proc{r.hub, r.dsk} {
		p.stdin.Write([]byte("quit\n"))
		<-p.done
		if err := p.cmd.Wait(); err != nil {
			return fmt.Errorf("%s did not stop cleanly: %w", p.role, err)
		}
	}
	r.hub, r.dsk = nil, nil
	return nil
}

func (r *run) start(role string, extra ...string) (*proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	r.gen++
	args := []string{"-role", role, "-dir", r.tmp + "/" + role, "-gen", strconv.Itoa(r.gen), "-rate", strconv.Itoa(r.rate)}
	if role == "hub" {
		args = append(args, "-addr", r.addr)
	} else {
		args = append(args, "-hub", "http://"+r.addr)
	}
	cmd := exec.Command(exe, append(args, extra...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{role: role, cmd: cmd, stdin: stdin, replies: make(chan string, 64), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "c "), strings.HasPrefix(line, "u "):
				r.rec.add(role, line)
			case strings.HasPrefix(line, "err "):
				fmt.Fprintf(os.Stderr, "%s: %s\n", role, line)
			default:
				p.replies <- line
			}
		}
	}()
	return p, nil
}

// kill sends SIGKILL and waits until the process is gone and its output read.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	_ = p.cmd.Wait()
}

// await waits for a line starting with prefix.
func (p *proc) await(prefix string) (string, error) {
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line := <-p.replies:
			if strings.HasPrefix(line, prefix) {
				return line, nil
			}
			return "", fmt.Errorf("%s said %q, want %q", p.role, line, prefix)
		case <-p.done:
			return "", fmt.Errorf("%s stopped (want %q)", p.role, prefix)
		case <-timeout:
			return "", fmt.Errorf("%s: no %q in 60 s", p.role, prefix)
		}
	}
}

func (p *proc) ask(cmd, prefix string) (string, error) {
	if _, err := p.stdin.Write([]byte(cmd + "\n")); err != nil {
		return "", err
	}
	return p.await(prefix)
}

func (r *run) statuses() (h, d status, err error) {
	if err = r.askJSON(r.hub, "status", "s ", &h); err == nil {
		err = r.askJSON(r.dsk, "status", "s ", &d)
	}
	return h, d, err
}

func (r *run) finals() (h, d *finalReport, err error) {
	if err = r.askJSON(r.hub, "final", "f ", &h); err == nil {
		err = r.askJSON(r.dsk, "final", "f ", &d)
	}
	return h, d, err
}

func (r *run) askJSON(p *proc, cmd, prefix string, v any) error {
	line, err := p.ask(cmd, prefix)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(strings.TrimPrefix(line, prefix)), v)
}

// waitInStep polls both sides until each has applied every event of the
// other and the desktop's sync line says connected.
func (r *run) waitInStep(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var h, d status
	var err error
	for time.Now().Before(deadline) {
		if h, d, err = r.statuses(); err != nil {
			return err
		}
		if h.PeerOrigin == d.Origin && h.PeerEpoch == d.Epoch && d.PeerOrigin == h.Origin && d.PeerEpoch == h.Epoch &&
			h.PeerApplied == d.OwnLast && d.PeerApplied == h.OwnLast {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("not in step after %s: desktop events %d, hub has applied %d; hub events %d, desktop has applied %d",
		limit, d.OwnLast, h.PeerApplied, h.OwnLast, d.PeerApplied)
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(time.Millisecond)
}

func pctInt(xs []int, p int) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// record is what the children printed after their commits returned.
type record struct {
	mu      sync.Mutex
	cond    *sync.Cond
	inserts map[string]insert // "table marker"
	updates map[string]string // "table id" -> the last marker written there
	counts  map[string]int    // by role
}

type insert struct {
	role string
	id   int64
}

func newRecord() *record {
	r := &record{inserts: map[string]insert{}, updates: map[string]string{}, counts: map[string]int{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *record) add(role, line string) {
	f := strings.Fields(line) // c|u table id marker
	if len(f) != 4 {
		return
	}
	id, _ := strconv.ParseInt(f[2], 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	if f[0] == "c" {
		r.inserts[f[1]+" "+f[3]] = insert{role, id}
	} else {
		r.updates[f[1]+" "+f[2]] = f[3]
	}
	r.counts[role]++
	r.cond.Broadcast()
}

func (r *record) count(role string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[role]
}

func (r *record) waitBoth(limit time.Duration) error {
	t := time.AfterFunc(limit, func() { r.mu.Lock(); r.cond.Broadcast(); r.mu.Unlock() })
	defer t.Stop()
	deadline := time.Now().Add(limit)
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.counts["hub"] == 0 || r.counts["desk"] == 0 {
		if time.Now().After(deadline) {
			return errors.New("the two sides did not both start writing")
		}
		r.cond.Wait()
	}
	return nil
}

// check compares both stores with what was committed.
func (r *record) check(h, d *finalReport) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	bad := func(format string, a ...any) {
		if len(out) < 40 {
			out = append(out, fmt.Sprintf(format, a...))
		}
	}
	side := map[string]*finalReport{"hub": h, "desk": d}
	for name, f := range side {
		if f.Integrity != "ok" {
			bad("%s: integrity_check: %s", name, f.Integrity)
		}
		if f.Rejected != 0 {
			bad("%s: %d rejected events", name, f.Rejected)
		}
		if f.Applying {
			bad("%s: change_state.applying left on", name)
		}
		if f.State != "connected" {
			bad("%s: sync state %q, want connected", name, f.State)
		}
	}
	if h.PeerApplied != d.OwnLast || h.PeerKept != int(d.OwnLast) {
		bad("the desktop's last event is %d; the hub's high-water mark %d, events kept %d", d.OwnLast, h.PeerApplied, h.PeerKept)
	}
	if d.PeerApplied != h.OwnLast || d.PeerKept != int(h.OwnLast) {
		bad("the hub's last event is %d; the desktop's high-water mark %d, events kept %d", h.OwnLast, d.PeerApplied, d.PeerKept)
	}
	for t, dg := range d.Digests {
		if h.Digests[t] != dg {
			bad("table %s: digests differ", t)
		}
	}
	if len(h.Digests) != len(d.Digests) {
		bad("digests of %d tables on the hub, %d on the desktop", len(h.Digests), len(d.Digests))
	}
	for k, ins := range r.inserts {
		for name, f := range side {
			if ids := f.Markers[k]; len(ids) != 1 || ids[0] != ins.id {
				bad("%s (%s, id %d): on the %s as ids %v, want exactly once", k, ins.role, ins.id, name, ids)
			}
		}
	}
	// Rows committed by a side killed before it printed them: present on
	// both sides, or on neither.
	for k, ids := range d.Markers {
		if !slices.Equal(ids, h.Markers[k]) {
			bad("%s: ids %v on the desktop, %v on the hub", k, ids, h.Markers[k])
		}
	}
	for k, ids := range h.Markers {
		if _, ok := d.Markers[k]; !ok {
			bad("%s: ids %v on the hub, none on the desktop", k, ids)
		}
	}
	for k, last := range r.updates {
		dv, hv := d.Values[k], h.Values[k]
		if dv != hv {
			bad("%s: %q on the desktop, %q on the hub", k, dv, hv)
		}
		if later(last, dv) {
			bad("%s: holds %q, older than the committed %q", k, dv, last)
		}
	}
	return out
}

// later reports whether marker a (role-gen-i) was written after b.
func later(a, b string) bool {
	num := func(s string) (int, int) {
		f := strings.Split(s, "-")
		if len(f) != 3 {
			return -1, -1
		}
		g, _ := strconv.Atoi(f[1])
		i, _ := strconv.Atoi(f[2])
		return g, i
	}
	ag, ai := num(a)
	bg, bi := num(b)
	return ag > bg || (ag == bg && ai > bi)
}
