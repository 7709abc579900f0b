package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// pairingRounds kills one side with SIGKILL while the desktop pairs
// (-pair-kills): each round a fresh hub and a fresh desktop with seedRows
// accounts (its snapshot), the kill a random time within pairMax after the
// desktop starts pairing, the killed side restarted on its data dir. Then
// what the owner would do: a desktop that is not paired (its window says
// why) is given a new code from the hub's Settings page and pairs again.
// Then both write for a moment and the run's usual checks hold: every
// printed change on both sides once, the seeded rows on both, marks equal
// to the origins' last sequence, equal digests, no rejection,
// integrity_check ok.
func pairingRounds(rounds, rate, seedRows int, pairMax time.Duration, rng *rand.Rand) (bool, error) {
	ok := true
	var inStep []time.Duration
	outcomes := map[string]int{}
	// First a pairing nobody kills: how long it takes, and the kill window
	// (0 to 1.2 times that) unless -pair-max says otherwise.
	base := &run{rate: rate, rng: rng, rec: newRecord(), seedRows: seedRows}
	paired, synced, problems, err := base.calibrate()
	base.stop()
	if err != nil {
		return false, fmt.Errorf("pairing without a kill: %w", err)
	}
	fmt.Printf("without a kill: paired %s after the desktop began pairing, in step %s after it began%s\n",
		paired.Round(time.Millisecond), synced.Round(time.Millisecond), verdict(problems))
	ok = len(problems) == 0
	if pairMax <= 0 {
		pairMax = paired * 6 / 5
	}
	for round := range rounds {
		r := &run{rate: rate, rng: rng, rec: newRecord(), seedRows: seedRows}
		res, err := r.pairingRound(pairMax)
		r.stop()
		if err != nil {
			return false, fmt.Errorf("round %d: %w", round+1, err)
		}
		outcomes[res.outcome]++
		inStep = append(inStep, res.inStep)
		fmt.Printf("round %2d: kill -9 %-4s %s after the desktop began pairing; %s; in step %s after the restart%s\n",
			round+1, res.victim, res.wait.Round(time.Millisecond), res.outcome, res.inStep.Round(time.Millisecond), verdict(res.problems))
		for _, p := range res.problems {
			fmt.Println("problem:", p)
		}
		ok = ok && len(res.problems) == 0
	}
	fmt.Printf("pairing kills: %d rounds, %d accounts in each snapshot, kills within %s of the start of pairing; outcomes: %v\n",
		rounds, seedRows, pairMax.Round(time.Millisecond), outcomes)
	fmt.Printf("in step after the restart (and any new pairing): median %s, max %s\n", pct(inStep, 50), pct(inStep, 100))
	return ok, nil
}

func verdict(problems []string) string {
	if len(problems) == 0 {
		return ""
	}
	return fmt.Sprintf(" — %d problems", len(problems))
}

type pairingResult struct {
	victim, outcome string
	wait            time.Duration
	inStep          time.Duration
	problems        []string
}

func (r *run) stop() {
	for _, p := range []*proc{r.hub, r.dsk} {
		if p != nil {
			p.kill()
		}
	}
	r.hub, r.dsk = nil, nil
	if r.tmp != "" {
		os.RemoveAll(r.tmp)
	}
}

// startPairing starts a fresh hub and a fresh desktop pairing with it,
// returning once the desktop says it began.
func (r *run) startPairing() (err error) {
	if r.tmp, err = os.MkdirTemp("", "bench-synckill-pair-"); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r.addr = ln.Addr().String()
	ln.Close()
	if r.hub, err = r.start("hub"); err != nil {
		return err
	}
	line, err := r.hub.await("code ")
	if err != nil {
		return err
	}
	if _, err := r.hub.await("ready"); err != nil {
		return err
	}
	if r.dsk, err = r.start("desk", "-code", strings.TrimPrefix(line, "code "), "-seed-rows", strconv.Itoa(r.seedRows)); err != nil {
		return err
	}
	_, err = r.dsk.await("pairing")
	return err
}

// calibrate pairs without a kill: until the desktop says paired, and
// until both are in step; then the round's checks.
func (r *run) calibrate() (paired, synced time.Duration, problems []string, err error) {
	if err = r.startPairing(); err != nil {
		return
	}
	began := time.Now()
	if _, err = r.dsk.await("ready"); err != nil {
		return
	}
	paired = time.Since(began)
	if err = r.waitInStep(60 * time.Second); err != nil {
		return
	}
	synced = time.Since(began)
	problems, err = r.writeAndCheck()
	return
}

