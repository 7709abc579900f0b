package hub

import "github.com/nats-io/nats.go"

// InternalConn is a second in-process client of n's server with n's own
// internal credentials: what someone who owns the machine (and so the
// process) can do, for the tests of a compromised hub.
func InternalConn(n *Node) (*nats.Conn, error) {
	return nats.Connect("", nats.InProcessServer(n.Server), nats.UserInfo(internalUser, n.auth.internal),
		nats.Name("compromised"))
}

// SeqHeader is the header the applier reads an event's number from.
const SeqHeader = seqHeader

// Subject is where origin's events of epoch are published.
func Subject(origin string, epoch int64) string { return subject(origin, epoch) }
