package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"grantbook/backend/changelog"
	"grantbook/backend/core"
	"grantbook/backend/model"
)

// deskWriter is the owner at work on the desktop, through core.App as the
// window's handlers call it: accounts, services, contacts, grants narrowed
// and widened, suspensions and reinstatements, invoices, Acme's phone (a
// field the hub's contact may edit too).
type deskWriter struct {
	r        *rig
	rng      *rand.Rand
	accounts []int64
	services map[int64][]int64 // account → its services
	contacts []*model.Contact  // not Ada: her grant stays Full
	made     map[string]int    // rows created per table
	edits    int
	errs     []error
}

func newDeskWriter(r *rig, seed uint64) *deskWriter {
	return &deskWriter{r: r, rng: rand.New(rand.NewPCG(seed, 1)), accounts: []int64{r.acme.ID},
		services: map[int64][]int64{r.acme.ID: {r.svc.ID}}, made: map[string]int{}}
}

var presets = []string{"full", "technical", "billing", "personal"}

func (w *deskWriter) step(i int) {
	ctx, app, rng := w.r.ctx, w.r.desk, w.rng
	acct := w.accounts[rng.IntN(len(w.accounts))]
	var err error
	switch n := rng.IntN(100); {
	case n < 20:
		var a *model.Account
		if a, err = app.CreateAccount(ctx, "Account "+strconv.Itoa(i)); err == nil {
			w.accounts, w.made["accounts"] = append(w.accounts, a.ID), w.made["accounts"]+1
		}
	case n < 35:
		var s *model.Service
		if s, err = app.CreateService(ctx, acct, core.ServiceInput{Name: "Service " + strconv.Itoa(i), Kind: "domain"}); err == nil {
			w.services[acct], w.made["services"] = append(w.services[acct], s.ID), w.made["services"]+1
		}
	case n < 50:
		var c *model.Contact
		c, err = app.CreateContact(ctx, core.ContactInput{AccountID: acct, FirstName: "C", LastName: strconv.Itoa(i),
			Email: fmt.Sprintf("c%d@example.com", i), Preset: presets[rng.IntN(len(presets))]})
		if err == nil {
			w.contacts, w.made["contacts"] = append(w.contacts, c), w.made["contacts"]+1
		}
	case n < 70 && len(w.contacts) > 0:
		// A grant narrowed or widened: another preset, or a custom set on
		// some of the account's services.
		c := w.contacts[rng.IntN(len(w.contacts))]
		p := core.ContactPatch{}
		if rng.IntN(2) == 0 {
			p.Preset = &presets[rng.IntN(len(presets))]
		} else {
			custom, perms := "custom", []string{"services.view", "support.open", "support.view", "invoices.view"}[:1+rng.IntN(4)]
			var ids []int64
			for _, s := range w.services[c.AccountID] {
				if rng.IntN(2) == 0 {
					ids = append(ids, s)
				}
			}
			p.Preset, p.Permissions, p.ServiceIDs = &custom, &perms, &ids
		}
		_, err = app.UpdateContact(ctx, c.ID, p)
		w.edits++
	case n < 75 && len(w.contacts) > 0:
		st := []string{"suspended", "active"}[rng.IntN(2)]
		_, err = app.UpdateContact(ctx, w.contacts[rng.IntN(len(w.contacts))].ID, core.ContactPatch{Status: &st})
		w.edits++
	case n < 90:
		// Acme's invoices: the hub's contact reports paying them.
		_, err = app.CreateInvoice(ctx, w.r.acme.ID, core.InvoiceInput{ServiceID: w.r.svc.ID, Number: "INV-" + strconv.Itoa(i),
			AmountCents: int64(100 + i), Currency: "EUR"})
		if err == nil {
			w.made["invoices"]++
		}
	default:
		phone := "+44 owner " + strconv.Itoa(i)
		_, err = app.UpdateAccount(ctx, w.r.acme.ID, core.AccountPatch{Phone: &phone})
		w.edits++
	}
	if err != nil {
		w.errs = append(w.errs, err)
	}
}

