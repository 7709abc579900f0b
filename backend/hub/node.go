// Package hub carries change-log events between the owner's desktop and an
// always-on hub over embedded NATS JetStream: each side runs its own server
// and JetStream domain, the desktop as a leaf node that dials the hub over a
// WebSocket behind the hub's own HTTPS port, and each side mirrors the
// other's stream.
package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// HubDomain is the JetStream domain of the hub; a desktop's domain is
// DesktopDomain(origin).
const HubDomain = "hub"

// DesktopDomain names the JetStream domain of the desktop with this origin.
func DesktopDomain(origin string) string { return "desk_" + origin }

// APIPrefix is how one side reaches the other's JetStream across the leaf.
func APIPrefix(domain string) string { return "$JS." + domain + ".API" }

const internalUser = "gb-internal"

// Node is one embedded nats-server with JetStream and the in-process client
// that the relay and the applier use.
type Node struct {
	Server *server.Server
	NC     *nats.Conn
	JS     jetstream.JetStream
	Domain string
	auth   *leafAuth // hub only
}

// HubConfig starts the hub side.
type HubConfig struct {
	Dir    string    // <data-dir>/nats
	Creds  LeafCreds // who may connect as a leaf
	Stream string    // the hub's own stream (StreamName), which leafs may mirror
}

// DesktopConfig starts the desktop side.
type DesktopConfig struct {
	Dir    string   // <data-dir>/nats
	Origin string   // this desktop's device id
	Remote *url.URL // ws(s)://user:pass@hub/sync/ws; nil: not paired, no leaf
	// Mirrors are this side's mirrors of the hub's streams: the hub may not
	// make consumers on them (desktopDenyImports).
	Mirrors []string
}

func baseOptions(dir, domain string) *server.Options {
	return &server.Options{
		ServerName:         domain,
		DontListen:         true, // no client port: only in-process connections
		JetStream:          true,
		JetStreamDomain:    domain,
		StoreDir:           dir,
		SyncAlways:         true, // an acknowledged publish is on disk
		NoLog:              true,
		NoSigs:             true,
		MaxPayload:         8 << 20,
		JetStreamMaxMemory: 64 << 20,
	}
}

// StartHub starts the hub's server: JetStream in domain "hub", a leaf-node
// listener and a WebSocket listener on loopback only (the hub's HTTP handler
// proxies /sync/ws to the latter), leaf connections checked against creds.
func StartHub(cfg HubConfig) (*Node, error) {
	opts := baseOptions(cfg.Dir, HubDomain)
	auth, err := newLeafAuth(cfg.Creds)
	if err != nil {
		return nil, err
	}
	auth.hubStream = cfg.Stream
	opts.CustomClientAuthentication = auth
	// The websocket listener only accepts leaf connections when a leaf port is
	// configured; it stays on loopback and goes through the same check.
	opts.LeafNode.Host = "127.0.0.1"
	opts.LeafNode.Port = -1
	opts.Websocket.Host = "127.0.0.1"
	opts.Websocket.Port = -1
	opts.Websocket.NoTLS = true // TLS ends at the hub's HTTPS server in front
	n, err := start(opts, auth)
	if err != nil {
		return nil, err
	}
	n.auth = auth
	return n, nil
}

// StartDesktop starts the desktop's server: JetStream in its own domain and,
// once paired, a leaf remote that dials the hub. It listens on nothing.
func StartDesktop(cfg DesktopConfig) (*Node, error) {
	opts := baseOptions(cfg.Dir, DesktopDomain(cfg.Origin))
	auth, err := newLeafAuth(nil)
	if err != nil {
		return nil, err
	}
	opts.CustomClientAuthentication = auth
	if cfg.Remote != nil {
		opts.LeafNode.ReconnectInterval = time.Second
		opts.LeafNode.Remotes = []*server.RemoteLeafOpts{{URLs: []*url.URL{cfg.Remote},
			DenyImports: desktopDenyImports(cfg.Origin, cfg.Mirrors)}}
	}
	return start(opts, auth)
}

