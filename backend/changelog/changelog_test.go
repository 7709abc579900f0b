package changelog

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

func TestSealNumbersChainsAndSignsInTheSameTransaction(t *testing.T) {
	ctx := context.Background()
	d := newDevice(t, Owner)
	_, _, c := d.seedOwner()
	evs, err := d.log.Since(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// account, service, contact, grant, grant_services; the audit row is not replicated.
	var got []string
	for i, e := range evs {
		got = append(got, e.Entity)
		if e.Seq != uint64(i+1) || e.Origin != d.log.Origin() || e.Epoch != d.log.Epoch() {
			t.Fatalf("event %d numbered %d/%s/%d", i, e.Seq, e.Origin, e.Epoch)
		}
		if !ed25519.Verify(d.log.PublicKey(), e.canonical(), e.Sig) {
			t.Fatalf("event %d: bad signature", i)
		}
		if i == 0 && e.Prev != "" || i > 0 && e.Prev != evs[i-1].Hash() {
			t.Fatalf("event %d: prev %q", i, e.Prev)
		}
		if i > 0 && e.HLC <= evs[i-1].HLC {
			t.Fatalf("event %d: clock %d not after %d", i, e.HLC, evs[i-1].HLC)
		}
	}
	if strings.Join(got, " ") != "accounts services contacts grants grant_services" {
		t.Fatalf("events: %v", got)
	}

	// A failed transaction logs nothing; an update logs the changed field only.
	boom := errors.New("boom")
	err = d.s.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE accounts SET phone = '+33 1'`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	d.exec(`UPDATE contacts SET phone = phone WHERE id = ?`, c.ID) // changes nothing
	d.exec(`UPDATE contacts SET phone = '+33 6 12' WHERE id = ?`, c.ID)
	evs, _ = d.log.Since(ctx, 5, 0)
	if len(evs) != 1 || evs[0].Entity != "contacts" || string(evs[0].Fields) != `{"phone":"+33 6 12"}` {
		t.Fatalf("after the update: %+v", evs)
	}
	var pending int
	d.s.QueryRow(ctx, `SELECT count(*) FROM change_log WHERE seq IS NULL`).Scan(&pending)
	if pending != 0 {
		t.Fatalf("%d unsigned rows left", pending)
	}
	select {
	case <-d.log.Notify():
	default:
		t.Fatal("no notification after a commit that logged")
	}
}

func TestNeverReplicated(t *testing.T) {
	ctx := context.Background()
	d := newDevice(t, Owner)
	_, _, c := d.seedOwner()
	before, _ := d.log.Since(ctx, 0, 0)
	d.tx(func(ctx context.Context, tx *store.Tx) error {
		if err := tx.PutSetting(ctx, "mail.smtp.password", "secret"); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, "owner.passphrase", "x"); err != nil {
			return err
		}
		if err := tx.InsertSigninCode(ctx, c.ID, []byte("n"), []byte("h"), now, now.Add(600e9)); err != nil {
			return err
		}
		return tx.InsertSession(ctx, &model.Session{ContactID: c.ID, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(3600e9)}, []byte("tok"), []int64{c.ID})
	})
	after, _ := d.log.Since(ctx, 0, 0)
	if len(after) != len(before) {
		t.Fatalf("secrets, codes or sessions were logged: %+v", after[len(before):])
	}
	d.tx(func(ctx context.Context, tx *store.Tx) error { return tx.PutSetting(ctx, "client_area", `{"on":true}`) })
	after, _ = d.log.Since(ctx, 0, 0)
	if len(after) != len(before)+1 || after[len(after)-1].Entity != "settings" {
		t.Fatal("the client area's setting was not logged")
	}
}

func TestKeyFileAndEpochs(t *testing.T) {
	ctx := context.Background()
	d := newDevice(t, Owner)
	fi, err := os.Stat(filepath.Join(d.dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	again, err := Open(ctx, d.s, Owner, d.dir)
	if err != nil || again.Origin() != d.log.Origin() || again.Epoch() != d.log.Epoch() {
		t.Fatalf("reopened: %v %s %d", err, again.Origin(), again.Epoch())
	}
	// The same store under a new key (the key lost): a new origin and epoch.
	other, err := Open(ctx, d.s, Owner, t.TempDir())
	if err != nil || other.Origin() == d.log.Origin() || other.Epoch() == d.log.Epoch() {
		t.Fatalf("new key: %v", err)
	}
	// A change made while no log is open is sealed by the next Open.
	d.seedOwner()
	d.log.Close()
	d.exec(`UPDATE accounts SET phone = '+33 2'`)
	reopened, err := Open(ctx, d.s, Owner, d.dir)
	if err != nil {
		t.Fatal(err)
	}
	if evs, _ := reopened.Since(ctx, 0, 0); len(evs) != 1 || evs[0].Entity != "accounts" || evs[0].Seq != 1 {
		t.Fatalf("after reopening: %+v", evs)
	}
	if _, err := Open(ctx, d.s, Hub, d.dir); err == nil {
		t.Fatal("an owner's store opened as a hub's")
	}
	os.Chmod(filepath.Join(d.dir, KeyFile), 0o644)
	if _, err := Open(ctx, d.s, Owner, d.dir); err == nil {
		t.Fatal("a key readable by others was used")
	}
}

func TestApplyIsIdempotentAndInOrder(t *testing.T) {
	ctx := context.Background()
	owner, hub := paired(t)
	owner.seedOwner()
	snap, err := owner.log.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := owner.log.Since(ctx, 0, 0)
	if len(evs) != len(snap) || len(snap) < 10 { // the seed, the site and its areas
		t.Fatalf("snapshot of %d events, %d in the log", len(snap), len(evs))
	}
	if _, err := hub.log.Apply(ctx, evs[1]); !errors.Is(err, ErrGap) {
		t.Fatalf("event 2 before 1: %v", err)
	}
	for _, e := range evs {
		if ok, err := hub.log.Apply(ctx, e); !ok || err != nil {
			t.Fatalf("apply %d: %v %v", e.Seq, ok, err)
		}
	}
	want := hub.digests()
	for _, e := range evs { // again: replays change nothing
		if ok, err := hub.log.Apply(ctx, e); ok || err != nil {
			t.Fatalf("replay %d: %v %v", e.Seq, ok, err)
		}
	}
	if hw, _ := hub.log.Applied(ctx, owner.log.Origin(), owner.log.Epoch()); hw != uint64(len(evs)) {
		t.Fatalf("high-water mark %d", hw)
	}
	if got := hub.digests(); !equal(got, want) || !equal(got, owner.digests()) {
		t.Fatal("replays changed the hub, or the hub differs from the owner")
	}
	// Applied rows are not logged again on the hub.
	if own, _ := hub.log.Since(ctx, 0, 0); len(own) != 0 {
		t.Fatalf("the hub logged %d applied rows as its own", len(own))
	}
	if d1, _ := owner.log.Digest(ctx); d1 != mustDigest(t, hub) {
		t.Fatal("grant digests differ")
	}
	// Apply writes with foreign keys off; the store's own writes after it,
	// even after a failed Apply, have them on again.
	owner.exec(`UPDATE accounts SET phone = '1'`)
	owner.exec(`UPDATE accounts SET phone = '2'`)
	more, _ := owner.log.Since(ctx, uint64(len(evs)), 0)
	if _, err := hub.log.Apply(ctx, more[1]); !errors.Is(err, ErrGap) { // fails inside the apply transaction
		t.Fatal(err)
	}
	err = hub.s.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO grant_services (contact_id, service_id) VALUES (999, 999)`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("a dangling reference after Apply: %v", err)
	}
}

