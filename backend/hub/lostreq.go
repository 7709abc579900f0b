package hub

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// A mirror asks the other side's JetStream for its consumer with one
// request and waits 30 s for the answer, then backs off (10 s, 20 s… up to
// 2 minutes). When either side starts, nats sends that request for every
// mirror it recovers at once, before the leaf is up: with no route it is
// dropped, and the mirror stalled ~40 s after each restart (bench/synckill,
// every hub kill -9), as it did after pairing when the hub made the mirror
// before the desktop's leaf had connected.
//
// holdLostRequests keeps such a request — a consumer create for another
// domain that nobody across a leaf could hear when it was sent — and sends
// it on, unchanged (same reply subject, so the mirror's own wait receives
// the answer), as soon as the other side's JetStream can hear it. Only
// requests that went nowhere are sent on, and each once, so no consumer is
// made twice.
type lostRequests struct {
	node *Node
	nc   *nats.Conn // NoEcho: what it sends on is not held again
	mu   sync.Mutex
	held []heldRequest
}

type heldRequest struct {
	msg *nats.Msg
	at  time.Time
}

// The mirror stops waiting after 30 s; a request sent on later would make a
// consumer nobody reads.
const holdFor = 25 * time.Second

func (n *Node) holdLostRequests(ctx context.Context, password string) error {
	nc, err := nats.Connect("", nats.InProcessServer(n.Server), nats.UserInfo(internalUser, password),
		nats.NoEcho(), nats.MaxReconnects(-1), nats.Name("grantbook-held-requests"))
	if err != nil {
		return err
	}
	l := &lostRequests{node: n, nc: nc}
	if _, err := nc.Subscribe("$JS.*.API.CONSUMER.CREATE.>", l.take); err != nil {
		nc.Close()
		return err
	}
	go l.run(ctx)
	return nil
}

// heard counts who, besides this holder, would receive subj.
func (l *lostRequests) heard(subj string) bool {
	return l.node.Server.GlobalAccount().Interest(subj) > 1
}

func (l *lostRequests) take(m *nats.Msg) {
	if f := strings.SplitN(m.Subject, ".", 3); len(f) < 3 || f[1] == l.node.Domain || m.Reply == "" {
		return // this side's own JetStream answers it
	}
	if l.heard(m.Subject) {
		return // it went across
	}
	l.mu.Lock()
	l.held = append(l.held, heldRequest{&nats.Msg{Subject: m.Subject, Reply: m.Reply, Header: m.Header, Data: m.Data}, time.Now()})
	l.mu.Unlock()
}

func (l *lostRequests) run(ctx context.Context) {
	defer l.nc.Close()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		keep := l.held[:0]
		for _, h := range l.held {
			switch {
			case time.Since(h.at) > holdFor:
			case l.heard(h.msg.Subject):
				_ = l.nc.PublishMsg(h.msg)
			default:
				keep = append(keep, h)
			}
		}
		l.held = keep
		l.mu.Unlock()
	}
}
