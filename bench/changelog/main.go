// Command changelog measures what the change log (issue 18) costs a write
// transaction, against the same writes on a store with no log open, in the
// same run; and how fast a hub applies a backlog of the owner's events.
//
//	go run -tags sqlite_fts5 ./bench/changelog [-n 500] [-rounds 3]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	"grantbook/backend/changelog"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

func main() {
	n := flag.Int("n", 500, "contacts written per round (each: contact, grant, audit row; then an update)")
	rounds := flag.Int("rounds", 3, "rounds, alternating the two stores")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-changelog")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	open := func(name string) *store.Store {
		s, err := store.Open(ctx, filepath.Join(dir, name+".db"))
		if err != nil {
			log.Fatal(err)
		}
		return s
	}
	plain, logged, hubStore := open("plain"), open("logged"), open("hub")
	owner, err := changelog.Open(ctx, logged, changelog.Owner, filepath.Join(dir, "owner"))
	if err != nil {
		log.Fatal(err)
	}
	hub, err := changelog.Open(ctx, hubStore, changelog.Hub, filepath.Join(dir, "hub"))
	if err != nil {
		log.Fatal(err)
	}
	if err := hub.Pin(ctx, owner.Origin(), owner.PublicKey(), changelog.Owner); err != nil {
		log.Fatal(err)
	}
	acct := func(s *store.Store) int64 {
		a := &model.Account{Name: "Bench", CreatedAt: time.Now()}
		if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
			log.Fatal(err)
		}
		return a.ID
	}
	ids := map[*store.Store]int64{plain: acct(plain), logged: acct(logged)}
	var tPlain, tLogged []time.Duration
	for r := range *rounds {
		for _, s := range []*store.Store{plain, logged} {
			d := write(ctx, s, ids[s], r, *n)
			if s == plain {
				tPlain = append(tPlain, d)
			} else {
				tLogged = append(tLogged, d)
			}
		}
	}
	per := func(ds []time.Duration) time.Duration { return median(ds) / time.Duration(2**n) }
	fmt.Printf("write transactions (contact+grant+audit, then an update), %d rounds of %d×2:\n", *rounds, *n)
	fmt.Printf("  no log     median %v per transaction (rounds %v)\n", per(tPlain), tPlain)
	fmt.Printf("  change log median %v per transaction (rounds %v)\n", per(tLogged), tLogged)
	fmt.Printf("  ratio %.2f×\n", float64(median(tLogged))/float64(median(tPlain)))

	evs, err := owner.Since(ctx, 0, 0)
	if err != nil {
		log.Fatal(err)
	}
	all := evs
	for len(evs) > 0 {
		if evs, err = owner.Since(ctx, evs[len(evs)-1].Seq, 0); err != nil {
			log.Fatal(err)
		}
		all = append(all, evs...)
	}
	start := time.Now()
	for _, e := range all {
		if _, err := hub.Apply(ctx, e); err != nil {
			log.Fatalf("apply %d: %v", e.Seq, err)
		}
	}
	el := time.Since(start)
	fmt.Printf("hub applies a backlog of %d owner events, Apply each: %v, %.0f events/s\n", len(all), el.Round(time.Millisecond), float64(len(all))/el.Seconds())
	d1, _ := owner.Digest(ctx)
	d2, _ := hub.Digest(ctx)
	fmt.Printf("grant digests equal after catch-up: %v\n", d1 == d2)

	// The same backlog on a second hub, in runs of 500 (ApplyAll: one transaction a run).
	hub2, err := changelog.Open(ctx, open("hub2"), changelog.Hub, filepath.Join(dir, "hub2"))
	if err != nil {
		log.Fatal(err)
	}
	if err := hub2.Pin(ctx, owner.Origin(), owner.PublicKey(), changelog.Owner); err != nil {
		log.Fatal(err)
	}
	start = time.Now()
	for i := 0; i < len(all); i += 500 {
		if _, _, err := hub2.ApplyAll(ctx, all[i:min(i+500, len(all))]); err != nil {
			log.Fatal(err)
		}
	}
	el2 := time.Since(start)
	d3, _ := hub2.Digest(ctx)
	fmt.Printf("the same, ApplyAll in runs of 500: %v, %.0f events/s (%.1f× Apply each); digests equal: %v\n",
		el2.Round(time.Millisecond), float64(len(all))/el2.Seconds(), el.Seconds()/el2.Seconds(), d3 == d1)
}

func write(ctx context.Context, s *store.Store, account int64, round, n int) time.Duration {
	start := time.Now()
	for i := range n {
		c := &model.Contact{AccountID: account, AccountType: "user", FirstName: "F", LastName: fmt.Sprint(i),
			Email: fmt.Sprintf("c%d.%d@example.com", round, i), Status: model.StatusActive, CreatedAt: start, UpdatedAt: start,
			Grant: model.Grant{Preset: "billing", Permissions: []string{"invoices.view"}, AllServices: true, BillingScope: "services"}}
		err := s.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertContact(ctx, c); err != nil {
				return err
			}
			return tx.InsertAudit(ctx, &model.AuditEntry{At: start, Actor: "owner", Action: "contact.add", Entity: "contact", EntityID: c.ID, Summary: "bench"})
		})
		if err == nil {
			c.Phone = "+33 1"
			err = s.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateContact(ctx, c) })
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
