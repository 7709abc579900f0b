package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Outgoing is one own event in wire form.
type Outgoing struct {
	Seq  uint64
	Data []byte
}

// Source is the own side of the change log: events after a sequence number,
// and a wake-up after each commit that wrote some.
type Source interface {
	Since(ctx context.Context, seq uint64, limit int) ([]Outgoing, error)
	Notify() <-chan struct{}
}

const seqHeader = "Gb-Seq"

// Relay publishes own events to the own stream, in order. The stream itself
// says what was published last (each publish expects the previous sequence,
// so stream sequence == event sequence), so a crash between commit and
// publish loses nothing and publishes nothing twice.
type Relay struct {
	JS     jetstream.JetStream
	Origin string
	Epoch  int64
	Source Source
	Batch  int
	// Published, when set, is told the last published sequence.
	Published func(seq uint64)
}

// Run publishes until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	st, err := EnsureOwnStream(ctx, r.JS, r.Origin, r.Epoch)
	if err != nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	last := info.State.LastSeq
	if err := r.checkLast(ctx, st, last); err != nil {
		return err
	}
	batch := r.Batch
	if batch <= 0 {
		batch = 256
	}
	// A backstop in case a wake-up is missed; the wake-up is what normally runs it.
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		evs, err := r.Source.Since(ctx, last, batch)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if e.Seq != last+1 {
				return fmt.Errorf("hub relay: own log jumps from %d to %d", last, e.Seq)
			}
			if err := r.publish(ctx, e, last); err != nil {
				return err
			}
			last = e.Seq
			if r.Published != nil {
				r.Published(last)
			}
		}
		if len(evs) == batch {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.Source.Notify():
		case <-tick.C:
		}
	}
}

func (r *Relay) publish(ctx context.Context, e Outgoing, last uint64) error {
	m := nats.NewMsg(subject(r.Origin, r.Epoch))
	m.Data = e.Data
	m.Header.Set(seqHeader, strconv.FormatUint(e.Seq, 10))
	_, err := r.JS.PublishMsg(ctx, m,
		jetstream.WithMsgID(MsgID(r.Origin, r.Epoch, e.Seq)),
		jetstream.WithExpectLastSequence(last))
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
		// Only this relay writes the stream: something else has.
		return &TamperedError{At: e.Seq}
	}
	if err != nil {
		return fmt.Errorf("hub relay: publish %d: %w", e.Seq, err)
	}
	return nil
}

// TamperedError: the own stream holds messages this relay did not write.
// Only the relay publishes there, under its own numbers, so whatever did
// has this process's credentials: the machine is compromised, or the sync
// store was damaged or copied in from elsewhere.
type TamperedError struct{ At uint64 }

func (e *TamperedError) Error() string {
	return fmt.Sprintf("this machine's sync stream holds messages Grantbook did not write there (at number %d): "+
		"something here wrote to it with Grantbook's own credentials, so the machine may be compromised, "+
		"or its sync store is damaged. Its changes no longer go out.", e.At)
}

// checkLast makes sure the stream's last message is the own log's event
// under that number (the stream may be new or shorter, never other).
func (r *Relay) checkLast(ctx context.Context, st jetstream.Stream, last uint64) error {
	if last == 0 {
		return nil
	}
	m, err := st.GetMsg(ctx, last)
	if err != nil {
		return err
	}
	evs, err := r.Source.Since(ctx, last-1, 1)
	if err != nil {
		return err
	}
	if len(evs) == 0 || evs[0].Seq != last || m.Header.Get(seqHeader) != strconv.FormatUint(last, 10) || !bytes.Equal(evs[0].Data, m.Data) {
		return &TamperedError{At: last}
	}
	return nil
}

// runRetrying runs the relay again after a pause whenever it stops with an
// error, until ctx ends; failed, when set, is told each error.
func (r *Relay) runRetrying(ctx context.Context, failed func(error)) {
	for ctx.Err() == nil {
		if err := r.Run(ctx); err != nil && ctx.Err() == nil && failed != nil {
			failed(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

// sendingError is how the status names why the relay stopped.
func sendingError(err error) string { return linkErr{sending, err}.String() }
