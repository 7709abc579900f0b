package main

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

// target prints a timing target's verdict: figures, not assertions (this
// machine is shared; the exit code follows the PASS/FAIL lines only).
func target(met bool, format string, args ...any) {
	v := "met"
	if !met {
		v = "MISSED"
	}
	fmt.Printf("  target %s: %s\n", v, fmt.Sprintf(format, args...))
}

// waitLeaf polls until the hub sees the desktop's leaf up (or down).
func (r *rig) waitLeaf(up bool) bool {
	deadline := time.Now().Add(r.settle)
	for r.hs.Node.LeafConnected() != up {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// lag times a change on one side until the other side's store has it,
// polled every millisecond, with the link up: desktop → hub (an account)
// and hub → desktop (a support request opened in the client area).
func (r *rig) lag(n int, ada *contact) {
	fmt.Printf("lag with the link up, %d changes each way\n", n)
	ctx := r.ctx
	var down, up []time.Duration
	for i := range n {
		t0 := time.Now()
		acc, err := r.desk.CreateAccount(ctx, "Lag "+strconv.Itoa(i))
		if err != nil {
			r.fail(err)
			return
		}
		for _, err := r.hub.Account(ctx, acc.ID); err != nil && time.Since(t0) < r.settle; _, err = r.hub.Account(ctx, acc.ID) {
			time.Sleep(time.Millisecond)
		}
		down = append(down, time.Since(t0))

		t0 = time.Now()
		var sr model.SupportRequest
		if _, err := ada.do("POST", "/api/portal/support", map[string]any{"subject": "Lag " + strconv.Itoa(i), "body": "x"}, &sr); err != nil {
			r.fail(err)
			return
		}
		for count(ctx, r.desk, `SELECT count(*) FROM support_requests WHERE id = ?`, sr.ID) != 1 && time.Since(t0) < r.settle {
			time.Sleep(time.Millisecond)
		}
		up = append(up, time.Since(t0))
	}
	fmt.Printf("  desktop → hub: median %s, p95 %s, max %s\n", pct(down, 50), pct(down, 95), pct(down, 100))
	fmt.Printf("  hub → desktop (POST /api/portal/support until the desktop's store has it): median %s, p95 %s, max %s\n", pct(up, 50), pct(up, 95), pct(up, 100))
	target(pct(down, 50) <= 300*time.Millisecond && pct(up, 50) <= 300*time.Millisecond, "lag median ≤ 300 ms both ways")
}

// getSamples times n sequential client-area GETs.
func getSamples(p *contact, path string, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for range n {
		d, _, err := p.get(path)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// outage is scenario 2: the client area's idle p99, then n changes made on
// the desktop while the link is cut, caught up while the same GET runs.
func (r *rig) outage(n, gets int, ada *contact) {
	fmt.Printf("outage: %d changes made on the desktop while the link is cut\n", n)
	ctx := r.ctx
	const path = "/api/portal/invoices"
	idle, err := getSamples(ada, path, gets)
	if err != nil {
		r.fail(err)
		return
	}
	r.proxy.Cut()
	r.check(r.waitLeaf(false), "the leaf is down after the cut")
	before := r.marks()
	hubAccounts0 := count(ctx, r.hub, `SELECT count(*) FROM accounts`)
	t0 := time.Now()
	for i := range n {
		if _, err := r.desk.CreateAccount(ctx, "Outage "+strconv.Itoa(i)); err != nil {
			r.fail(err)
			return
		}
	}
	write := time.Since(t0)
	last := lastSeq(ctx, r.desk, r.ds.Log)
	events := last - before.hubHasDesk

	// Catch-up, with a contact using the client area all along.
	var busy []time.Duration
	var done atomic.Bool
	getsDone := make(chan error, 1)
	r.proxy.Restore()
	t0 = time.Now()
	go func() {
		for !done.Load() {
			d, _, err := ada.get(path)
			if err != nil {
				getsDone <- err
				return
			}
			busy = append(busy, d)
		}
		getsDone <- nil
	}()
	var leafUp time.Duration
	nextTrace := time.Now()
	for {
		if r.progress && time.Now().After(nextTrace) {
			// Is the applier waiting for the mirror, or the mirror for it?
			nextTrace = time.Now().Add(2 * time.Second)
			m, _ := r.hs.Log.Applied(ctx, r.ds.Log.Origin(), r.ds.Log.Epoch())
			fmt.Printf("    %s: applied %d; hub's %s\n", time.Since(t0).Round(time.Millisecond), m, mirrorLine(ctx, r.hs.Node, r.ds.Node(), r.ds.Log))
		}
		if leafUp == 0 && r.hs.Node.LeafConnected() {
			leafUp = time.Since(t0)
		}
		if m, _ := r.hs.Log.Applied(ctx, r.ds.Log.Origin(), r.ds.Log.Epoch()); m >= last || time.Since(t0) > r.settle {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	catch := time.Since(t0)
	done.Store(true)
	if err := <-getsDone; err != nil {
		r.fail(err)
	}
	applying := catch - leafUp
	fmt.Printf("  writing them on the desktop: %s, %.0f/s (%d events)\n", write.Round(time.Millisecond), float64(n)/write.Seconds(), events)
	fmt.Printf("  catch-up: %s from the restore, %.0f changes/s (the leaf was back after %s; from then %s, %.0f/s)\n",
		catch.Round(time.Millisecond), float64(events)/catch.Seconds(), leafUp.Round(time.Millisecond),
		applying.Round(time.Millisecond), float64(events)/applying.Seconds())
	ratio := float64(pct(busy, 99)) / float64(pct(idle, 99))
	fmt.Printf("  GET %s (%d invoices listed): idle p99 %s (median %s, %d requests); during catch-up p99 %s (median %s, %d requests); ratio %.2f×\n",
		path, count(ctx, r.hub, `SELECT count(*) FROM invoices WHERE account_id = ?`, r.acme.ID),
		pct(idle, 99), pct(idle, 50), len(idle), pct(busy, 99), pct(busy, 50), len(busy), ratio)
	target(ratio <= 2, "client-area p99 during catch-up within 2× idle")
	_, err = r.converge("outage")
	r.check(err == nil, "in step after the outage: %s%s", r.marks(), errText(err))
	got := count(ctx, r.hub, `SELECT count(*) FROM accounts`) - hubAccounts0
	r.check(got == n, "the hub has %d of the %d accounts made offline (none lost, none twice)", got, n)
	r.check(r.digestDiff() == "", "TableDigests equal on both sides")
}

// revocation is scenario 3: with the link up, a contact who can read
// their invoices on the hub loses the grant on the desktop (narrowed to
// Technical, or suspended), n times; the time until the hub refuses.
func (r *rig) revocation(n int) {
	fmt.Printf("revocation on the desktop → refused on the hub, %d times\n", n)
	ctx := r.ctx
	c, err := r.desk.CreateContact(ctx, core.ContactInput{AccountID: r.acme.ID, FirstName: "Rev", LastName: "Oked",
		Email: "rev@example.com", Preset: "full", BillingScope: "account"})
	if err != nil {
		r.fail(err)
		return
	}
	const path = "/api/portal/invoices"
	var p *contact
	allowed := func() bool {
		if !r.marks().inStep() {
			return false
		}
		if p == nil {
			if p, err = r.signIn(c); err != nil {
				p = nil
				return false
			}
		}
		_, st, _ := p.get(path)
		return st == 200
	}
	var took []time.Duration
	refusedAll := true
	for i := range n {
		if !poll(r.settle, allowed) {
			r.fail(fmt.Errorf("revocation %d: the contact never got access back on the hub", i))
			return
		}
		suspend := i%2 == 1
		t0 := time.Now()
		if suspend {
			st := "suspended"
			_, err = r.desk.UpdateContact(ctx, c.ID, core.ContactPatch{Status: &st})
		} else {
			pr := "technical"
			_, err = r.desk.UpdateContact(ctx, c.ID, core.ContactPatch{Preset: &pr})
		}
		if err != nil {
			r.fail(err)
			return
		}
		refused := poll(r.settle, func() bool { _, st, _ := p.get(path); return st == 401 || st == 403 })
		took = append(took, time.Since(t0))
		refusedAll = refusedAll && refused
		if suspend {
			st := "active"
			_, err = r.desk.UpdateContact(ctx, c.ID, core.ContactPatch{Status: &st})
			p = nil // a suspension ended the session: sign in again
		} else {
			pr := "full"
			_, err = r.desk.UpdateContact(ctx, c.ID, core.ContactPatch{Preset: &pr})
		}
		if err != nil {
			r.fail(err)
			return
		}
	}
	fmt.Printf("  desktop change → hub refuses GET %s: median %s, p95 %s, max %s (half narrowed to Technical, half suspended)\n",
		path, pct(took, 50), pct(took, 95), pct(took, 100))
	r.check(refusedAll, "every revocation refused on the hub")
	target(pct(took, 100) <= 2*time.Second, "every revocation within 2 s")
}

// poll checks cond every 2 ms until it holds or d has passed.
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}
