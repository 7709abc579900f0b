package changelog

import (
	"context"
	"testing"
	"time"
)

// skew sets a device's wall clock off by d.
func (d *device) skew(by time.Duration) {
	d.log.SetWallClock(func() time.Time { return time.Now().Add(by) })
}

func conflicts(t *testing.T, d *device) int {
	t.Helper()
	var n int
	if err := d.s.QueryRow(context.Background(), `SELECT count(*) FROM change_conflicts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func phone(t *testing.T, d *device, id int64) string {
	t.Helper()
	a, err := d.s.Account(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Phone
}

func TestTwoWritersLastWriterWinsAndConflictsAreRecorded(t *testing.T) {
	for _, sk := range []time.Duration{0, 10 * time.Minute, -10 * time.Minute} {
		t.Run(sk.String(), func(t *testing.T) {
			owner, hub, acct, _, _ := synced(t)
			hub.skew(sk) // the hub's wall clock is off by ±10 minutes

			// One after the other, each having seen the other's change: no
			// conflict, and the later edit wins whatever the wall clocks say.
			owner.exec(`UPDATE accounts SET phone = 'owner 1' WHERE id = ?`, acct.ID)
			ship(t, owner, hub)
			hub.exec(`UPDATE accounts SET phone = 'hub 1' WHERE id = ?`, acct.ID)
			ship(t, hub, owner)
			owner.exec(`UPDATE accounts SET phone = 'owner 2' WHERE id = ?`, acct.ID)
			ship(t, owner, hub)
			if p, q := phone(t, owner, acct.ID), phone(t, hub, acct.ID); p != "owner 2" || q != "owner 2" {
				t.Fatalf("sequential edits: owner %q, hub %q", p, q)
			}
			if conflicts(t, owner)+conflicts(t, hub) != 0 {
				t.Fatal("sequential edits recorded as conflicts")
			}

			// At the same time, neither having seen the other's: both sides
			// keep the same value and record the conflict.
			owner.exec(`UPDATE accounts SET phone = 'owner 3', address = 'owner street' WHERE id = ?`, acct.ID)
			hub.exec(`UPDATE accounts SET phone = 'hub 3' WHERE id = ?`, acct.ID)
			ship(t, owner, hub)
			ship(t, hub, owner)
			p, q := phone(t, owner, acct.ID), phone(t, hub, acct.ID)
			if p != q {
				t.Fatalf("diverged: owner %q, hub %q", p, q)
			}
			if conflicts(t, owner) != 1 || conflicts(t, hub) != 1 {
				t.Fatalf("conflicts: owner %d, hub %d", conflicts(t, owner), conflicts(t, hub))
			}
			cs, err := owner.log.Conflicts(context.Background(), 10)
			if err != nil || len(cs) != 1 {
				t.Fatal(cs, err)
			}
			if cs[0].Field != "phone" || cs[0].Local != "owner 3" || cs[0].Remote != "hub 3" || (cs[0].Winner == owner.log.Origin()) != (p == "owner 3") ||
				cs[0].What != "account "+acct.Name {
				t.Fatalf("conflict recorded: %+v, value kept %q", cs[0], p)
			}
			if a, _ := hub.s.Account(context.Background(), acct.ID); a.Address != "owner street" {
				t.Fatal("a field only one side changed was lost")
			}
			if diff := differ(owner, hub); diff != "" {
				t.Fatal("differ: " + diff)
			}
		})
	}
}

func TestClockReceiveRuleAndFarFuture(t *testing.T) {
	ctx := context.Background()
	owner, hub, acct, _, _ := synced(t)
	owner.skew(10 * time.Minute)
	owner.exec(`UPDATE accounts SET phone = 'a' WHERE id = ?`, acct.ID)
	ship(t, owner, hub)
	evs, _ := owner.log.Since(ctx, 0, 0)
	last := evs[len(evs)-1].HLC
	// The hub, ten minutes behind, still orders its next write after what it saw.
	hub.exec(`UPDATE accounts SET phone = 'b' WHERE id = ?`, acct.ID)
	mine, _ := hub.log.Since(ctx, 0, 0)
	if mine[len(mine)-1].HLC <= last {
		t.Fatal("the hub's clock went back behind an event it had applied")
	}
	// An event two hours ahead is refused (it would drag every clock along).
	owner.skew(2 * time.Hour)
	owner.exec(`UPDATE accounts SET phone = 'c' WHERE id = ?`, acct.ID)
	if rej := ship(t, owner, hub); len(rej) != 1 {
		t.Fatalf("far-future event: %v", rej)
	}
	if phone(t, hub, acct.ID) != "b" {
		t.Fatal("a far-future event was applied")
	}
}
