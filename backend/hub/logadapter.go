package hub

import (
	"context"
	"errors"

	"grantbook/backend/changelog"
)

// LogSource publishes a change log's own events.
type LogSource struct{ Log *changelog.Log }

func (s LogSource) Since(ctx context.Context, seq uint64, limit int) ([]Outgoing, error) {
	evs, err := s.Log.Since(ctx, seq, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Outgoing, 0, len(evs))
	for _, e := range evs {
		b, err := changelog.Marshal(e)
		if err != nil {
			return nil, err
		}
		out = append(out, Outgoing{Seq: e.Seq, Data: b})
	}
	return out, nil
}

func (s LogSource) Notify() <-chan struct{} { return s.Log.Notify() }

// LogSink applies the peer's events to a change log.
type LogSink struct{ Log *changelog.Log }

func (s LogSink) Apply(ctx context.Context, data []byte) error {
	e, err := changelog.Unmarshal(data)
	if err != nil {
		// Garbage on the wire can never become valid: acknowledge and show it.
		return &Rejected{Reason: "unreadable event: " + err.Error()}
	}
	_, err = s.Log.Apply(ctx, e)
	var rej *changelog.Rejected
	switch {
	case errors.Is(err, changelog.ErrGap):
		return ErrGap
	case errors.As(err, &rej):
		return &Rejected{Reason: rej.Reason}
	}
	return err
}

// Rejections are the log's recorded refusals of origin's events, newest
// first (kept across restarts, unlike what a Link saw).
func Rejections(ctx context.Context, l *changelog.Log, origin string) []RejectedNote {
	rs, err := l.Rejected(ctx, 200)
	out := []RejectedNote{}
	if err != nil {
		return out
	}
	for _, r := range rs {
		if r.Event.Origin == origin && len(out) < 20 {
			out = append(out, RejectedNote{Seq: r.Event.Seq, Reason: r.Reason, At: r.At})
		}
	}
	return out
}

func (s LogSink) Applied(ctx context.Context, origin string, epoch int64) (uint64, error) {
	return s.Log.Applied(ctx, origin, epoch)
}
