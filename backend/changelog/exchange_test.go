package changelog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// mirror is what one side has received of the other's stream and not yet
// applied: delivered in any order, some twice, as a transport may.
type mirror struct {
	from, to *device
	queue    []item
	applied  int
	forged   int
	seen     map[uint64]bool
}

type item struct {
	e      Event
	forged bool
}

// fetch queues the sender's events after what was fetched before, each
// once or twice.
func (m *mirror) fetch(t *testing.T, r *rand.Rand) {
	evs, err := m.from.log.Since(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if m.seen[e.Seq] && r.IntN(4) != 0 {
			continue
		}
		m.seen[e.Seq] = true
		m.queue = append(m.queue, item{e: e})
		if r.IntN(3) == 0 {
			m.queue = append(m.queue, item{e: e})
		}
		if r.IntN(5) == 0 { // a copy changed on the way
			f := e
			f.Fields = []byte(`{"phone":"forged"}`)
			m.queue = append(m.queue, item{e: f, forged: true})
		}
	}
	r.Shuffle(len(m.queue), func(i, j int) { m.queue[i], m.queue[j] = m.queue[j], m.queue[i] })
}

// deliver applies up to n queued events in queue order; a gap goes back in the queue.
func (m *mirror) deliver(t *testing.T, n int) {
	ctx := context.Background()
	var keep []item
	for i, it := range m.queue {
		e := it.e
		if i >= n {
			keep = append(keep, it)
			continue
		}
		ok, err := m.to.log.Apply(ctx, e)
		switch {
		case it.forged:
			if !isRejected(err) {
				t.Fatalf("forged event: %v %v", ok, err)
			}
			m.forged++
		case errors.Is(err, ErrGap):
			keep = append(keep, it)
		case err != nil:
			t.Fatalf("apply %s %s seq %d: %v", e.Entity, e.Key, e.Seq, err)
		case ok:
			m.applied++
		}
	}
	m.queue = keep
}

func TestExchangeInAnyOrderConverges(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { exchange(t, rand.New(rand.NewPCG(18, seed))) })
	}
}

func exchange(t *testing.T, r *rand.Rand) {
	ctx := context.Background()
	owner, hub, acct, svc, c := synced(t)
	req := owner.supportRequest(acct.ID)
	ship(t, owner, hub)
	up := &mirror{from: owner, to: hub, seen: map[uint64]bool{}}   // owner → hub
	down := &mirror{from: hub, to: owner, seen: map[uint64]bool{}} // hub → owner
	// The pairing snapshot and the request were applied already: the hub's mirror starts after them.
	hw, _ := hub.log.Applied(ctx, owner.log.Origin(), owner.log.Epoch())
	for s := uint64(1); s <= hw; s++ {
		up.seen[s] = true
	}
	var replies []int64
	reply := func(d *device, fromOwner bool, body string) {
		rp := &model.SupportReply{RequestID: req.ID, ContactID: c.ID, FromOwner: fromOwner, AuthorName: "x", Body: body, CreatedAt: now}
		d.tx(func(ctx context.Context, tx *store.Tx) error { return tx.InsertSupportReply(ctx, rp) })
		replies = append(replies, rp.ID)
	}
	for round := range 6 {
		for i := range 4 {
			v := fmt.Sprintf("r%d.%d", round, i)
			switch r.IntN(6) {
			case 0:
				owner.exec(`UPDATE accounts SET phone = ? WHERE id = ?`, "owner "+v, acct.ID)
			case 1:
				owner.exec(`UPDATE grants SET permissions = ? WHERE contact_id = ?`, []string{"invoices.view", "invoices.view services.view"}[r.IntN(2)], c.ID)
			case 2:
				owner.tx(func(ctx context.Context, tx *store.Tx) error {
					return tx.InsertService(ctx, &model.Service{AccountID: acct.ID, Name: v, Kind: "domain", Status: "active", CreatedAt: now})
				})
			case 3:
				reply(owner, true, v)
			case 4:
				if len(replies) > 0 {
					owner.exec(`DELETE FROM support_replies WHERE id = ?`, replies[r.IntN(len(replies))])
				}
			case 5:
				owner.exec(`UPDATE services SET name = ? WHERE id = ?`, v, svc.ID)
			}
			switch r.IntN(4) {
			case 0:
				hub.exec(`UPDATE accounts SET phone = ? WHERE id = ?`, "hub "+v, acct.ID)
			case 1:
				reply(hub, false, v)
			case 2:
				hub.exec(`UPDATE contacts SET phone = ?, updated_at = updated_at + 1 WHERE id = ?`, v, c.ID)
			case 3:
				hub.exec(`UPDATE support_replies SET body = ? WHERE id = (SELECT max(id) FROM support_replies)`, "edited "+v)
			}
		}
		up.fetch(t, r)
		down.fetch(t, r)
		up.deliver(t, r.IntN(len(up.queue)+1))
		down.deliver(t, r.IntN(len(down.queue)+1))
	}
	for len(up.queue)+len(down.queue) > 0 {
		up.fetch(t, r)
		down.fetch(t, r)
		up.deliver(t, len(up.queue))
		down.deliver(t, len(down.queue))
	}
	if diff := differ(owner, hub); diff != "" {
		t.Fatal("the two sides differ in: " + diff)
	}
	if a, b := mustDigest(t, owner), mustDigest(t, hub); a != b {
		t.Fatal("grant digests differ")
	}
	// Each event applied once, however often it came.
	ownEvents := func(d *device) int {
		evs, _ := d.log.Since(ctx, 0, 0)
		return len(evs)
	}
	if up.applied != ownEvents(owner)-int(hw) || down.applied != ownEvents(hub) {
		t.Fatalf("applied %d/%d of %d/%d events", up.applied, down.applied, ownEvents(owner)-int(hw), ownEvents(hub))
	}
	if owner.rejectedCount() != down.forged || hub.rejectedCount() != up.forged || up.forged+down.forged == 0 {
		rs, _ := owner.log.Rejected(ctx, 5)
		t.Fatalf("rejections: %+v", rs)
	}
}
