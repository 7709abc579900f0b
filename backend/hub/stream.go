package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A stream holds one origin's events of one epoch, written only by that
// origin. A new epoch (re-pairing, a lost store) is a new stream, never a
// recreated one, so sequence numbers are never reused.
func StreamName(origin string, epoch int64) string { return fmt.Sprintf("GB_%s_%d", origin, epoch) }

func subject(origin string, epoch int64) string { return fmt.Sprintf("gb.%s.%d.ev", origin, epoch) }

// MsgID is the duplicate-window key of an event.
func MsgID(origin string, epoch int64, seq uint64) string {
	return origin + "/" + strconv.FormatInt(epoch, 10) + "/" + strconv.FormatUint(seq, 10)
}

// EnsureOwnStream creates this origin's stream for the epoch if missing.
func EnsureOwnStream(ctx context.Context, js jetstream.JetStream, origin string, epoch int64) (jetstream.Stream, error) {
	return js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName(origin, epoch),
		Description: "grantbook change log of " + origin,
		Subjects:    []string{fmt.Sprintf("gb.%s.%d.>", origin, epoch)},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Replicas:    1,
	})
}

// A mirror is fed by a durable consumer on the origin's stream (nats'
// durable sourcing) rather than one the mirror creates anew each time: the
// mirror only asks the origin to reset it (a 5 s wait for the answer, not
// 30 s), and after a request that found no route (the leaf still down, as
// after either side restarts) nats watches the feed's heartbeats and asks
// again as soon as they arrive, instead of backing off for up to two
// minutes (bench/synckill: 40 s stalls after a hub restart before this).

// feedName is the consumer on origin's stream that feeds the mirror in
// mirrorDomain.
func feedName(mirrorDomain string) string { return "MIRROR_" + mirrorDomain }

// feedSubject is where that consumer delivers: across the leaf to the mirror.
func feedSubject(origin string, epoch int64, mirrorDomain string) string {
	return fmt.Sprintf("gb.feed.%s.%s.%d", mirrorDomain, origin, epoch)
}

// EnsureFeed creates, on this origin's own stream, the durable consumer
// that feeds the other side's mirror (JetStream domain mirrorDomain).
func EnsureFeed(ctx context.Context, js jetstream.JetStream, origin string, epoch int64, mirrorDomain string) error {
	if _, err := EnsureOwnStream(ctx, js, origin, epoch); err != nil {
		return err
	}
	_, err := js.CreateOrUpdatePushConsumer(ctx, StreamName(origin, epoch), jetstream.ConsumerConfig{
		Durable:        feedName(mirrorDomain),
		Description:    "feeds the mirror in " + mirrorDomain,
		DeliverSubject: feedSubject(origin, epoch, mirrorDomain),
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckFlowControlPolicy, // acked as the mirror answers flow control
		FlowControl:    true,
		IdleHeartbeat:  time.Second, // what nats requires of a feed; the mirror's probe listens for it
		MaxAckPending:  10000,
	})
	return err
}

// EnsureMirror creates, on this side (JetStream domain localDomain), the
// mirror of the other side's stream, which lives in JetStream domain
// remoteDomain across the leaf connection and is fed by EnsureFeed there.
// It can be created while the link is down: it fills once the link is up.
func EnsureMirror(ctx context.Context, js jetstream.JetStream, origin string, epoch int64, localDomain, remoteDomain string) (jetstream.Stream, error) {
	name := StreamName(origin, epoch)
	cfg := jetstream.StreamConfig{
		Name:        name,
		Description: "grantbook mirror of " + origin,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    1,
		Mirror: &jetstream.StreamSource{
			Name:     name,
			External: &jetstream.ExternalStream{APIPrefix: APIPrefix(remoteDomain)},
			Consumer: &jetstream.StreamConsumerSource{Name: feedName(localDomain),
				DeliverSubject: feedSubject(origin, epoch, localDomain)},
		},
	}
	st, err := js.CreateOrUpdateStream(ctx, cfg)
	if err == nil {
		return st, nil
	}
	// A plain mirror made before the feeds cannot be changed into a fed
	// one: make it again, filled afresh from the origin (the applier goes
	// on from the store's high-water mark, so nothing is applied twice).
	old, ierr := js.Stream(ctx, name)
	if ierr != nil || old.CachedInfo().Config.Mirror == nil || old.CachedInfo().Config.Mirror.Consumer != nil {
		return nil, err
	}
	if err := js.DeleteStream(ctx, name); err != nil {
		return nil, err
	}
	return js.CreateStream(ctx, cfg)
}

// DeleteStream removes a stream (own or mirror) at unpairing; a missing one
// is not an error.
func DeleteStream(ctx context.Context, js jetstream.JetStream, origin string, epoch int64) error {
	err := js.DeleteStream(ctx, StreamName(origin, epoch))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	return err
}