// desktopDenyImports is what the hub may not ask of the desktop's
// JetStream across the leaf: a compromised hub controls every client on its
// side, and the hub's leaf permissions are the hub's to set. The hub's
// mirror of the desktop's stream and its status line need stream info and
// that mirror's consumer create (the plain form, CONSUMER.CREATE.<stream>);
// its deliveries and flow control are not API subjects. Everything else
// under the desktop's API prefix is refused here: on a solicited leaf nats
// drops messages from the hub whose subject the remote's deny imports name
// (v2.15.2 leafMsgAllowed → leafReceiveAllowed), and tells the hub not to
// send them (CONNECT's deny_pub). nats' remote options take deny lists only,
// so the verbs are named one by one.
func desktopDenyImports(origin string, mirrors []string) []string {
	p := APIPrefix(DesktopDomain(origin)) + "."
	deny := []string{p + "INFO", p + "STREAM.NAMES", p + "STREAM.LIST", p + "CONSUMER.CREATE.*.>"}
	for _, verb := range []string{"STREAM.CREATE", "STREAM.UPDATE", "STREAM.DELETE", "STREAM.PURGE", "STREAM.MSG",
		"STREAM.SNAPSHOT", "STREAM.RESTORE", "STREAM.PEER", "STREAM.LEADER", "STREAM.CANCEL_MOVE", "STREAM.TEMPLATE",
		"DIRECT", "CONSUMER.DURABLE", "CONSUMER.INFO", "CONSUMER.DELETE", "CONSUMER.NAMES", "CONSUMER.LIST",
		"CONSUMER.MSG", "CONSUMER.PAUSE", "CONSUMER.RESET", "CONSUMER.UNPIN", "CONSUMER.LEADER", "CONSUMER.PEER",
		"ACCOUNT", "META", "SERVER"} {
		deny = append(deny, p+verb+".>")
	}
	for _, m := range mirrors {
		deny = append(deny, p+"CONSUMER.CREATE."+m)
	}
	return deny
}

func start(opts *server.Options, auth *leafAuth) (*Node, error) {
	if err := os.MkdirAll(opts.StoreDir, 0o700); err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("nats server: not ready in 10s")
	}
	nc, err := nats.Connect("", nats.InProcessServer(s), nats.UserInfo(internalUser, auth.internal),
		nats.MaxReconnects(-1), nats.Name("grantbook"))
	if err != nil {
		s.Shutdown()
		return nil, fmt.Errorf("nats connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		s.Shutdown()
		return nil, err
	}
	return &Node{Server: s, NC: nc, JS: js, Domain: opts.JetStreamDomain}, nil
}

// WebsocketAddr is the loopback host:port of the hub's WebSocket listener.
func (n *Node) WebsocketAddr() string {
	u, err := url.Parse(n.Server.WebsocketURL())
	if err != nil {
		return ""
	}
	return u.Host
}

// Remote is the JetStream of the other side, reached across the leaf.
func (n *Node) Remote(domain string) (jetstream.JetStream, error) {
	return jetstream.NewWithDomain(n.NC, domain)
}

// LeafConnected reports whether a leaf connection is up.
func (n *Node) LeafConnected() bool { return n.Server.NumLeafNodes() > 0 }

// leafConns are the ids of the leaf connections up to the server named
// peer (a server is named for its JetStream domain); a new id is a new
// connection, however short the gap before it.
func (n *Node) leafConns(peer string) map[uint64]bool {
	ids := map[uint64]bool{}
	if lz, err := n.Server.Leafz(nil); err == nil {
		for _, lf := range lz.Leafs {
			if lf.Name == peer {
				ids[lf.ID] = true
			}
		}
	}
	return ids
}

// Close stops the client and the server and waits for the server to finish
// writing its stores.
func (n *Node) Close() {
	n.NC.Close()
	n.Server.Shutdown()
	n.Server.WaitForShutdown()
}

// Ping checks that JetStream answers.
func (n *Node) Ping(ctx context.Context) error {
	_, err := n.JS.AccountInfo(ctx)
	return err
}

func randomSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// DataDir is where a node keeps its JetStream store under a data dir.
func DataDir(dataDir string) string { return filepath.Join(dataDir, "nats") }
