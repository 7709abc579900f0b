package hub_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"grantbook/backend/changelog"
	"grantbook/backend/core"
	"grantbook/backend/hub"
	"grantbook/backend/hub/hubtest"
	"grantbook/backend/model"
)

// hubKey reads the hub's device key from its data dir, as someone who owns
// the hub's machine can.
func hubKey(t *testing.T, dataDir string) ed25519.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(hub.KeyDir(dataDir), changelog.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil {
		t.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// attacker is JetStream through a client of the hub's own server with the
// hub's internal credentials.
func attacker(t *testing.T, h *side) jetstream.JetStream {
	t.Helper()
	nc, err := hub.InternalConn(h.hub.Node)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// pairedWithTechnicalAda pairs a desktop whose Ada (Technical: no
// invoices) can act on the hub.
func pairedWithTechnicalAda(t *testing.T) (h, d *side, hubURL string, acc *model.Account, c *model.Contact) {
	t.Helper()
	h, d, hubURL, proxy := hubAndDesktop(t)
	acc, c = d.withAda()
	technical := "technical"
	if _, err := d.app.UpdateContact(context.Background(), c.ID, core.ContactPatch{Preset: &technical}); err != nil {
		t.Fatal(err)
	}
	pair(t, h, d, proxy)
	hubtest.WaitFor(t, 15*time.Second, "Ada on the hub", func() bool {
		ok, _ := check(t, hubURL, c.ID, "support.open")
		return ok
	})
	return h, d, hubURL, acc, c
}

// A compromised hub — a NATS client on the hub's own server with the hub's
// internal credentials, and the hub's signing key, which is what whoever
// owns the hub's machine has — publishes onto the hub's own stream events
// that continue its chain: a grant widened under a broken signature, an
// owner-only field (the account's name) and a grant widened, both signed
// with the hub's real key, and a replay of the hub's older edit of a field
// it may write. The desktop's applier takes them from its mirror like any
// other event: it applies none, the window lists the three refusals with
// their reason, the replay changes nothing, and the hub, which computes
// access only from verified owner events, grants nothing more.
func TestACompromisedHubsForgeriesOnTheWireAreRefused(t *testing.T) {
	ctx := context.Background()
	h, d, hubURL, acc, c := pairedWithTechnicalAda(t)
	// Two genuine edits on the hub of a field it may write: the first is
	// replayed later.
	for _, p := range []string{"+44 1 old", "+44 2 new"} {
		if _, err := h.app.UpdateAccount(ctx, acc.ID, core.AccountPatch{Phone: &p}); err != nil {
			t.Fatal(err)
		}
	}
	hubtest.WaitFor(t, 15*time.Second, "the hub's edits on the desktop, in step", func() bool {
		a, err := d.app.Account(ctx, acc.ID)
		return err == nil && a.Phone == "+44 2 new" && d.desk.Status(ctx).State == hub.StateConnected
	})
	if ok, _ := check(t, hubURL, c.ID, "invoices.pay"); ok {
		t.Fatal("Technical allows invoices.pay on the hub before any forgery")
	}
	deskAccess, _ := d.desk.Log.Digest(ctx)
	hubAccess, _ := h.hub.Log.Digest(ctx)
	rejected0 := len(d.desk.Status(ctx).Rejected)

	evs, err := h.hub.Log.Since(ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	var oldPhone changelog.Event
	for _, e := range evs {
		if e.Entity == "accounts" && strings.Contains(string(e.Fields), "+44 1 old") {
			oldPhone = e
		}
	}
	if oldPhone.Seq == 0 {
		t.Fatal("the hub's first phone edit is not in its log")
	}
	key := hubKey(t, h.app.DataDir())
	next := func(seq uint64, prev, entity, id, fields string) changelog.Event {
		return changelog.Event{Origin: last.Origin, Epoch: last.Epoch, Seq: seq, HLC: last.HLC + seq - last.Seq,
			Entity: entity, Key: id, Op: changelog.Upsert, Fields: json.RawMessage(fields), Prev: prev}
	}
	contactKey, accountKey := strconv.FormatInt(c.ID, 10), strconv.FormatInt(acc.ID, 10)
	const wider = `{"preset":"custom","permissions":"services.view support.open support.view invoices.view invoices.pay"}`
	badSig := hubtest.Sign(key, next(last.Seq+1, last.Hash(), "grants", contactKey, wider))
	badSig.Sig[0] ^= 0xff
	ownerOnly := hubtest.Sign(key, next(last.Seq+1, last.Hash(), "accounts", accountKey, `{"name":"Forged Ltd"}`))
	widen := hubtest.Sign(key, next(last.Seq+2, ownerOnly.Hash(), "grants", contactKey, wider))
	forged := []changelog.Event{badSig, ownerOnly, widen, oldPhone}

	js := attacker(t, h)
	for _, e := range forged {
		m := nats.NewMsg(hub.Subject(e.Origin, e.Epoch))
		m.Data, _ = changelog.Marshal(e)
		m.Header.Set(hub.SeqHeader, strconv.FormatUint(e.Seq, 10))
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatalf("publishing a forgery onto the hub's stream: %v", err)
		}
	}

	var st hub.DesktopStatus
	hubtest.WaitFor(t, 15*time.Second, "the desktop's mark past the forged numbers", func() bool {
		mark, _ := d.desk.Log.Applied(ctx, last.Origin, last.Epoch)
		st = d.desk.Status(ctx)
		return mark == widen.Seq && len(st.Rejected) == rejected0+3
	})
	reasons := map[uint64][]string{}
	for _, r := range st.Rejected[:3] {
		reasons[r.Seq] = append(reasons[r.Seq], r.Reason)
	}
	t.Logf("the window's refusals: %v", reasons)
	if len(reasons[last.Seq+1]) != 2 || len(reasons[last.Seq+2]) != 1 {
		t.Fatalf("refusals by number = %v, want two at %d (bad signature, owner-only field) and the widening at %d", reasons, last.Seq+1, last.Seq+2)
	}
	all := strings.Join(append(reasons[last.Seq+1], reasons[last.Seq+2]...), " | ")
	for _, want := range []string{"bad signature", "accounts.name is written by the owner only", "the hub may not add permissions"} {
		if !strings.Contains(all, want) {
			t.Errorf("refusal reasons %q: want %q", all, want)
		}
	}
	if a, err := d.app.Account(ctx, acc.ID); err != nil || a.Name != "Acme Ltd" || a.Phone != "+44 2 new" {
		t.Errorf("the desktop's account after the forgeries: %+v, %v; want Acme Ltd, +44 2 new (no forged name, the replay ignored)", a, err)
	}
	if got, _ := d.desk.Log.Digest(ctx); got != deskAccess {
		t.Error("the desktop's access rows changed")
	}
	if got, _ := h.hub.Log.Digest(ctx); got != hubAccess {
		t.Error("the hub's access rows changed")
	}
	if ok, _ := check(t, hubURL, c.ID, "invoices.pay"); ok {
		t.Error("the hub grants invoices.pay after the forged widening")
	}
	if ok, _ := check(t, hubURL, c.ID, "support.open"); !ok {
		t.Error("the hub no longer grants what the owner gave (support.open)")
	}
	// The window tells the truth: the three messages out of their place
	// (two refused, a replay) are done with, not pending, and it says the
	// hub's stream was written by something else.
	hubtest.WaitFor(t, 10*time.Second, "the window naming the forged changes", func() bool {
		st = d.desk.Status(ctx)
		return st.Forged == 3
	})
	t.Logf("the window: %s, %d pending, %d forged: %s", st.State, st.Pending, st.Forged, st.Error)
	if st.State == hub.StateCatchingUp || st.Pending != 0 {
		t.Errorf("the window says %s with %d pending after the forgeries, want nothing pending", st.State, st.Pending)
	}
	if !strings.Contains(st.Error, "3 changes in the hub's sync stream were not written by Grantbook") ||
		!strings.Contains(st.Error, "will not be applied") {
		t.Errorf("the window's error %q does not say the hub's stream was forged", st.Error)
	}
	// The hub's own next change cannot follow: its stream's numbers are no
	// longer its log's, and its owner page says its stream was written by
	// something other than its relay.
	p := "+44 3 after"
	if _, err := h.app.UpdateAccount(ctx, acc.ID, core.AccountPatch{Phone: &p}); err != nil {
		t.Fatal(err)
	}
	hubtest.WaitFor(t, 10*time.Second, "the hub's status naming its tampered stream", func() bool {
		return strings.Contains(h.hub.Status(ctx).Error, "this machine's sync stream holds messages Grantbook did not write there")
	})
	t.Logf("the hub: %s", h.hub.Status(ctx).Error)
}

// The same compromised hub forging the owner's events for its own applier:
// it replaces its mirror of the desktop's stream with a stream of its own
// under the same name and publishes, as the desktop's next events, a
// widened grant signed with the hub's key (it has no owner key) and an
// altered copy of the owner's last event under its old signature. The hub
// computes access only from verified owner events: its applier refuses
// both and records why, the hub's mark for the desktop does not move, and
// the contact gains nothing on the hub.
func TestACompromisedHubCannotGrantWithForgedOwnerEvents(t *testing.T) {
	ctx := context.Background()
	h, d, hubURL, _, c := pairedWithTechnicalAda(t)
	origin, epoch := d.desk.Log.Origin(), d.desk.Log.Epoch()
	deskLast, err := d.desk.Log.Since(ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	last := deskLast[len(deskLast)-1]
	hubtest.WaitFor(t, 15*time.Second, "the hub in step with the desktop", func() bool {
		mark, _ := h.hub.Log.Applied(ctx, origin, epoch)
		return mark == last.Seq
	})
	hubAccess, _ := h.hub.Log.Digest(ctx)

	js := attacker(t, h)
	// What the hub's mirror holds is what the attacker sees of the owner.
	mirror, err := js.Stream(ctx, hub.StreamName(origin, epoch))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := mirror.GetMsg(ctx, last.Seq)
	if err != nil {
		t.Fatal(err)
	}
	seen, err := changelog.Unmarshal(raw.Data)
	if err != nil {
		t.Fatal(err)
	}
	key := hubKey(t, h.app.DataDir())
	widen := hubtest.Sign(key, changelog.Event{Origin: origin, Epoch: epoch, Seq: seen.Seq + 1, HLC: seen.HLC + 1,
		Entity: "grants", Key: strconv.FormatInt(c.ID, 10), Op: changelog.Upsert, Prev: seen.Hash(),
		Fields: json.RawMessage(`{"preset":"full","permissions":"services.view support.open support.view invoices.view invoices.pay"}`)})
	altered := seen
	altered.Seq, altered.Prev = seen.Seq+1, seen.Hash()
	altered.Entity, altered.Key = "grants", strconv.FormatInt(c.ID, 10)
	altered.Fields = json.RawMessage(`{"admin_all":1}`)

	if err := js.DeleteStream(ctx, hub.StreamName(origin, epoch)); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: hub.StreamName(origin, epoch),
		Subjects: []string{"forged.>"}, FirstSeq: seen.Seq + 1, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	for _, e := range []changelog.Event{widen, altered} {
		m := nats.NewMsg("forged.ev")
		m.Data, _ = changelog.Marshal(e)
		m.Header.Set(hub.SeqHeader, strconv.FormatUint(e.Seq, 10))
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	var rejected []hub.RejectedNote
	hubtest.WaitFor(t, 15*time.Second, "the hub's applier refusing both", func() bool {
		hs := h.hub.Status(ctx)
		if len(hs.Peers) != 1 {
			return false
		}
		rejected = hs.Peers[0].Rejected
		return len(rejected) >= 2
	})
	t.Logf("the hub's refusals: %+v", rejected)
	for _, r := range rejected {
		if r.Seq != seen.Seq+1 || r.Reason != "bad signature" {
			t.Errorf("refusal %+v, want the forged number %d refused for a bad signature", r, seen.Seq+1)
		}
	}
	if mark, _ := h.hub.Log.Applied(ctx, origin, epoch); mark != seen.Seq {
		t.Errorf("the hub's mark for the desktop moved to %d (want %d)", mark, seen.Seq)
	}
	if got, _ := h.hub.Log.Digest(ctx); got != hubAccess {
		t.Error("the hub's access rows changed")
	}
	for _, perm := range []string{"invoices.pay", "invoices.view"} {
		if ok, _ := check(t, hubURL, c.ID, perm); ok {
			t.Errorf("the hub grants %s after the forged owner events", perm)
		}
	}
	if ok, _ := check(t, hubURL, c.ID, "support.open"); !ok {
		t.Error("the hub no longer grants what the owner gave (support.open)")
	}
}