// hubWriter is Ada in the hub's client area at the same time: support
// requests and replies, payment reports on Acme's unpaid invoices, the
// account's profile (profile.edit).
type hubWriter struct {
	p                                *contact
	rng                              *rand.Rand
	support                          []int64
	requests, replies, reports, edit int
	unexpected                       []error
}

func (w *hubWriter) step(i int) {
	switch n := w.rng.IntN(100); {
	case n < 40 || len(w.support) == 0:
		var out model.SupportRequest
		_, err := w.p.do("POST", "/api/portal/support", map[string]any{"subject": "Hub " + strconv.Itoa(i), "body": "Help"}, &out)
		w.note(err, nil)
		if err == nil {
			w.requests++
			w.support = append(w.support, out.ID)
		}
	case n < 60:
		id := w.support[w.rng.IntN(len(w.support))]
		_, err := w.p.do("POST", "/api/portal/support/"+strconv.FormatInt(id, 10)+"/replies", map[string]any{"body": "More " + strconv.Itoa(i)}, nil)
		if w.note(err, nil) {
			w.replies++
		}
	case n < 85:
		var invs struct{ Invoices []model.Invoice }
		if _, err := w.p.do("GET", "/api/portal/invoices", nil, &invs); w.note(err, nil) {
			for _, inv := range invs.Invoices {
				if inv.Status == "unpaid" {
					st, err := w.p.do("POST", "/api/portal/invoices/"+strconv.FormatInt(inv.ID, 10)+"/payment-report",
						map[string]any{"method": "bank_transfer", "paid_on": time.Now().Format("2006-01-02"), "reference": "R" + strconv.Itoa(i), "confirm": true}, nil)
					if w.note(err, []int{st, 409}) && err == nil {
						w.reports++
					}
					break
				}
			}
		}
	default:
		_, err := w.p.do("PATCH", "/api/portal/profile", map[string]any{"phone": "+44 hub " + strconv.Itoa(i)}, nil)
		if w.note(err, nil) {
			w.edit++
		}
	}
}

// note keeps an unexpected answer; tolerated[0] is the status, the rest
// statuses that are a fair answer (409: someone reported it first).
func (w *hubWriter) note(err error, tolerated []int) bool {
	if err == nil {
		return true
	}
	if len(tolerated) > 1 {
		for _, s := range tolerated[1:] {
			if s == tolerated[0] {
				return true
			}
		}
	}
	w.unexpected = append(w.unexpected, err)
	return false
}

// counts of the tables the desktop's writer adds to, on one side.
func (r *rig) tableCounts() (desk, hub map[string]int) {
	desk, hub = map[string]int{}, map[string]int{}
	for _, t := range []string{"accounts", "services", "contacts", "invoices", "support_requests", "support_replies", "payment_reports"} {
		desk[t] = count(r.ctx, r.desk, "SELECT count(*) FROM "+t)
		hub[t] = count(r.ctx, r.hub, "SELECT count(*) FROM "+t)
	}
	return desk, hub
}