func TestForgedEventsAreRejectedAndRecorded(t *testing.T) {
	ctx := context.Background()
	owner, hub := paired(t)
	owner.seedOwner()
	evs, _ := owner.log.Since(ctx, 0, 0)
	stranger := newDevice(t, Owner)
	stranger.seedOwner()
	foreign, _ := stranger.log.Since(ctx, 0, 0)

	tampered := evs[0]
	tampered.Fields = json.RawMessage(strings.Replace(string(tampered.Fields), "Boulangerie", "Forged", 1))
	resigned := evs[0] // signed by a key that is not the pinned one
	resigned.Sig = ed25519.Sign(stranger.log.key, resigned.canonical())
	for i, e := range []Event{tampered, resigned, foreign[0]} {
		if ok, err := hub.log.Apply(ctx, e); ok || !isRejected(err) {
			t.Fatalf("forgery %d: %v %v", i, ok, err)
		}
	}
	if n := hub.rejectedCount(); n != 3 {
		t.Fatalf("%d rejections recorded", n)
	}
	if hw, _ := hub.log.Applied(ctx, owner.log.Origin(), owner.log.Epoch()); hw != 0 {
		t.Fatal("a forged event moved the high-water mark")
	}
	// The genuine events still apply after the forgeries.
	if rej := ship(t, owner, hub); len(rej) != 0 {
		t.Fatal(rej)
	}
	// A validly signed event off the chain (reordered prev) is refused.
	owner.exec(`UPDATE accounts SET phone = '1'`)
	owner.exec(`UPDATE accounts SET phone = '2'`)
	next, _ := owner.log.Since(ctx, uint64(len(evs)), 0)
	bad := next[1]
	bad.Seq = next[0].Seq
	bad.Sig = ed25519.Sign(owner.log.key, bad.canonical())
	if _, err := hub.log.Apply(ctx, bad); !isRejected(err) {
		t.Fatalf("off-chain event: %v", err)
	}
	rs, _ := hub.log.Rejected(ctx, 10)
	if len(rs) != 4 || rs[0].Reason != "predecessor hash does not match" || rs[1].Reason != "unknown origin "+stranger.log.Origin() ||
		rs[2].Reason != "bad signature" || rs[3].Reason != "bad signature" {
		t.Fatalf("rejections: %+v", rs)
	}
}

