package changelog

import (
	"context"
	"crypto/ed25519"
	"testing"
)

// FuzzApply: whatever arrives, Unmarshal and Apply neither panic nor apply
// anything the pinned owner did not sign.
func FuzzApply(f *testing.F) {
	ctx := context.Background()
	owner, hub := newDeviceTB(f, Owner), newDeviceTB(f, Hub)
	if err := hub.log.Pin(ctx, owner.log.Origin(), owner.log.PublicKey(), Owner); err != nil {
		f.Fatal(err)
	}
	owner.seedOwner()
	evs, _ := owner.log.Since(ctx, 0, 0)
	for _, e := range evs {
		e.Seq += 100 // past the mark: only a forgery could be taken
		b, _ := Marshal(e)
		f.Add(b)
	}
	f.Add([]byte(`{"origin":"00000000000000000000000000000000","epoch":1,"seq":1,"entity":"grants","key":"1","op":"upsert","fields":{"permissions":"x"},"sig":"AAAA"}`))
	f.Add([]byte(`{"entity":"sessions","key":"[1,2]","op":"delete"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"fields":[1,{"a":2}]}`))
	before := hub.digests()
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Unmarshal(b)
		if err != nil {
			return
		}
		ok, err := hub.log.Apply(ctx, e)
		if ok && !ed25519.Verify(owner.log.PublicKey(), e.canonical(), e.Sig) {
			t.Fatalf("applied an event the owner did not sign: %s", b)
		}
		if !ok {
			if got, err := hub.log.TableDigests(ctx); err != nil || !equal(got, before) {
				t.Fatalf("not applied, yet the hub changed: %s (%v)", b, err)
			}
		}
	})
}

func TestMalformed(t *testing.T) {
	ok := Event{Origin: "0123456789abcdef0123456789abcdef", Epoch: 1, Seq: 1, Entity: "grant_services", Key: "[1,2]", Op: Upsert,
		Fields: []byte(`{"contact_id":1,"service_id":2}`), Sig: make([]byte, ed25519.SignatureSize)}
	if r := malformed(ok); r != "" {
		t.Fatalf("a well-formed event: %s", r)
	}
	for name, edit := range map[string]func(*Event){
		"key and fields differ": func(e *Event) { e.Fields = []byte(`{"contact_id":1,"service_id":3}`) },
		"half a key":            func(e *Event) { e.Fields = []byte(`{"contact_id":9}`) },
		"not replicated":        func(e *Event) { e.Entity = "sessions" },
		"nested value":          func(e *Event) { e.Fields = []byte(`{"contact_id":{"a":1}}`) },
		"delete with fields":    func(e *Event) { e.Op = Delete },
		"bad key":               func(e *Event) { e.Key = "1" },
		"prev on seq 1":         func(e *Event) { e.Prev = "ab" },
		"no signature":          func(e *Event) { e.Sig = nil },
		"id with spaces":        func(e *Event) { e.Entity, e.Key, e.Fields = "accounts", " 1", nil; e.Op = Delete },
	} {
		e := ok
		edit(&e)
		if malformed(e) == "" {
			t.Errorf("%s: taken as well-formed", name)
		}
	}
}
