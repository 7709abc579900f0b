package hub

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
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

	mu     sync.Mutex
	kicks  int // stalled mirrors made again (watchMirror)
	resets int // mirrors made again for a new leaf connection (watchMirror)
	// restartApplier stops the applier's run, which starts again at once
	// (on a mirror made again).
	restartApplier context.CancelFunc
	published      uint64
	applied        uint64
	lastSync       time.Time
	offlineSince   time.Time
	rejected       []RejectedNote
	runErr         linkErr // why receiving or sending last stopped
	// remade counts the mirrors this link deleted and made again
	// (remakeMirror), so the applier can tell their consumer's deletion,
	// which is no fault, from one it did not cause.
	remade int
	// consumed is the highest stream sequence the applier consumed;
	// forged counts the messages up to it whose stream sequence is not
	// their event number (not written by the peer's relay).
	consumed, forged uint64
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
	wg.Add(4)
	go func() { defer wg.Done(); l.watchLink(ctx) }()
	go func() { defer wg.Done(); l.watchMirror(ctx) }()
	go func() {
		defer wg.Done()
		if l.Source == nil {
			return
		}
		l.retry(ctx, func() error {
			r := &Relay{JS: l.Node.JS, Origin: l.Origin, Epoch: l.Epoch, Source: l.Source,
				Published: func(seq uint64) { l.mu.Lock(); l.published = seq; l.mu.Unlock() }}
			return r.Run(ctx)
		}, sending)
	}()
	go func() {
		defer wg.Done()
		var run int // remade when the applier's current run began
		l.retry(ctx, func() error {
			if _, err := EnsureMirror(ctx, l.Node.JS, l.Peer.Origin, l.Peer.Epoch, l.Peer.Domain); err != nil {
				return err
			}
			a := &Applier{JS: l.Node.JS, Origin: l.Peer.Origin, Epoch: l.Peer.Epoch, Sink: l.Sink,
				OnApplied: func(seq uint64) {
					l.mu.Lock()
					l.applied, l.lastSync, l.runErr = seq, time.Now(), linkErr{}
					l.mu.Unlock()
				},
				OnError: func(err error) {
					l.mu.Lock()
					defer l.mu.Unlock()
					if errors.Is(err, jetstream.ErrConsumerDeleted) && l.remade != run {
						// Its consumer went with a mirror this link made
						// again: no fault, and the window showed "receiving:
						// nats: consumer deleted" beside "connected" until the
						// next change came.
						return
					}
					l.runErr = linkErr{receiving, err}
				},
				OnConsumed: func(streamSeq, eventSeq uint64) {
					l.mu.Lock()
					if streamSeq > l.consumed {
						l.consumed = streamSeq
						if streamSeq != eventSeq {
							l.forged++
						}
					}
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
			// A mirror made again (watchMirror) took the applier's
			// consumer with it: the applier starts again on the new one.
			for ctx.Err() == nil {
				actx, cancel := context.WithCancel(ctx)
				l.mu.Lock()
				l.restartApplier = cancel
				run = l.remade
				l.mu.Unlock()
				err := a.Run(actx)
				cancel()
				if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
					return err
				}
			}
			return ctx.Err()
		}, receiving)
	}()
	wg.Wait()
}

// The sides of a link, as the status names them.
const (
	receiving = "receiving"
	sending   = "sending"
)

// linkErr is why one side of a link stopped.
type linkErr struct {
	side string // receiving or sending
	err  error  // nil: none
}

// String is how the status says it: a stream written by something else in
// words (TamperedError), any other error after its side.
func (e linkErr) String() string {
	var t *TamperedError
	switch {
	case e.err == nil:
		return ""
	case errors.As(e.err, &t):
		return t.Error()
	}
	return e.side + ": " + e.err.Error()
}

