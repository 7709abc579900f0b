package hub

import (
	"context"
	"fmt"
	"time"
)

// States of a Status.
const (
	StateUnpaired   = "unpaired"
	StateConnected  = "connected"
	StateCatchingUp = "catching_up"
	StateOffline    = "offline"
)

// States lists them (the frontend's types name them).
var States = []string{StateUnpaired, StateConnected, StateCatchingUp, StateOffline}

// Status is what the window's sync line shows.
type Status struct {
	State        string         `json:"state"`   // one of States
	Pending      uint64         `json:"pending"` // changes not yet on both sides (as far as this side can tell)
	OfflineSince *time.Time     `json:"offline_since,omitempty"`
	LastSync     *time.Time     `json:"last_sync,omitempty"` // last moment both sides were seen in step
	Rejected     []RejectedNote `json:"rejected"`
	// Forged: messages in the other side's stream that its relay did not
	// write (their place is not their number), consumed and never applied:
	// the other side's machine wrote its stream by other means.
	Forged uint64 `json:"forged,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Status looks at both streams: what the mirror here has not applied yet,
// and (when the link is up) what the peer's mirror of the own stream lacks.
func (l *Link) Status(ctx context.Context) Status {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	up := l.Node.LeafConnected()
	l.mu.Lock()
	consumed, forged := l.consumed, l.forged
	l.mu.Unlock()
	var pending uint64
	if st, err := l.Node.JS.Stream(ctx, StreamName(l.Peer.Origin, l.Peer.Epoch)); err == nil {
		if info, err := st.Info(ctx); err == nil {
			// The store's high-water mark, not this process's count: it
			// survives restarts and counts refused events as done.
			applied, err := l.Sink.Applied(ctx, l.Peer.Origin, l.Peer.Epoch)
			if err != nil {
				applied = 0
			}
			// Messages the applier consumed are done with, applied or
			// not: forged ones shift the stream's numbers past the mark.
			applied = max(applied, consumed)
			if info.State.LastSeq > applied {
				pending += info.State.LastSeq - applied
			}
			if info.Mirror != nil {
				pending += info.Mirror.Lag
			}
		}
	}
	outKnown := false
	if up {
		own := StreamName(l.Origin, l.Epoch)
		if rjs, err := l.Node.Remote(l.Peer.Domain); err == nil {
			mine, err1 := streamLast(ctx, l.Node.JS, own)
			theirs, err2 := streamLast(ctx, rjs, own)
			if outKnown = err1 == nil && err2 == nil; outKnown && mine > theirs {
				pending += mine - theirs
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{Pending: pending, Rejected: append([]RejectedNote{}, l.rejected...), Error: l.runErr.String(), Forged: forged}
	if forged > 0 {
		s.Error = forgedError(l.Peer.Domain, forged)
	}
	switch {
	case !up:
		s.State = StateOffline
		if l.offlineSince.IsZero() {
			l.offlineSince = time.Now() // seen down before the watcher's next look
		}
		t := l.offlineSince
		s.OfflineSince = &t
	case pending > 0 || !outKnown:
		s.State = StateCatchingUp
	default:
		s.State = StateConnected
		l.lastSync = time.Now()
	}
	if !l.lastSync.IsZero() {
		t := l.lastSync
		s.LastSync = &t
	}
	return s
}

// forgedError says what forged messages in the peer's stream mean.
func forgedError(peerDomain string, n uint64) string {
	whose, Whose := "the hub's", "The hub's"
	if peerDomain != HubDomain {
		whose, Whose = "that computer's", "That computer's"
	}
	changes := "changes"
	if n == 1 {
		changes = "change"
	}
	return fmt.Sprintf("%d %s in %s sync stream were not written by Grantbook: they were refused and will not be applied. "+
		"%s machine may be compromised or its sync store damaged: its further changes cannot reach this side until it is repaired and paired again.",
		n, changes, whose, Whose)
}