func (r *run) pairingRound(pairMax time.Duration) (res pairingResult, err error) {
	if err := r.startPairing(); err != nil {
		return res, err
	}
	res.wait = time.Duration(r.rng.Int64N(int64(pairMax)))
	res.victim = "hub"
	victim := &r.hub
	if r.rng.IntN(2) == 1 {
		res.victim, victim = "desk", &r.dsk
	}
	time.Sleep(res.wait) // the random moment, not a synchronisation
	(*victim).kill()
	// What the desktop said: paired ("ready") or why not.
	deskSaid := ""
	if res.victim == "hub" {
		if deskSaid, err = r.dsk.awaitAny("ready", "unpaired"); err != nil {
			return res, err
		}
	} else {
		select {
		case l := <-r.dsk.replies:
			deskSaid = l
		default:
		}
	}
	tStart := time.Now()
	if *victim, err = r.start(res.victim); err != nil {
		return res, err
	}
	hubCode := ""
	if res.victim == "hub" {
		l, err := r.hub.awaitAny("code ", "ready")
		if err != nil {
			return res, err
		}
		if strings.HasPrefix(l, "code ") { // it had not kept the pairing
			hubCode = strings.TrimPrefix(l, "code ")
			if _, err := r.hub.await("ready"); err != nil {
				return res, err
			}
		}
	} else if deskSaid, err = r.dsk.awaitAny("ready", "unpaired"); err != nil {
		return res, err
	}
	res.outcome = "paired before the kill, resumed"
	if strings.HasPrefix(deskSaid, "unpaired") {
		// What the owner does: a new code from the hub, Connect again.
		switch why := strings.TrimSpace(strings.TrimPrefix(deskSaid, "unpaired")); {
		case why == "":
			res.outcome = "the desktop had kept no pairing: paired again with a new code"
		case strings.Contains(why, "did not answer"):
			res.outcome = "the hub went before it answered: paired again with a new code"
		default:
			res.outcome = "pairing failed (" + why + "): paired again with a new code"
		}
		<-r.dsk.done
		_ = r.dsk.cmd.Wait()
		if hubCode == "" {
			if res.victim == "hub" {
				res.outcome += " (the hub had kept the first pairing: replaced)"
			}
			l, err := r.hub.ask("code", "code ")
			if err != nil {
				return res, err
			}
			hubCode = strings.TrimPrefix(l, "code ")
		}
		if r.dsk, err = r.start("desk", "-code", hubCode); err != nil {
			return res, err
		}
		if _, err := r.dsk.await("pairing"); err != nil {
			return res, err
		}
		if l, err := r.dsk.awaitAny("ready", "unpaired"); err != nil || !strings.HasPrefix(l, "ready") {
			return res, fmt.Errorf("pairing again after the kill: %q %v", l, err)
		}
	}
	if err := r.waitInStep(60 * time.Second); err != nil {
		return res, err
	}
	res.inStep = time.Since(tStart)
	res.problems, err = r.writeAndCheck()
	return res, err
}

// writeAndCheck has both sides write for a moment, then waits until they
// are in step and checks both stores; both children then stop.
func (r *run) writeAndCheck() ([]string, error) {
	for _, p := range []*proc{r.hub, r.dsk} {
		if _, err := p.ask("go", "ok go"); err != nil {
			return nil, err
		}
	}
	if err := r.rec.waitBoth(30 * time.Second); err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond) // writing time, not a synchronisation
	for _, p := range []*proc{r.hub, r.dsk} {
		if _, err := p.ask("pause", "ok pause"); err != nil {
			return nil, err
		}
	}
	if err := r.waitInStep(60 * time.Second); err != nil {
		return nil, err
	}
	hf, df, err := r.finals()
	if err != nil {
		return nil, err
	}
	problems := r.rec.check(hf, df)
	seeded := 0
	for k := range df.Markers {
		if strings.HasPrefix(k, "accounts seed-") {
			seeded++
		}
	}
	if seeded != r.seedRows {
		problems = append(problems, fmt.Sprintf("%d seeded accounts on the desktop, want %d", seeded, r.seedRows))
	}
	return problems, r.quitBoth()
}

// awaitAny waits for a line starting with one of prefixes.
func (p *proc) awaitAny(prefixes ...string) (string, error) {
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line := <-p.replies:
			for _, pre := range prefixes {
				if strings.HasPrefix(line, pre) {
					return line, nil
				}
			}
			return "", fmt.Errorf("%s said %q, want one of %q", p.role, line, prefixes)
		case <-p.done:
			select {
			case line := <-p.replies:
				for _, pre := range prefixes {
					if strings.HasPrefix(line, pre) {
						return line, nil
					}
				}
			default:
			}
			return "", fmt.Errorf("%s stopped (want one of %q)", p.role, prefixes)
		case <-timeout:
			return "", fmt.Errorf("%s: none of %q in 60 s", p.role, prefixes)
		}
	}
}