// retry runs f again after a pause until ctx ends, keeping the last error
// for the status under side.
func (l *Link) retry(ctx context.Context, f func() error, side string) {
	for ctx.Err() == nil {
		err := f()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			l.mu.Lock()
			l.runErr = linkErr{side, err}
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

// A mirror that has not grown for stallAfter while the leaf is up and the
// peer's stream is ahead of it has stalled: it is made again, at most once
// per kickEvery. The leaf connections are looked at every leafPoll.
const (
	stallAfter = 2 * time.Second
	kickEvery  = 5 * time.Second
	leafPoll   = 100 * time.Millisecond
)

// watchMirror makes the mirror of the peer's stream again — deletes it and
// creates it through the JetStream API, from the first event past the
// store's high-water mark — when the peer's leaf connects anew and when the
// mirror stalls. The store's mark is the truth, so a new mirror loses
// nothing: it fills from the peer's stream under the same numbers, and the
// applier goes on from the mark.
//
// A new connection: a mirror asks the other side's JetStream for its
// consumer with one request, waits 30 s for the answer, then backs off
// (10 s, 20 s… up to 2 minutes). nats sends that request for every mirror
// it recovers at start, before the leaf is up, and the hub made the mirror
// at pairing before the desktop had dialled: the request is lost, and the
// other side's changes stalled ~40 s after each hub kill -9
// (bench/synckill). And when the other side restarted, the consumer
// feeding the mirror here (nats keeps it in memory) went with it, which
// nats' mirror notices only by its heartbeats' silence, checked every
// 10 s: 10–20 s later. Either way the mirror is made again once the
// other side's JetStream answers across the new connection, so its first
// request reaches it (a mirror that missed nothing just gets a new
// consumer; a short cut costs fetching again what was not applied yet).
//
// A stall: nats-server sets a mirror's consumer up again by itself after a
// cut, but when the cut lost that set-up's request (a cut during a set-up
// after an earlier cut) it waits 30 s for the answer, then backs off, even
// with the leaf back: bench/syncfault saw both sides stuck 30 s and more
// after a few short cuts (TestMirrorRecoversFromCutsDuringItsSetUp).
func (l *Link) watchMirror(ctx context.Context) {
	t := time.NewTicker(leafPoll)
	defer t.Stop()
	var leafs map[uint64]bool // nil at first: every connection up is new to this link
	fresh := false            // a new connection the mirror was not made again for yet
	var lastKick, grew, looked time.Time
	var seen uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := l.Node.leafConns(l.Peer.Domain)
		for id := range now {
			fresh = fresh || !leafs[id]
		}
		leafs = now
		if fresh && len(now) > 0 {
			if l.peerAnswers(ctx) {
				fresh = false
				l.remakeMirror(ctx, &l.resets)
				seen, grew = 0, time.Now()
			}
			continue
		}
		if time.Since(looked) < time.Second {
			continue
		}
		looked = time.Now()
		mine, theirs, ok := l.mirrorSeqs(ctx)
		switch {
		case !ok || mine != seen || theirs <= mine:
			seen, grew = mine, time.Now()
			continue
		case time.Since(grew) < stallAfter || time.Since(lastKick) < kickEvery:
			continue
		}
		lastKick = time.Now()
		l.remakeMirror(ctx, &l.kicks)
	}
}

// peerAnswers reports whether the peer's JetStream answers across the leaf
// (its stream there need not exist yet).
func (l *Link) peerAnswers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	rjs, err := l.Node.Remote(l.Peer.Domain)
	if err != nil {
		return false
	}
	_, err = rjs.Stream(ctx, StreamName(l.Peer.Origin, l.Peer.Epoch))
	return err == nil || errors.Is(err, jetstream.ErrStreamNotFound)
}

// remakeMirror deletes the mirror and creates it again from the first
// event not applied here (the history before it need not travel again),
// counting it in *count.
func (l *Link) remakeMirror(ctx context.Context, count *int) {
	l.mu.Lock()
	l.remade++ // before the deletion reaches the applier
	l.mu.Unlock()
	err := DeleteStream(ctx, l.Node.JS, l.Peer.Origin, l.Peer.Epoch)
	if err == nil {
		var hw uint64
		if hw, err = l.Sink.Applied(ctx, l.Peer.Origin, l.Peer.Epoch); err == nil {
			_, err = createMirror(ctx, l.Node.JS, l.Peer.Origin, l.Peer.Epoch, l.Peer.Domain, hw+1)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	*count++
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // made meanwhile by EnsureMirror: as good
		l.runErr = linkErr{receiving, err}
	}
	// Its consumer went with the old mirror, and a pull consumer's
	// deletion may reach it only by missed heartbeats (seconds).
	if l.restartApplier != nil {
		l.restartApplier()
	}
}

// mirrorSeqs: the last sequence of the mirror here and of the peer's
// stream; ok only while the leaf is up and both answered.
func (l *Link) mirrorSeqs(ctx context.Context) (mine, theirs uint64, ok bool) {
	if !l.Node.LeafConnected() {
		return 0, 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	name := StreamName(l.Peer.Origin, l.Peer.Epoch)
	rjs, err := l.Node.Remote(l.Peer.Domain)
	if err != nil {
		return 0, 0, false
	}
	mine, err1 := streamLast(ctx, l.Node.JS, name)
	theirs, err2 := streamLast(ctx, rjs, name)
	return mine, theirs, err1 == nil && err2 == nil
}

// Kicks is how many times a stalled mirror was made again.
func (l *Link) Kicks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.kicks
}

// Resets is how many times the mirror was made again for a new leaf
// connection.
func (l *Link) Resets() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.resets
}
