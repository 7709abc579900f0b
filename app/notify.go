package app

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"grantbook/backend/core"
)

// attentionCounts is what Needs your attention held when last looked at.
type attentionCounts struct {
	awaiting, requests, ending, invitations int
	review                                  bool
}

func countsOf(a *core.Attention) attentionCounts {
	return attentionCounts{a.Awaiting.Count, a.Requests.Count, a.Ending.Count, a.Invitations.Count, a.Review != nil}
}

// attentionNotice says what grew between two looks ("" when nothing did):
// a decision or an extension lowers a count and is no news.
func attentionNotice(prev, cur attentionCounts) string {
	var parts []string
	add := func(was, now int, one, many string) {
		if n := now - was; n == 1 {
			parts = append(parts, fmt.Sprintf(one, n))
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf(many, n))
		}
	}
	add(prev.requests, cur.requests, "%d new access request", "%d new access requests")
	add(prev.awaiting, cur.awaiting, "%d reply to confirm", "%d replies to confirm")
	add(prev.ending, cur.ending, "%d grant ending within 7 days", "%d grants ending within 7 days")
	add(prev.invitations, cur.invitations, "%d invitation about to expire", "%d invitations about to expire")
	if cur.review && !prev.review {
		parts = append(parts, "an access review is open")
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, ", ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// attentionWatch turns attention:changed (an event without a payload) into
// a desktop notification: it reads Attention and notifies what grew since
// the last look. The first look only sets the baseline.
type attentionWatch struct {
	attention func(context.Context) (*core.Attention, error)
	notify    func(body string)

	mu     sync.Mutex
	last   attentionCounts
	looked bool
}

// look compares and notifies; events arrive on their own goroutines, so
// looks are one at a time.
func (w *attentionWatch) look(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	a, err := w.attention(ctx)
	if err != nil {
		return err
	}
	cur := countsOf(a)
	if body := attentionNotice(w.last, cur); body != "" && w.looked {
		w.notify(body)
	}
	w.last, w.looked = cur, true
	return nil
}
