package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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
	node     *Node
	nc       *nats.Conn // NoEcho: what it sends on is not held again
	password string
	mu       sync.Mutex
	held     []heldRequest
	mirrors  map[string]mirrorAsk // by the create subject: each mirror's latest request
}

// mirrorAsk is a mirror's latest consumer request: where its consumer
// delivers, and when it asked.
type mirrorAsk struct {
	subject, deliver string
	at               time.Time
	held             bool // it went nowhere and is held (sent on once heard)
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
	l := &lostRequests{node: n, nc: nc, password: password, mirrors: map[string]mirrorAsk{}}
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
	var req struct {
		Config struct {
			DeliverSubject string `json:"deliver_subject"`
		} `json:"config"`
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	heard, at := l.heard(m.Subject), time.Now()
	if json.Unmarshal(m.Data, &req) == nil && req.Config.DeliverSubject != "" {
		l.mirrors[m.Subject] = mirrorAsk{m.Subject, req.Config.DeliverSubject, at, !heard}
	}
	if heard {
		return // it went across
	}
	l.held = append(l.held, heldRequest{&nats.Msg{Subject: m.Subject, Reply: m.Reply, Header: m.Header, Data: m.Data}, at})
}

func (l *lostRequests) run(ctx context.Context) {
	defer l.nc.Close()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	leafs := map[uint64]bool{}        // the leaf connections seen last time
	toNudge := map[string]time.Time{} // create subject -> when a leaf (re)connected
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A new leaf connection, however short the gap before it (a restart
		// on this machine takes milliseconds).
		fresh, now := false, map[uint64]bool{}
		if lz, err := l.node.Server.Leafz(nil); err == nil {
			for _, lf := range lz.Leafs {
				now[lf.ID] = true
				fresh = fresh || !leafs[lf.ID]
			}
		}
		leafs = now
		l.mu.Lock()
		if fresh {
			for subj := range l.mirrors {
				toNudge[subj] = time.Now()
			}
		}
		l.nudgeMirrors(toNudge)
		keep := l.held[:0]
		for _, h := range l.held {
			switch {
			case time.Since(h.at) > holdFor:
			case l.heard(h.msg.Subject):
				_ = l.nc.PublishMsg(h.msg)
				if m, ok := l.mirrors[h.msg.Subject]; ok && m.at.Equal(h.at) {
					m.held = false // sent on: its consumer is now across the leaf
					l.mirrors[h.msg.Subject] = m
				}
			default:
				keep = append(keep, h)
			}
		}
		l.held = keep
		l.mu.Unlock()
	}
}

// The other way round: when the origin restarted, the consumer feeding a
// mirror here is gone (nats keeps it in memory), and the mirror notices only
// by its heartbeats' silence, checked every 10 s: 10–20 s later. A new leaf
// connection may mean just that, so each mirror whose consumer was asked
// for before it (and not held here) gets what nats itself sends when a mirror has missed
// something: an idle heartbeat whose last delivered number is not the
// mirror's, on its deliver subject. The mirror then asks for a new consumer
// at once (nats' own resync; a mirror that missed nothing just gets a new
// consumer and goes on from its last message), once the other side's
// JetStream can hear that request, within holdFor. l.mu is held.
func (l *lostRequests) nudgeMirrors(toNudge map[string]time.Time) {
	var deliver []string
	for subj, since := range toNudge {
		m := l.mirrors[subj]
		switch {
		case time.Since(since) > holdFor:
		case !l.heard(subj):
			continue // the other side's interest is not back yet
		case !m.held && m.at.Before(since): // asked over the connection that went (a held one is sent on)
			deliver = append(deliver, m.deliver)
		}
		delete(toNudge, subj)
	}
	if len(deliver) > 0 {
		_ = l.sendHeartbeats(deliver)
	}
}

// sendHeartbeats publishes a status message, which the client library
// cannot, over a raw in-process connection.
func (l *lostRequests) sendHeartbeats(subjects []string) error {
	c, err := l.node.Server.InProcessConn()
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil { // INFO
		return err
	}
	connect, _ := json.Marshal(map[string]any{"user": internalUser, "pass": l.password, "headers": true,
		"echo": false, "verbose": false, "pedantic": false, "protocol": 1, "name": "grantbook-mirror-nudge"})
	var b strings.Builder
	fmt.Fprintf(&b, "CONNECT %s\r\n", connect)
	const hdr = "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 4611686018427387904\r\n\r\n"
	for _, s := range subjects {
		fmt.Fprintf(&b, "HPUB %s %d %d\r\n%s\r\n", s, len(hdr), len(hdr), hdr)
	}
	b.WriteString("PING\r\n")
	if _, err := c.Write([]byte(b.String())); err != nil {
		return err
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(line, "PONG"):
			return nil
		case strings.HasPrefix(line, "-ERR"):
			return fmt.Errorf("nats: %s", strings.TrimSpace(line))
		}
	}
}
