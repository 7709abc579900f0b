package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"

	"grantbook/backend/changelog"
	"grantbook/backend/hub/hubtest"
)

// alter changes every string field of an event's row to say FORGED.
func alter(e changelog.Event, what string) changelog.Event {
	var f map[string]any
	if json.Unmarshal(e.Fields, &f) != nil || f == nil {
		f = map[string]any{}
	}
	for k, v := range f {
		if _, ok := v.(string); ok {
			f[k] = "FORGED " + what
		}
	}
	f["subject"] = "FORGED " + what
	e.Fields, _ = json.Marshal(f)
	return e
}

type injected struct {
	e      changelog.Event
	forged string // what kind of forgery ("" genuine)
}

// forged is scenario 5. While sync runs (the desktop writing, the link cut
// so that the hub's new events reach the desktop only this way), the hub's
// real events are handed to the desktop's live Log at the applier's entry
// point (ApplyAll), out of order, each twice, mixed with forgeries. This
// injects at the log's entry point, not on the wire.
func (r *rig) forged(k int, seed uint64, ada *contact) {
	fmt.Printf("forged, replayed and reordered events: %d genuine hub events ×2 and forgeries, handed to the desktop's live Log.ApplyAll (the applier's entry point, not the wire)\n", k)
	ctx := r.ctx
	rejDesk0, _, _ := r.rejected()
	access0, _ := r.ds.Log.Digest(ctx)
	r.proxy.Cut()
	r.check(r.waitLeaf(false), "the leaf is down")
	// The hub's contact opens k support requests: real hub events.
	var subjects []string
	for i := range k {
		s := "Genuine " + strconv.Itoa(i)
		if _, err := ada.do("POST", "/api/portal/support", map[string]any{"subject": s, "body": "x"}, nil); err != nil {
			r.fail(err)
			return
		}
		subjects = append(subjects, s)
	}
	from, _ := r.ds.Log.Applied(ctx, r.hs.Log.Origin(), r.hs.Log.Epoch())
	genuine, err := r.hs.Log.Since(ctx, from, 100000)
	if err != nil || len(genuine) == 0 {
		r.fail(fmt.Errorf("the hub's events: %d, %v", len(genuine), err))
		return
	}
	last := genuine[len(genuine)-1]

	// Forgeries: altered with the old signature; altered and signed by a
	// new key as the hub; a device nobody paired; the next numbers, as the
	// hub, widening Ada's grant, signed by the new key.
	_, rogue, _ := ed25519.GenerateKey(rand.Reader)
	rogueOrigin := changelog.OriginOf(rogue.Public().(ed25519.PublicKey))
	var pool []injected
	for i, g := range genuine {
		pool = append(pool, injected{e: g}, injected{e: g})
		if i%3 != 0 {
			continue
		}
		pool = append(pool, injected{e: alter(g, "altered "+strconv.Itoa(i)), forged: "altered, old signature"})
		pool = append(pool, injected{e: hubtest.Sign(rogue, alter(g, "rogue "+strconv.Itoa(i))), forged: "new key signing as the hub"})
		u := alter(g, "unknown "+strconv.Itoa(i))
		u.Origin = rogueOrigin
		pool = append(pool, injected{e: hubtest.Sign(rogue, u), forged: "new key, its own origin"})
	}
	for j := range 3 {
		w := changelog.Event{Origin: last.Origin, Epoch: last.Epoch, Seq: last.Seq + 1 + uint64(j), HLC: last.HLC + 1, Entity: "grants",
			Key: strconv.FormatInt(r.ada.ID, 10), Op: changelog.Upsert, Fields: json.RawMessage(`{"admin_all":1}`), Prev: last.Hash()}
		pool = append(pool, injected{e: hubtest.Sign(rogue, w), forged: "next number, widening a grant, new key"})
	}
	forgedN := 0
	for _, p := range pool {
		if p.forged != "" {
			forgedN++
		}
	}

	// The desktop keeps writing meanwhile.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var deskWrites int
	loop(&wg, stop, &deskWrites, func(i int) {
		if _, err := r.desk.CreateAccount(ctx, "During injection "+strconv.Itoa(i)); err != nil {
			r.fail(err)
		}
	})

	rng := mrand.New(mrand.NewPCG(seed, 5))
	var calls, gaps, rounds, genuineRefused int
	reasons := map[string]int{}
	refusedForged := 0
	for rounds = 0; len(pool) > 0 && rounds < 100000; rounds++ {
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		var next []injected
		for i := 0; i < len(pool); {
			chunk := pool[i:min(len(pool), i+1+rng.IntN(8))]
			i += len(chunk)
			evs := make([]changelog.Event, len(chunk))
			for j := range chunk {
				evs[j] = chunk[j].e
			}
			n, refused, err := r.ds.Log.ApplyAll(ctx, evs)
			calls++
			for j := range n {
				switch {
				case refused[j] != nil && chunk[j].forged != "":
					refusedForged++
					reasons[chunk[j].forged+" → "+refused[j].Reason]++
				case refused[j] != nil:
					genuineRefused++
				case chunk[j].forged != "":
					r.check(false, "a forged event (%s) was consumed without being refused", chunk[j].forged)
				}
			}
			switch {
			case err == nil:
			case errors.Is(err, changelog.ErrGap):
				gaps++
			default:
				r.fail(err)
			}
			next = append(next, chunk[n:]...)
		}
		pool = next
	}
	close(stop)
	wg.Wait()
	fmt.Printf("  %d genuine events (seq %d–%d), each handed in twice, and %d forged, in %d ApplyAll calls over %d shuffled rounds: %d stopped at a gap (out of order); the desktop wrote %d accounts meanwhile\n",
		len(genuine), genuine[0].Seq, last.Seq, forgedN, calls, rounds, gaps, deskWrites)
	kinds := make([]string, 0, len(reasons))
	for k, n := range reasons {
		kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
	}
	sort.Strings(kinds)
	fmt.Printf("  refusals: %s\n", strings.Join(kinds, "; "))
	r.check(len(pool) == 0, "every event consumed (%d left)", len(pool))
	mark, _ := r.ds.Log.Applied(ctx, r.hs.Log.Origin(), r.hs.Log.Epoch())
	r.check(mark == last.Seq, "the desktop's mark for the hub is its last genuine event's (%d, want %d): the forged next numbers did not move it", mark, last.Seq)
	r.check(genuineRefused == 0, "no genuine event refused (%d)", genuineRefused)
	r.check(refusedForged == forgedN, "every forgery refused: %d of %d", refusedForged, forgedN)
	rejDesk1, _, _ := r.rejected()
	r.check(rejDesk1-rejDesk0 == forgedN, "the desktop recorded %d rejections with their reason (want %d)", rejDesk1-rejDesk0, forgedN)
	r.check(count(ctx, r.desk, `SELECT count(*) FROM support_requests WHERE subject LIKE 'FORGED%'`) == 0, "no forged row on the desktop")
	access1, _ := r.ds.Log.Digest(ctx)
	r.check(access0 == access1, "the desktop's access rows (Digest) unchanged by the forged grant widening")
	once := true
	for _, s := range subjects {
		once = once && count(ctx, r.desk, `SELECT count(*) FROM support_requests WHERE subject = ?`, s) == 1
	}
	r.check(once, "each of the %d genuine support requests on the desktop exactly once", len(subjects))

	// The link back: the mirror brings the same events again (replays).
	r.proxy.Restore()
	_, err = r.converge("after the injection")
	r.check(err == nil, "in step after the link is back: %s%s", r.marks(), errText(err))
	rejDesk2, _, _ := r.rejected()
	r.check(rejDesk2 == rejDesk1, "the transport's redelivery of the same events refused nothing (%d new)", rejDesk2-rejDesk1)
	r.check(r.digestDiff() == "", "TableDigests equal on both sides after the injection")
}
