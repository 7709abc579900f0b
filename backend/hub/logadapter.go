package hub

import (
	"context"
	"errors"
	"time"

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

func (s LogSink) ApplyAll(ctx context.Context, data [][]byte) (int, []*Rejected, error) {
	refused := make([]*Rejected, 0, len(data))
	for len(data) > 0 {
		// The readable run up to the first unreadable event goes in one
		// transaction; garbage on the wire can never become valid: it is
		// refused (acknowledged and shown) without a transaction.
		var evs []changelog.Event
		for _, b := range data {
			e, err := changelog.Unmarshal(b)
			if err != nil {
				break
			}
			evs = append(evs, e)
		}
		if len(evs) > 0 {
			_, why, err := s.Log.ApplyAll(ctx, evs)
			for _, r := range why {
				if r != nil {
					refused = append(refused, &Rejected{Reason: r.Reason})
				} else {
					refused = append(refused, nil)
				}
			}
			if errors.Is(err, changelog.ErrGap) {
				err = ErrGap
			}
			if err != nil {
				return len(refused), refused, err
			}
		}
		data = data[len(evs):]
		if len(data) > 0 {
			_, err := changelog.Unmarshal(data[0])
			refused = append(refused, &Rejected{Reason: "unreadable event: " + err.Error()})
			data = data[1:]
		}
	}
	return len(refused), refused, nil
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

// ConflictNote is a field this computer and the hub changed at once, each
// without having seen the other's value: the later clock's value was kept.
type ConflictNote struct {
	What  string    `json:"what"` // the record in words: "account Acme Ltd"
	Field string    `json:"field"`
	Here  string    `json:"here"` // this side's value
	Other string    `json:"other"`
	Kept  string    `json:"kept"` // "here" or "other"
	At    time.Time `json:"at"`
}

// Conflicts are the newest 20 conflicts, for the status; origin is the
// peer's, to say whose value was kept.
func Conflicts(ctx context.Context, l *changelog.Log, origin string) []ConflictNote {
	out := []ConflictNote{}
	cs, err := l.Conflicts(ctx, 20)
	if err != nil {
		return out
	}
	for _, c := range cs {
		n := ConflictNote{What: c.What, Field: c.Field, Here: c.Local, Other: c.Remote, Kept: "here", At: c.At}
		if c.Winner == origin {
			n.Kept = "other"
		}
		out = append(out, n)
	}
	return out
}
