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
	Apply(ctx context.Context, data []byte) error
	Applied(ctx context.Context, origin string, epoch int64) (uint64, error)
}

// Applier reads the mirror of the other side's stream with a durable
// consumer and applies each event, acknowledging it only after Apply has
// committed. The store's high-water mark, not the consumer, is the truth:
// the consumer is (re)positioned from it at start and after a gap, and
// Apply is idempotent, so a redelivery applies nothing twice.
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
}

const consumerName = "apply"

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
		AckPolicy:     jetstream.AckExplicitPolicy,
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
	for {
		msg, err := it.Next()
		if err != nil {
			return err
		}
		seq, _ := strconv.ParseUint(msg.Headers().Get(seqHeader), 10, 64)
		err = a.Sink.Apply(ctx, msg.Data())
		var rej *Rejected
		switch {
		case err == nil:
			if a.OnApplied != nil {
				a.OnApplied(seq)
			}
		case errors.As(err, &rej):
			if a.OnRejected != nil {
				a.OnRejected(seq, rej.Reason)
			}
		case errors.Is(err, ErrGap):
			_ = msg.Nak()
			return err
		default:
			_ = msg.Nak()
			return fmt.Errorf("hub applier: apply %d: %w", seq, err)
		}
		if err := msg.Ack(); err != nil && ctx.Err() == nil {
			// A lost ack only means a redelivery, which Apply ignores.
			continue
		}
	}
}
