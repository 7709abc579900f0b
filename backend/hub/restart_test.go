package hub

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Both restart tests run each side's Link over a memLog that outlives the
// side's node (the store survives a restart), as the product runs them.
const deskO, hubO = "d1", "h1"

// startLink runs l until the returned stop is called (a process ending).
func startLink(l *Link) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.Run(ctx) }()
	return func() { cancel(); <-done }
}

func deskLink(n *Node, log *memLog) *Link {
	return &Link{Node: n, Origin: deskO, Epoch: 1, Source: log, Sink: log, Peer: Peer{hubO, 1, HubDomain}}
}

func hubLink(n *Node, log *memLog) *Link {
	return &Link{Node: n, Origin: hubO, Epoch: 1, Source: log, Sink: log, Peer: Peer{deskO, 1, DesktopDomain(deskO)}}
}

// writeBoth writes five changes on each side, named for round.
func writeBoth(dlog, hlog *memLog, round string) {
	for i := range 5 {
		dlog.write(round + "d" + strconv.Itoa(i))
		hlog.write(round + "h" + strconv.Itoa(i))
	}
}

// A hub that restarts (a crash, an update) while its desktop keeps running:
// the hub's mirror of the desktop's stream asks the desktop's JetStream for
// its consumer at once, before the desktop's leaf has redialled, so nats
// drops that request and waits 30 s for the answer, then backs off; and
// the consumer feeding the desktop's mirror of the hub's stream went with
// the hub (nats notices by 10 s heartbeat checks). The desktop's changes
// stalled ~40 s after each restart (bench/synckill). The new leaf
// connection makes both mirrors again: the changes written meanwhile go
// across with no mirror stalling.
func TestMirrorResumesPromptlyAfterTheHubRestarts(t *testing.T) {
	hubDir, secret := t.TempDir(), randomSecret()
	dlog, hlog := newMemLog(), newMemLog()
	var cur atomic.Pointer[Node]
	startHub := func() (*Link, func()) {
		n, err := StartHub(HubConfig{Dir: hubDir, Creds: LeafCreds{deskO: HashSecret(secret)}, Stream: StreamName(hubO, 1)})
		if err != nil {
			t.Fatal(err)
		}
		cur.Store(n)
		l := hubLink(n, hlog)
		stop := startLink(l)
		return l, func() { stop(); n.Close() }
	}
	// The hub's HTTP server stays; the nats node behind it is replaced.
	hl, stopHub := startHub()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur.Load().WSHandler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	desk, err := StartDesktop(DesktopConfig{Dir: t.TempDir(), Origin: deskO, Remote: RemoteURL(u, deskO, secret), Mirrors: []string{StreamName(hubO, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(desk.Close)
	dl := deskLink(desk, dlog)
	t.Cleanup(startLink(dl))
	writeBoth(dlog, hlog, "a")
	waitFor(t, 15*time.Second, "the first changes across", func() bool {
		return len(hlog.received()) == 5 && len(dlog.received()) == 5
	})

	stopHub()
	for i := range 5 {
		dlog.write("down" + strconv.Itoa(i)) // written while the hub is down
	}
	kicks := dl.Kicks()
	hl, stopHub = startHub()
	t.Cleanup(stopHub)
	start := time.Now()
	writeBoth(dlog, hlog, "b")
	// nats waits 30 s for an unanswered mirror request.
	waitFor(t, 8*time.Second, "both sides' changes across after the hub's restart", func() bool {
		return len(hlog.received()) == 15 && len(dlog.received()) == 10
	})
	t.Logf("in step %s after the hub's restart; mirrors made again for a new connection: hub %d, desktop %d",
		time.Since(start).Round(time.Millisecond), hl.Resets(), dl.Resets())
	// Neither mirror waited to be found stalled (stallAfter) to be made again.
	if hl.Kicks() != 0 || dl.Kicks() != kicks {
		t.Errorf("mirrors made again as stalled: hub %d, desktop %d, want none", hl.Kicks(), dl.Kicks()-kicks)
	}
}

// The other way round: the desktop (the origin) restarts; the consumer
// feeding the hub's mirror went with it, and nats' mirror notices only by
// the silence of its heartbeats, checked every 10 s (10-20 s); and the
// desktop's own mirror asked for its consumer before its leaf was up.
// The new leaf connection makes both mirrors again.
func TestMirrorResumesPromptlyAfterTheDesktopRestarts(t *testing.T) {
	secret := randomSecret()
	hub, err := StartHub(HubConfig{Dir: t.TempDir(), Creds: LeafCreds{deskO: HashSecret(secret)}, Stream: StreamName(hubO, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	dlog, hlog := newMemLog(), newMemLog()
	hl := hubLink(hub, hlog)
	t.Cleanup(startLink(hl))
	srv := hubHTTP(t, hub, nil)
	u, _ := url.Parse(srv.URL)
	deskDir := t.TempDir()
	startDesk := func() (*Link, func()) {
		n, err := StartDesktop(DesktopConfig{Dir: deskDir, Origin: deskO, Remote: RemoteURL(u, deskO, secret), Mirrors: []string{StreamName(hubO, 1)}})
		if err != nil {
			t.Fatal(err)
		}
		l := deskLink(n, dlog)
		stop := startLink(l)
		return l, func() { stop(); n.Close() }
	}
	_, stopDesk := startDesk()
	writeBoth(dlog, hlog, "a")
	waitFor(t, 15*time.Second, "the first changes across", func() bool {
		return len(hlog.received()) == 5 && len(dlog.received()) == 5
	})
	stopDesk()
	kicks := hl.Kicks()
	dl, stopDesk := startDesk()
	t.Cleanup(stopDesk)
	start := time.Now()
	writeBoth(dlog, hlog, "b")
	// nats' own check finds the dead consumer 10-20 s after the restart.
	waitFor(t, 8*time.Second, "both sides' changes across after the desktop's restart", func() bool {
		return len(hlog.received()) == 10 && len(dlog.received()) == 10
	})
	t.Logf("in step %s after the desktop's restart; mirrors made again for a new connection: hub %d, desktop %d",
		time.Since(start).Round(time.Millisecond), hl.Resets(), dl.Resets())
	if hl.Kicks() != kicks || dl.Kicks() != 0 {
		t.Errorf("mirrors made again as stalled: hub %d, desktop %d, want none", hl.Kicks()-kicks, dl.Kicks())
	}

	// Once more with nothing written after: the hub's mirror is made again,
	// and its old consumer's deletion must not stay on the status line of a
	// connected link (the window showed "receiving: nats: consumer deleted").
	resets := hl.Resets()
	stopDesk()
	dl, stopDesk = startDesk()
	t.Cleanup(stopDesk)
	ctx := context.Background()
	waitFor(t, 8*time.Second, "the hub's mirror made again for the new connection", func() bool { return hl.Resets() > resets })
	waitFor(t, 5*time.Second, "no error on either connected side", func() bool {
		hs, ds := hl.Status(ctx), dl.Status(ctx)
		return hs.Error == "" && ds.Error == "" && hs.State == StateConnected && ds.State == StateConnected
	})
}

// When the applier's side cannot start — here the mirror of the peer's
// stream cannot be made, for a peer whose stream name nats refuses — the
// status says receiving stopped, and why (it said "sending: …": the
// applier's retries were worded as the relay's).
func TestLinkStatusSaysWhichSideStopped(t *testing.T) {
	hub, err := StartHub(HubConfig{Dir: t.TempDir(), Stream: StreamName(hubO, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	l := &Link{Node: hub, Origin: hubO, Epoch: 1, Sink: newMemLog(), Peer: Peer{"d.1", 1, DesktopDomain("d1")}}
	t.Cleanup(startLink(l))
	ctx := context.Background()
	waitFor(t, 5*time.Second, "an error on the status", func() bool { return l.Status(ctx).Error != "" })
	if got, want := l.Status(ctx).Error, "receiving: "+jetstream.ErrInvalidStreamName.Error(); !strings.HasPrefix(got, want) {
		t.Errorf("status error %q, want %q…", got, want)
	}
}
