package core

import (
	"context"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// attentionItems bounds the items of each list; counts are complete.
const attentionItems = 20

// Attention is "Needs your attention": what waits for the owner.
type Attention struct {
	Total       int               `json:"total"`
	Awaiting    InvitationSection `json:"awaiting"`    // replies awaiting confirmation
	Requests    RequestSection    `json:"requests"`    // pending access requests
	Ending      ContactSection    `json:"ending"`      // grants ending within 7 days
	Invitations InvitationSection `json:"invitations"` // pending invitations about to expire
	Review      *ReviewDue        `json:"review"`      // an open review (nil: none)
	// LastReviewAt is when the last review was finished (nil: never).
	LastReviewAt *time.Time `json:"last_review_at"`
}

// The lists of Attention: how many, and the first attentionItems.
type (
	InvitationSection struct {
		Count int                 `json:"count"`
		Items []*model.Invitation `json:"items"`
	}
	RequestSection struct {
		Count int                    `json:"count"`
		Items []*model.AccessRequest `json:"items"`
	}
	ContactSection struct {
		Count int              `json:"count"`
		Items []*model.Contact `json:"items"`
	}
)

func first[T any](all []T) []T {
	if all == nil {
		return []T{}
	}
	return all[:min(len(all), attentionItems)]
}

// ReviewDue is the open access review.
type ReviewDue struct {
	ID        int64     `json:"id"`
	OpenedAt  time.Time `json:"opened_at"`
	Undecided int       `json:"undecided"`
}

// EndingWithin is how soon a grant's end shows in Attention.
const EndingWithin = 7 * day

// Attention gathers what waits for the owner.
func (a *App) Attention(ctx context.Context) (*Attention, error) {
	now := a.now().UTC()
	out := &Attention{}
	aw, n, err := a.store.Invitations(ctx, store.InvitationFilter{State: model.InvAwaiting, Limit: attentionItems})
	if err != nil {
		return nil, err
	}
	out.Awaiting = InvitationSection{n, first(a.decorateInvitations(ctx, aw))}
	rq, n, err := a.store.AccessRequests(ctx, store.RequestFilter{State: model.RequestPending, Limit: attentionItems})
	if err != nil {
		return nil, err
	}
	out.Requests = RequestSection{n, first(rq)}
	ending, err := a.store.ExpiringContacts(ctx, now, now.Add(EndingWithin))
	if err != nil {
		return nil, err
	}
	for _, c := range ending {
		a.decorate(c)
	}
	out.Ending = ContactSection{len(ending), first(ending)}
	st, err := a.Lifecycle(ctx)
	if err != nil {
		return nil, err
	}
	soon, err := a.store.PendingExpiring(ctx, now.Add(time.Duration(st.InvitationReminderDays)*day))
	if err != nil {
		return nil, err
	}
	out.Invitations = InvitationSection{len(soon), first(a.decorateInvitations(ctx, soon))}
	if id, err := a.store.OpenReviewID(ctx); err != nil {
		return nil, err
	} else if id != 0 {
		r, err := a.Review(ctx, id)
		if err != nil {
			return nil, err
		}
		out.Review = &ReviewDue{ID: r.ID, OpenedAt: r.OpenedAt, Undecided: r.Undecided}
	}
	if out.LastReviewAt, err = a.store.LastReviewFinished(ctx); err != nil {
		return nil, err
	}
	out.Total = out.Awaiting.Count + out.Requests.Count + out.Ending.Count + out.Invitations.Count
	if out.Review != nil {
		out.Total++
	}
	return out, nil
}

// decorateInvitations fills the days left of pending invitations: calendar
// days in the owner's time zone, so a fresh 14-day invitation reads 14 and
// one ending later today reads 0 ("expires today").
func (a *App) decorateInvitations(ctx context.Context, invs []*model.Invitation) []*model.Invitation {
	loc := a.zone(ctx)
	today := civilDay(a.now(), loc)
	for _, inv := range invs {
		if inv.Pending() && inv.State != model.InvAwaiting {
			n := max(0, int(civilDay(inv.ExpiresAt, loc).Sub(today)/day))
			inv.ExpiresInDays = &n
		}
	}
	return invs
}

// civilDay is t's date in loc, as midnight UTC: days between two of them are
// whole, whatever daylight saving does in loc.
func civilDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
