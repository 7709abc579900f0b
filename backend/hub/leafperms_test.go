package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Whoever holds a desktop's leaf credential (the paired desktop, or a
// thief) controls every client on its side of the leaf. It must not be
// able to write onto the hub's own stream (the relay's expected sequence
// would fail for ever: a stalled sync) nor use the hub's JetStream API
// (delete or purge the hub's streams), while sync itself keeps working.
func TestALeafCredentialCannotStallOrDeleteTheHubsStreams(t *testing.T) {
	ctx := testCtx(t)
	const deskO, hubO = "d1", "h1"
	hub, desk, _ := pairNodes(t, deskO)
	dlog, hlog, _, _ := runLinks(t, hub, desk) // runLinks: desktop d1, hub h1

	// A client on the desktop's side asks the hub's JetStream API (its
	// domain; $JS.API without one is the desktop's own).
	nc := desk.NC
	for _, subj := range []string{
		"$JS.hub.API.STREAM.DELETE." + StreamName(hubO, 1),
		"$JS.hub.API.STREAM.PURGE." + StreamName(hubO, 1),
		"$JS.hub.API.STREAM.DELETE." + StreamName(deskO, 1), // the hub's mirror of the desktop
		"$JS.hub.API.CONSUMER.DELETE." + StreamName(deskO, 1) + "." + consumerName,
		"$JS.hub.API.CONSUMER.CREATE." + StreamName(deskO, 1),
		"$JS.hub.API.STREAM.CREATE.GB_taken",
	} {
		if m, err := nc.Request(subj, nil, 300*time.Millisecond); err == nil {
			t.Errorf("%s from the leaf answered %s", subj, m.Data)
		}
	}
	// The one consumer it may make on the hub's stream (its mirror's), with
	// a deliver subject that would hand the hub's own JetStream a request:
	// the hub's events delivered as delete and purge requests.
	for _, deliver := range []string{
		"$JS.API.STREAM.DELETE." + StreamName(hubO, 1),
		"$JS.hub.API.STREAM.DELETE." + StreamName(hubO, 1),
		"$JS.API.STREAM.PURGE." + StreamName(hubO, 1),
		"$JS.API.STREAM.DELETE." + StreamName(deskO, 1),
		subject(hubO, 1),
	} {
		req := fmt.Sprintf(`{"stream_name":%q,"config":{"deliver_subject":%q,"ack_policy":"none","deliver_policy":"all"}}`,
			StreamName(hubO, 1), deliver)
		m, err := nc.Request("$JS.hub.API.CONSUMER.CREATE."+StreamName(hubO, 1), []byte(req), time.Second)
		t.Logf("a consumer delivering to %s: %v %.120s", deliver, err, msgData(m))
	}
	hlog.write("delivered")
	waitFor(t, 15*time.Second, "the hub's event on the desktop", func() bool { return len(dlog.received()) == 2 })
	for _, name := range []string{StreamName(hubO, 1), StreamName(deskO, 1)} {
		if _, err := hub.JS.Stream(ctx, name); err != nil {
			t.Fatalf("the hub's stream %s after the leaf's requests: %v", name, err)
		}
	}

	// Events forged onto the hub's own subjects, plainly and as a JetStream
	// publish: none may land in the hub's stream.
	m := nats.NewMsg(subject(hubO, 1))
	m.Data = []byte("2:forged")
	if err := nc.PublishMsg(m); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.JS.PublishMsg(ctx, m); err == nil {
		t.Error("a JetStream publish onto the hub's subjects from the leaf was acknowledged")
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// The hub goes on writing its stream in order, and the desktop gets it.
	hlog.write("after")
	waitFor(t, 15*time.Second, "the hub's next event on the desktop", func() bool { return len(dlog.received()) == 3 })
	if got := dlog.received(); got[2] != "after" {
		t.Fatalf("the desktop received %q, want the hub's own event", got)
	}
	st, err := hub.JS.Stream(ctx, StreamName(hubO, 1))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := st.Info(ctx); err != nil || info.State.Msgs != 3 || info.State.LastSeq != 3 {
		t.Fatalf("the hub's stream holds %+v (%v), want its own three events", info.State, err)
	}
	// And the desktop's changes still reach the hub.
	dlog.write("later")
	waitFor(t, 15*time.Second, "the desktop's next event on the hub", func() bool { return len(hlog.received()) == 2 })
}

func msgData(m *nats.Msg) string {
	if m == nil {
		return ""
	}
	return string(m.Data)
}

// The desktop does not trust the hub's leaf permissions: whoever owns the
// hub's machine has its internal connection (hub.NC here) and can ask the
// desktop's JetStream anything across the leaf. Only what the hub's mirror
// of the desktop's stream and its status line need reaches it (stream info,
// that mirror's consumer create); deleting or purging a stream, deleting a
// message, updating a stream, making other consumers are dropped, the
// desktop's streams stay whole, and sync goes on.
func TestTheHubCannotDeleteOrPurgeTheDesktopsStreams(t *testing.T) {
	ctx := testCtx(t)
	const deskO, hubO = "d1", "h1"
	hub, desk, _ := pairNodes(t, deskO)
	dlog, hlog, _, _ := runLinks(t, hub, desk)
	own, mirror := StreamName(deskO, 1), StreamName(hubO, 1)

	rjs, err := jetstream.NewWithDomain(hub.NC, DesktopDomain(deskO))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rjs.Stream(ctx, own); err != nil {
		t.Fatalf("stream info of the desktop's stream from the hub (its mirror needs it): %v", err)
	}
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 500*time.Millisecond) }
	for name, ask := range map[string]func(context.Context) error{
		"STREAM.DELETE " + own:    func(c context.Context) error { return rjs.DeleteStream(c, own) },
		"STREAM.DELETE " + mirror: func(c context.Context) error { return rjs.DeleteStream(c, mirror) },
		"STREAM.PURGE " + own: func(c context.Context) error {
			s, err := rjs.Stream(c, own)
			if err != nil {
				return err
			}
			return s.Purge(c)
		},
		"STREAM.MSG.DELETE " + own: func(c context.Context) error {
			s, err := rjs.Stream(c, own)
			if err != nil {
				return err
			}
			return s.DeleteMsg(c, 1)
		},
		"STREAM.UPDATE " + own: func(c context.Context) error {
			_, err := rjs.UpdateStream(c, jetstream.StreamConfig{Name: own, Subjects: []string{"gb.d1.1.>"}, MaxMsgs: 1})
			return err
		},
		"CONSUMER.CREATE " + mirror: func(c context.Context) error {
			_, err := rjs.CreateConsumer(c, mirror, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy})
			return err
		},
		"durable CONSUMER.CREATE " + own: func(c context.Context) error {
			_, err := rjs.CreateConsumer(c, own, jetstream.ConsumerConfig{Durable: "spy", AckPolicy: jetstream.AckNonePolicy})
			return err
		},
		"CONSUMER.DELETE " + mirror + " " + consumerName: func(c context.Context) error {
			return rjs.DeleteConsumer(c, mirror, consumerName)
		},
	} {
		c, cancel := short()
		err := ask(c)
		cancel()
		if err == nil {
			t.Errorf("%s from the hub's side was done on the desktop", name)
		}
	}
	for _, name := range []string{own, mirror} {
		st, err := desk.JS.Stream(ctx, name)
		if err != nil {
			t.Fatalf("the desktop's stream %s after the hub's requests: %v", name, err)
		}
		info, err := st.Info(ctx)
		if err != nil || info.State.Msgs != 1 || info.State.FirstSeq != 1 {
			t.Errorf("the desktop's stream %s holds %+v (%v), want its one event from 1", name, info.State, err)
		}
	}
	// Sync goes on both ways.
	dlog.write("later")
	hlog.write("after")
	waitFor(t, 15*time.Second, "the next events across", func() bool {
		return len(hlog.received()) == 2 && len(dlog.received()) == 2
	})
}
