package hub

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// LeafCreds maps a leaf user (the desktop's origin) to the hex SHA-256 of
// the secret handed out at pairing; the hub keeps only the hash.
type LeafCreds map[string]string

// HashSecret is what the hub stores for a leaf secret.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// leafAuth checks every connection: in-process clients by a secret made at
// start-up, leaf connections by their pairing credential. Anything else
// (a plain WebSocket client, say) is refused.
type leafAuth struct {
	internal  string
	hubStream string // the hub's own stream, for the leafs' permissions
	mu        sync.Mutex
	creds     LeafCreds
	conns     map[string]map[uint64]bool // user -> leaf connection ids
	refused   int                        // leaf connections refused
}

func newLeafAuth(creds LeafCreds) (*leafAuth, error) {
	a := &leafAuth{internal: randomSecret(), creds: LeafCreds{}, conns: map[string]map[uint64]bool{}}
	for u, h := range creds {
		a.creds[u] = h
	}
	return a, nil
}

func (a *leafAuth) Check(c server.ClientAuthentication) bool {
	o := c.GetOpts()
	switch c.Kind() {
	case server.CLIENT:
		// Only the in-process client: it is the only one that knows the secret.
		return o.Username == internalUser && subtle.ConstantTimeCompare([]byte(o.Password), []byte(a.internal)) == 1
	case server.LEAF:
		a.mu.Lock()
		defer a.mu.Unlock()
		want, ok := a.creds[o.Username]
		if !ok || o.Username == internalUser ||
			subtle.ConstantTimeCompare([]byte(HashSecret(o.Password)), []byte(want)) != 1 {
			a.refused++
			return false
		}
		if a.conns[o.Username] == nil {
			a.conns[o.Username] = map[uint64]bool{}
		}
		a.conns[o.Username][c.GetID()] = true
		c.RegisterUser(&server.User{Username: o.Username, Permissions: leafPermissions(o.Username, a.hubStream)})
		return true
	}
	return false
}

// leafPermissions is what a paired desktop's leaf connection may do in
// the hub's account, and no more: whoever holds the credential controls
// every client on the far side, and must not be able to write onto the
// hub's own stream (its relay's expected sequence would fail for ever) or
// use the hub's JetStream API beyond what its mirror and status line ask.
// hubStream is the hub's own stream, which the desktop mirrors.
//
// On a leaf connection the hub accepted, nats checks what the leaf sends
// into the hub against the publish permission, the interest it registers
// (what the hub forwards to it) against the subscribe permission, and what
// the hub delivers to it against the publish permission too; replies to
// the hub's requests (JetStream API answers, flow control) go under the
// response permission.
func leafPermissions(origin, hubStream string) *server.Permissions {
	domain := DesktopDomain(origin)
	toLeaf := []string{
		"$JS.M.>",                  // mirror deliveries: the hub's stream to its mirror, its stream to the hub's
		"$JS." + domain + ".API.>", // the hub's mirror and status asking its JetStream
		"_INBOX.>", "$JSC.R.>",     // answers to its requests
		"$JS.FC.>", // flow control of the consumer feeding the hub's mirror
	}
	pub := append([]string{
		"gb.digest.*", // the grants digest the window compares
		// Its mirror of the hub's stream makes its consumer there.
		"$JS." + HubDomain + ".API.CONSUMER.CREATE." + hubStream,
		// The status line: how far the hub's mirror of its stream is.
		"$JS." + HubDomain + ".API.STREAM.INFO.*",
	}, toLeaf...) // deliveries to it, which nats checks against this list as well
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: toLeaf},
		Response:  &server.ResponsePermission{MaxMsgs: 1, Expires: time.Minute},
	}
}

// set lets user connect with the secret whose hash is given.
func (a *leafAuth) set(user, hash string) {
	a.mu.Lock()
	a.creds[user] = hash
	a.mu.Unlock()
}

// remove forgets user and returns the ids of its leaf connections, to kick.
func (a *leafAuth) remove(user string) []uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.creds, user)
	var ids []uint64
	for id := range a.conns[user] {
		ids = append(ids, id)
	}
	delete(a.conns, user)
	return ids
}

// AllowLeaf lets a paired desktop connect as a leaf.
func (n *Node) AllowLeaf(user, secretHash string) { n.auth.set(user, secretHash) }

// RevokeLeaf refuses the desktop from now on and drops its connection.
func (n *Node) RevokeLeaf(user string) {
	for _, id := range n.auth.remove(user) {
		_ = n.Server.DisconnectClientByID(id)
	}
}

// RefusedLeafs counts leaf connections refused for a wrong or revoked credential.
func (n *Node) RefusedLeafs() int {
	n.auth.mu.Lock()
	defer n.auth.mu.Unlock()
	return n.auth.refused
}
