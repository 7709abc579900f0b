package hub

import (
	"context"
	"sync"
	"time"
)

// Peer is the other side of a pairing.
type Peer struct {
	Origin string
	Epoch  int64
	Domain string // its JetStream domain
}

// Link runs the relay (own events out) and the applier (the peer's events
// in) for one pairing, and keeps what the status line shows.
type Link struct {
	Node   *Node
	Origin string // own
	Epoch  int64
	Source Source // nil: another Link (or the hub's own relay) publishes
	Sink   Sink
	Peer   Peer

	mu           sync.Mutex
	published    uint64
	applied      uint64
	lastSync     time.Time
	offlineSince time.Time
	rejected     []RejectedNote
	runErr       string
}

// RejectedNote is a refused event as the transport saw it (the log keeps
// the full record).
type RejectedNote struct {
	Seq    uint64    `json:"seq"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Run sets up the mirror of the peer's stream and runs relay and applier
// until ctx ends.
func (l *Link) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); l.watchLink(ctx) }()
	go func() {
		defer wg.Done()
		if l.Source == nil {
			return
		}
		l.retry(ctx, func() error {
			r := &Relay{JS: l.Node.JS, Origin: l.Origin, Epoch: l.Epoch, Source: l.Source,
				Published: func(seq uint64) { l.mu.Lock(); l.published = seq; l.mu.Unlock() }}
			return r.Run(ctx)
		})
	}()
	go func() {
		defer wg.Done()
		l.retry(ctx, func() error {
			if _, err := EnsureMirror(ctx, l.Node.JS, l.Peer.Origin, l.Peer.Epoch, l.Peer.Domain); err != nil {
				return err
			}
			a := &Applier{JS: l.Node.JS, Origin: l.Peer.Origin, Epoch: l.Peer.Epoch, Sink: l.Sink,
				OnApplied: func(seq uint64) {
					l.mu.Lock()
					l.applied, l.lastSync, l.runErr = seq, time.Now(), ""
					l.mu.Unlock()
				},
				OnError: func(err error) {
					l.mu.Lock()
					l.runErr = "receiving: " + err.Error()
					l.mu.Unlock()
				},
				OnRejected: func(seq uint64, reason string) {
					l.mu.Lock()
					l.applied = seq // refused and recorded: done with it
					l.rejected = append(l.rejected, RejectedNote{seq, reason, time.Now()})
					if len(l.rejected) > 50 {
						l.rejected = l.rejected[len(l.rejected)-50:]
					}
					l.mu.Unlock()
				}}
			return a.Run(ctx)
		})
	}()
	wg.Wait()
}

// retry runs f again after a pause until ctx ends, keeping the last error
// for the status.
func (l *Link) retry(ctx context.Context, f func() error) {
	for ctx.Err() == nil {
		err := f()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			l.mu.Lock()
			l.runErr = "sending: " + err.Error()
			l.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

// watchLink notes when the leaf connection went down.
func (l *Link) watchLink(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		up := l.Node.LeafConnected()
		l.mu.Lock()
		switch {
		case up:
			l.offlineSince = time.Time{}
		case l.offlineSince.IsZero():
			l.offlineSince = time.Now()
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