func isRejected(err error) bool {
	var r *Rejected
	return errors.As(err, &r)
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func mustDigest(t *testing.T, d *device) string {
	s, err := d.log.Digest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A migration that adds a column to a replicated table must recreate its
// triggers, or the column would never reach the other side.
func TestTriggersLogEveryColumnOfEveryReplicatedTable(t *testing.T) {
	ctx := context.Background()
	d := newDevice(t, Owner)
	rows, err := d.s.Query(ctx, `SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%\_log\_insert' ESCAPE '\'`)
	if err != nil {
		t.Fatal(err)
	}
	logged := map[string]string{}
	for rows.Next() {
		var tbl, sql string
		rows.Scan(&tbl, &sql)
		logged[tbl] = sql
	}
	rows.Close()
	if len(logged) != len(tables) || len(order) != len(tables) {
		t.Fatalf("%d tables logged, %d replicated, %d in order", len(logged), len(tables), len(order))
	}
	for name := range tables {
		cols, err := d.s.Query(ctx, `SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0`, name)
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var c string
			cols.Scan(&c)
			if !strings.Contains(logged[name], "'"+c+"', NEW."+c) {
				t.Errorf("%s.%s is not logged", name, c)
			}
		}
		cols.Close()
	}
}

func TestApplyAllCatchesUpInOneGo(t *testing.T) {
	ctx := context.Background()
	owner, hub := paired(t)
	owner.seedOwner()
	if _, err := owner.log.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		owner.exec(`UPDATE accounts SET phone = ?`, itoa(int64(i)))
	}
	evs, _ := owner.log.Since(ctx, 0, 0)
	forged := evs[3]
	forged.Fields = json.RawMessage(`{"name":"forged"}`)
	half := len(evs) / 2
	// A duplicate, a forgery, then a gap: all before the gap is taken.
	run := append(append([]Event{}, evs[:half]...), evs[2], forged, evs[half+1])
	n, refused, err := hub.log.ApplyAll(ctx, run)
	if !errors.Is(err, ErrGap) || n != len(run)-1 || len(refused) != n {
		t.Fatalf("ApplyAll: %d, %v", n, err)
	}
	for i, r := range refused {
		if (r != nil) != (i == len(run)-2) {
			t.Fatalf("refused[%d] = %v: only the forgery at %d is refused", i, r, len(run)-2)
		}
	}
	if hw, _ := hub.log.Applied(ctx, owner.log.Origin(), owner.log.Epoch()); hw != uint64(half) {
		t.Fatalf("high-water mark %d, want %d", hw, half)
	}
	if n, _, err := hub.log.ApplyAll(ctx, evs[half:]); err != nil || n != len(evs)-half {
		t.Fatalf("the rest: %d, %v", n, err)
	}
	if diff := differ(owner, hub); diff != "" || hub.rejectedCount() != 1 {
		t.Fatalf("differ: %q, %d rejections", diff, hub.rejectedCount())
	}
}
