package hub

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"grantbook/backend/hub/hubtest"
)

// hubHTTP is the hub's HTTP server as far as sync goes: /sync/ws/ passed to
// the nats WebSocket listener; next handles the rest.
func hubHTTP(t *testing.T, n *Node, next http.Handler) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle(WSPath, n.WSHandler())
	if next != nil {
		mux.Handle("/", next)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// pairNodes starts a hub and a desktop whose leaf dials the hub through a
// cuttable proxy in front of the hub's HTTP server.
func pairNodes(t *testing.T, deskOrigin string) (hub, desk *Node, proxy *hubtest.CutProxy) {
	t.Helper()
	hub, err := StartHub(HubConfig{Dir: t.TempDir(), Stream: StreamName("h1", 1)}) // runLinks' hub
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	secret := randomSecret()
	hub.AllowLeaf(deskOrigin, HashSecret(secret))
	srv := hubHTTP(t, hub, nil)
	u, _ := url.Parse(srv.URL)
	proxy = hubtest.NewCutProxy(t, u.Host)
	base := &url.URL{Scheme: "http", Host: proxy.Addr()}
	desk, err = StartDesktop(DesktopConfig{Dir: t.TempDir(), Origin: deskOrigin, Remote: RemoteURL(base, deskOrigin, secret),
		Mirrors: []string{StreamName("h1", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(desk.Close)
	waitFor(t, 10*time.Second, "leaf connected", func() bool { return hub.LeafConnected() && desk.LeafConnected() })
	return hub, desk, proxy
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	hubtest.WaitFor(t, d, what, cond)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

// runLinks runs both sides' links over memLogs (desktop d1 epoch 1, hub h1
// epoch 1) and waits until a first event went each way.
func runLinks(t *testing.T, hub, desk *Node) (dlog, hlog *memLog, dl, hl *Link) {
	t.Helper()
	ctx := testCtx(t)
	const deskO, hubO = "d1", "h1"
	dlog, hlog = newMemLog(), newMemLog()
	dl = &Link{Node: desk, Origin: deskO, Epoch: 1, Source: dlog, Sink: dlog, Peer: Peer{hubO, 1, HubDomain}}
	hl = &Link{Node: hub, Origin: hubO, Epoch: 1, Source: hlog, Sink: hlog, Peer: Peer{deskO, 1, DesktopDomain(deskO)}}
	go dl.Run(ctx)
	go hl.Run(ctx)
	dlog.write("grant")
	hlog.write("support")
	waitFor(t, 15*time.Second, "first events across", func() bool {
		return len(hlog.received()) == 1 && len(dlog.received()) == 1
	})
	return dlog, hlog, dl, hl
}