// cutsWhileBothWrite is scenario 1 (and the body of scenario 4): both
// sides write continuously while a seeded RNG cuts and restores the link
// cuts times; then it waits until both are in step and checks that nothing
// was lost or applied twice.
func (r *rig) cutsWhileBothWrite(label string, seed uint64, cuts int, upMax, downMax time.Duration, ada *contact) {
	fmt.Printf("%s: %d seeded cuts (seed %d) while both sides write\n", label, cuts, seed)
	ctx := r.ctx
	rej0d, rej0h, _ := r.rejected()
	desk0, hub0 := r.tableCounts()
	hubSupport0 := count(ctx, r.desk, `SELECT count(*) FROM support_requests WHERE id >= ?`, changelog.HubIDBase)
	dw := newDeskWriter(r, seed)
	hw := &hubWriter{p: ada, rng: rand.New(rand.NewPCG(seed, 2))}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var dn, hn int
	loop(&wg, stop, &dn, dw.step)
	loop(&wg, stop, &hn, hw.step)

	// The fault schedule (sleeps here are the schedule, not waiting for a
	// result): each cut comes a random time after the leaf is back up.
	rng := rand.New(rand.NewPCG(seed, 3))
	var down time.Duration
	redial := make([]time.Duration, 0, cuts)
	t0 := time.Now()
	for range cuts {
		time.Sleep(time.Duration(rng.Int64N(int64(upMax))))
		r.proxy.Cut()
		d := time.Duration(rng.Int64N(int64(downMax)))
		time.Sleep(d)
		down += d
		r.proxy.Restore()
		tr := time.Now()
		for !r.hs.Node.LeafConnected() && time.Since(tr) < r.settle {
			time.Sleep(5 * time.Millisecond)
		}
		redial = append(redial, time.Since(tr))
	}
	close(stop)
	wg.Wait()
	ran := time.Since(t0)
	fmt.Printf("  %d cuts in %s (link down %s by the schedule; leaf back after restore: median %s, max %s)\n",
		cuts, ran.Round(time.Millisecond), down.Round(time.Millisecond), pct(redial, 50), pct(redial, 100))
	fmt.Printf("  desktop: %d writes (%v created, %d edits); hub's contact: %d requests (%d support requests, %d replies, %d payment reports, %d profile edits)\n",
		dn, dw.made, dw.edits, hn, hw.requests, hw.replies, hw.reports, hw.edit)
	settle, err := r.converge(label)
	fmt.Printf("  in step %s after the last restore: %s\n", settle.Round(time.Millisecond), r.marks())
	r.check(err == nil, "in step: each side's high-water mark for the other equals the other's last sequence, desktop connected, digests equal%s", errText(err))
	r.check(len(dw.errs) == 0, "the desktop's writes all succeeded (%d failed%s)", len(dw.errs), first(dw.errs))
	r.check(len(hw.unexpected) == 0, "the hub's client area answered every request as expected (%d unexpected%s)", len(hw.unexpected), first(hw.unexpected))
	desk1, hub1 := r.tableCounts()
	for _, t := range []string{"accounts", "services", "contacts", "invoices"} {
		r.check(desk1[t]-desk0[t] == dw.made[t] && hub1[t]-hub0[t] == dw.made[t],
			"%s: desktop made %d, the desktop has %d more, the hub %d more (each once)", t, dw.made[t], desk1[t]-desk0[t], hub1[t]-hub0[t])
	}
	hubMade := map[string]int{"support_requests": hw.requests, "support_replies": hw.replies, "payment_reports": hw.reports}
	for _, t := range []string{"support_requests", "support_replies", "payment_reports"} {
		r.check(desk1[t]-desk0[t] == hubMade[t] && hub1[t]-hub0[t] == hubMade[t],
			"%s: the hub's contact made %d, the hub has %d more, the desktop %d more (each once)", t, hubMade[t], hub1[t]-hub0[t], desk1[t]-desk0[t])
	}
	hubSupport := count(ctx, r.desk, `SELECT count(*) FROM support_requests WHERE id >= ?`, changelog.HubIDBase)
	r.check(hubSupport-hubSupport0 == hw.requests, "the desktop has %d new support requests with hub ids, the contact opened %d", hubSupport-hubSupport0, hw.requests)
	r.check(r.digestDiff() == "", "TableDigests equal on both sides for every replicated table")
	rej1d, rej1h, reasons := r.rejected()
	if rej1d == rej0d && rej1h == rej0h {
		reasons = nil
	}
	r.check(rej1d == rej0d && rej1h == rej0h, "no rejections of genuine traffic (desktop %d, hub %d new)%s", rej1d-rej0d, rej1h-rej0h, first(reasons))
}

// loop runs step(0), step(1)… in a goroutine until stop is closed; n
// counts the steps.
func loop(wg *sync.WaitGroup, stop <-chan struct{}, n *int, step func(int)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ; ; *n++ {
			select {
			case <-stop:
				return
			default:
				step(*n)
			}
		}
	}()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func first[T any](xs []T) string {
	if len(xs) == 0 {
		return ""
	}
	return fmt.Sprintf("; first: %v", xs[0])
}
