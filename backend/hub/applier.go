package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrGap is what a Sink returns for an event whose predecessor it has not
// applied: the applier starts again from the sink's high-water mark.
var ErrGap = errors.New("hub: event out of order")

// Rejected is what a Sink returns for an event it refused and recorded; the
// applier acknowledges it and moves on.
type Rejected struct{ Reason string }

func (r *Rejected) Error() string { return "rejected: " + r.Reason }

// Sink is the receiving side of the change log.
type Sink interface {
	// ApplyAll applies a run of events in order, in one transaction where
	// it can. It returns how many it consumed (applied, replayed, or
	// refused and recorded: refused[i] says why, nil otherwise) and, when
	// it stopped early, why data[n] was not consumed (ErrGap or another
	// error); data[n:] are left for a retry.
	ApplyAll(ctx context.Context, data [][]byte) (n int, refused []*Rejected, err error)
	Applied(ctx context.Context, origin string, epoch int64) (uint64, error)
}

// Applier reads the mirror of the other side's stream with a durable
// consumer and applies what it has ready (up to maxBatch events) with one
// ApplyAll, acknowledging the events only after that has committed (one
// ack for the run, the consumer's policy is ack-all). The
// store's high-water mark, not the consumer, is the truth: the consumer is
// (re)positioned from it at start and after a gap, and applying is
// idempotent, so a redelivery applies nothing twice.
type Applier struct {
	JS     jetstream.JetStream
	Origin string // the other side
	Epoch  int64
	Sink   Sink
	// Applied, when set, is told each applied (or already applied) sequence.
	OnApplied func(seq uint64)
	// OnRejected, when set, is told each refused event.
	OnRejected func(seq uint64, reason string)
	// OnError, when set, is told why a session stopped (nil: it runs again).
	OnError func(err error)
	// OnConsumed, when set, is told the stream sequence and the event
	// number of each message consumed (applied, replayed or refused). The
	// origin's relay makes them equal: a message where they differ was
	// written onto the origin's stream by something else.
	OnConsumed func(streamSeq, eventSeq uint64)
}

const consumerName = "apply"

// A batch is what the consumer has ready, up to maxBatch events, gathered
// for at most gatherWait after the first so a lone change is not held up.
// (Gathering a catch-up's run for up to 25 ms, into larger transactions,
// was measured no better for the client area's p99 and the rate: wave 8,
// docs/benchmarks.md.)
const (
	maxBatch   = 256
	gatherWait = time.Millisecond
)

// Run applies until ctx ends; a failed session is retried after a pause.
// A gap restarts at once, unless the high-water mark has not moved since
// the last one (an event refused without moving on, say a forged one):
// then it waits longer each time, up to a minute.
func (a *Applier) Run(ctx context.Context) error {
	lastGap := ^uint64(0)
	backoff := time.Duration(0)
	for {
		err := a.session(ctx)
		if errors.Is(err, ErrGap) {
			hw, _ := a.Sink.Applied(ctx, a.Origin, a.Epoch)
			if hw == lastGap {
				backoff = min(max(2*backoff, 250*time.Millisecond), time.Minute)
			} else {
				backoff = 0
			}
			lastGap = hw
			if backoff > 0 && a.OnError != nil {
				a.OnError(fmt.Errorf("stuck after change %d: the next one was refused", hw))
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if a.OnError != nil && !errors.Is(err, ErrGap) {
			a.OnError(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (a *Applier) session(ctx context.Context) error {
	name := StreamName(a.Origin, a.Epoch)
	st, err := a.JS.Stream(ctx, name)
	if err != nil {
		return err
	}
	hw, err := a.Sink.Applied(ctx, a.Origin, a.Epoch)
	if err != nil {
		return err
	}
	if err := st.DeleteConsumer(ctx, consumerName); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return err
	}
	cons, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName,
		AckPolicy:     jetstream.AckAllPolicy, // one ack per batch: its last consumed event
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   hw + 1,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
	})
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	batch := make([]jetstream.Msg, 0, maxBatch)
	data := make([][]byte, 0, maxBatch)
	for {
		msg, err := it.Next()
		if err != nil {
			return err
		}
		batch, data = append(batch[:0], msg), append(data[:0], msg.Data())
		for len(batch) < maxBatch {
			// An error here (most often the wait ran out) ends the batch; a
			// lasting one comes back from the Next above.
			m, err := it.Next(jetstream.NextMaxWait(gatherWait))
			if err != nil {
				break
			}
			batch, data = append(batch, m), append(data, m.Data())
		}
		n, refused, err := a.Sink.ApplyAll(ctx, data)
		for i, m := range batch[:n] {
			seq, _ := strconv.ParseUint(m.Headers().Get(seqHeader), 10, 64)
			if md, err := m.Metadata(); err == nil && a.OnConsumed != nil {
				a.OnConsumed(md.Sequence.Stream, seq)
			}
			if refused[i] != nil {
				if a.OnRejected != nil {
					a.OnRejected(seq, refused[i].Reason)
				}
			} else if a.OnApplied != nil {
				a.OnApplied(seq)
			}
		}
		if n > 0 {
			// A lost ack only means a redelivery, which ApplyAll ignores.
			_ = batch[n-1].Ack()
		}
		if err == nil {
			continue
		}
		for _, m := range batch[n:] {
			_ = m.Nak()
		}
		if errors.Is(err, ErrGap) || n >= len(batch) {
			return err
		}
		seq, _ := strconv.ParseUint(batch[n].Headers().Get(seqHeader), 10, 64)
		return fmt.Errorf("hub applier: apply %d: %w", seq, err)
	}
}
