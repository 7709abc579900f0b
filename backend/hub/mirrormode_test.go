package hub

import (
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func persistMode(t *testing.T, n *Node, origin string) jetstream.PersistModeType {
	t.Helper()
	st, err := n.JS.Stream(testCtx(t), StreamName(origin, 1))
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().Config.PersistMode
}

// Mirrors are the one place that does not sync each message: own streams
// do, and a mirror of an earlier release (synced per message) is made
// again when the leaf connects (watchMirror), with nothing lost or applied
// twice.
func TestMirrorsAreWrittenAsyncOwnStreamsAreNot(t *testing.T) {
	ctx := testCtx(t)
	hub, desk, _ := pairNodes(t, "d1")
	// The hub's mirror as an earlier release made it.
	if _, err := hub.JS.CreateStream(ctx, jetstream.StreamConfig{Name: StreamName("d1", 1), Storage: jetstream.FileStorage,
		Mirror: &jetstream.StreamSource{Name: StreamName("d1", 1), External: &jetstream.ExternalStream{APIPrefix: APIPrefix(DesktopDomain("d1"))}}}); err != nil {
		t.Fatal(err)
	}
	if m := persistMode(t, hub, "d1"); m != jetstream.DefaultPersistMode {
		t.Fatalf("the old mirror's mode = %v", m)
	}
	dlog, hlog, _, _ := runLinks(t, hub, desk)
	if m := persistMode(t, hub, "d1"); m != jetstream.AsyncPersistMode {
		t.Errorf("the hub's mirror after its link started: mode %v, want async", m)
	}
	if m := persistMode(t, desk, "h1"); m != jetstream.AsyncPersistMode {
		t.Errorf("the desktop's mirror: mode %v, want async", m)
	}
	if m := persistMode(t, desk, "d1"); m != jetstream.DefaultPersistMode {
		t.Errorf("the desktop's own stream: mode %v, want each write synced", m)
	}
	if m := persistMode(t, hub, "h1"); m != jetstream.DefaultPersistMode {
		t.Errorf("the hub's own stream: mode %v, want each write synced", m)
	}
	for i := range 20 {
		dlog.write("d" + strconv.Itoa(i))
	}
	waitFor(t, 15*time.Second, "the desktop's changes on the hub", func() bool { return len(hlog.received()) == 21 })
	for i, got := range hlog.received()[1:] {
		if want := "d" + strconv.Itoa(i); got != want {
			t.Fatalf("hub got %q at %d, want %q", got, i, want)
		}
	}
}
