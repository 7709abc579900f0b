package hub

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// WSPath is where the hub's HTTP(S) server takes the desktop's leaf
// connection; the desktop dials wss://<hub>/sync/ws (nats appends /leafnode).
const WSPath = "/sync/ws/"

// WSHandler passes the leaf WebSocket through to the hub's loopback-only
// listener; ReverseProxy carries the upgrade. The credential is checked by
// the nats server itself (leafAuth), so this handler needs no auth of its own.
func (n *Node) WSHandler() http.Handler {
	target := &url.URL{Scheme: "http", Host: n.WebsocketAddr()}
	p := httputil.NewSingleHostReverseProxy(target)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The leaf connection lives for days: lift the HTTP server's read and
		// write timeouts, which would otherwise stay on the hijacked conn.
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		p.ServeHTTP(w, r)
	})
}

// RemoteURL is the leaf remote a desktop dials for a hub at base
// (https://host[:port]), with its credential.
func RemoteURL(base *url.URL, user, secret string) *url.URL {
	u := *base
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	}
	u.Path = "/sync/ws"
	u.User = url.UserPassword(user, secret)
	return &u
}
