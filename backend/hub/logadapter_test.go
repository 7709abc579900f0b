package hub

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"grantbook/backend/changelog"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// TestLogSinkApplyAllSaysWhatItConsumed feeds a real hub log a run with an
// unreadable event, a forgery and a gap in it: all before the gap is
// consumed (the refusals named at their places), the rest is left.
func TestLogSinkApplyAllSaysWhatItConsumed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(name string, role changelog.Role) (*store.Store, *changelog.Log) {
		s, err := store.Open(ctx, filepath.Join(dir, name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		l, err := changelog.Open(ctx, s, role, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return s, l
	}
	ownerStore, owner := open("owner", changelog.Owner)
	_, hubLog := open("hub", changelog.Hub)
	if err := hubLog.Pin(ctx, owner.Origin(), owner.PublicKey(), changelog.Owner); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		a := &model.Account{Name: "Account " + string(rune('A'+i)), CreatedAt: time.Now()}
		if err := ownerStore.Tx(ctx, func(tx *store.Tx) error { return tx.InsertAccount(ctx, a) }); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := owner.Since(ctx, 0, 0)
	if err != nil || len(evs) < 4 {
		t.Fatalf("owner events: %d, %v", len(evs), err)
	}
	wire := func(e changelog.Event) []byte {
		b, err := changelog.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	forged := evs[1]
	forged.Fields = json.RawMessage(`{"name":"forged"}`)
	// evs[3] after evs[1] is a gap: evs[2] is missing.
	data := [][]byte{wire(evs[0]), []byte("garbage"), wire(forged), wire(evs[1]), wire(evs[0]), wire(evs[3])}
	sink := LogSink{hubLog}
	n, refused, err := sink.ApplyAll(ctx, data)
	if n != 5 || len(refused) != n || !errors.Is(err, ErrGap) {
		t.Fatalf("ApplyAll: n %d, %d refusals, %v; want 5 consumed and ErrGap", n, len(refused), err)
	}
	for i, r := range refused {
		if (r != nil) != (i == 1 || i == 2) {
			t.Errorf("refused[%d] = %v: want the garbage (1) and the forgery (2) only", i, r)
		}
	}
	if hw, _ := hubLog.Applied(ctx, owner.Origin(), owner.Epoch()); hw != evs[1].Seq {
		t.Errorf("high-water mark %d after the run, want %d", hw, evs[1].Seq)
	}
	// The retry from the mark takes the rest.
	if n, _, err := sink.ApplyAll(ctx, [][]byte{wire(evs[2]), wire(evs[3])}); n != 2 || err != nil {
		t.Fatalf("the rest: %d, %v", n, err)
	}
	if hw, _ := hubLog.Applied(ctx, owner.Origin(), owner.Epoch()); hw != evs[3].Seq {
		t.Errorf("high-water mark %d, want %d", hw, evs[3].Seq)
	}
}
