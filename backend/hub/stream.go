package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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

// EnsureMirror creates, on this side, the mirror of the other side's stream,
// which lives in JetStream domain remoteDomain across the leaf connection.
// It can be created while the link is down: it fills once the link is up.
// An existing mirror is left as it is.
func EnsureMirror(ctx context.Context, js jetstream.JetStream, origin string, epoch int64, remoteDomain string) (jetstream.Stream, error) {
	if st, err := js.Stream(ctx, StreamName(origin, epoch)); err == nil {
		return st, nil
	}
	return createMirror(ctx, js, origin, epoch, remoteDomain, 0)
}

// createMirror makes the mirror starting at the peer's event start (0: the
// first); it keeps the peer's sequence numbers. Unlike the own stream it
// does not sync each message to disk: a tail lost in a crash is fetched
// again from the peer's stream, as the store's mark, not the mirror, says
// what is applied (docs/sync.md, "The mirror's writes").
func createMirror(ctx context.Context, js jetstream.JetStream, origin string, epoch int64, remoteDomain string, start uint64) (jetstream.Stream, error) {
	name := StreamName(origin, epoch)
	return js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        name,
		Description: "grantbook mirror of " + origin,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    1,
		PersistMode: jetstream.AsyncPersistMode,
		Mirror: &jetstream.StreamSource{
			Name:        name,
			OptStartSeq: start,
			External:    &jetstream.ExternalStream{APIPrefix: APIPrefix(remoteDomain)},
		},
	})
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

// streamLast is the last sequence of the stream name in js (this side's, or
// the other side's across the leaf).
func streamLast(ctx context.Context, js jetstream.JetStream, name string) (uint64, error) {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return 0, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}
