package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// OpenDueReview opens an access review when one is due: every
// ReviewEveryDays after the last one opened, the first that long after the
// oldest contact was added. One is open at a time.
func (a *App) OpenDueReview(ctx context.Context) error {
	st, err := a.Lifecycle(ctx)
	if err != nil || st.ReviewEveryDays == 0 {
		return err
	}
	if id, err := a.store.OpenReviewID(ctx); err != nil || id != 0 {
		return err
	}
	due, err := a.nextReview(ctx, st)
	if err != nil || due == nil || a.now().Before(*due) {
		return err
	}
	_, err = a.OpenReview(WithActor(ctx, "system"))
	if e, ok := AsError(err); ok && e.Code == CodeConflict {
		return nil
	}
	return err
}

// nextReview is when the next review is due (nil: no contact to review).
func (a *App) nextReview(ctx context.Context, st LifecycleSettings) (*time.Time, error) {
	if st.ReviewEveryDays == 0 {
		return nil, nil
	}
	from, err := a.store.LastReviewOpened(ctx)
	if err != nil {
		return nil, err
	}
	if from == nil {
		if from, err = a.store.OldestActiveContact(ctx, a.now()); err != nil || from == nil {
			return nil, err
		}
	}
	t := from.Add(time.Duration(st.ReviewEveryDays) * day)
	return &t, nil
}

// OpenReview opens a review now: every active contact with their grant,
// last sign-in and last action, flagged when unused for the period or
// holding Full, admin or payment access.
func (a *App) OpenReview(ctx context.Context) (*model.AccessReview, error) {
	st, err := a.Lifecycle(ctx)
	if err != nil {
		return nil, err
	}
	period := st.ReviewEveryDays
	if period == 0 {
		period = DefaultLifecycle().ReviewEveryDays
	}
	now := a.now().UTC().Truncate(time.Second)
	cs, _, err := a.store.Contacts(ctx, store.ContactFilter{Status: model.StatusActive, Now: now, Limit: 1 << 30})
	if err != nil {
		return nil, err
	}
	act, err := a.store.LastActivity(ctx)
	if err != nil {
		return nil, err
	}
	r := &model.AccessReview{OpenedAt: now, PeriodDays: period}
	since := now.Add(-time.Duration(period) * day)
	loc := a.zone(ctx)
	for _, c := range cs {
		it := model.ReviewItem{ContactID: c.ID, AccountID: c.AccountID, Name: c.Name(), Email: c.Email, Access: accessWords(c, loc), Flags: []string{}}
		if t, ok := act.Signins[c.ID]; ok {
			it.LastSignin = &t
		}
		if t, ok := act.Actions["contact "+store.EmailKey(c.Email)]; ok {
			it.LastAction = &t
		}
		if c.CreatedAt.Before(since) && !after(it.LastSignin, since) && !after(it.LastAction, since) {
			it.Flags = append(it.Flags, model.FlagUnused)
		}
		if highPrivilege(c) != "" {
			it.Flags = append(it.Flags, model.FlagHighPrivilege)
		}
		r.Items = append(r.Items, it)
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertReview(ctx, r); errors.Is(err, store.ErrDuplicate) {
			return conflict("a review is open already: finish it first")
		} else if err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID = "access_review.open", "access_review", r.ID
		e.Summary = fmt.Sprintf("Opened an access review of %d contact(s)", len(r.Items))
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.emit(Event{Kind: "attention:changed"})
	return a.Review(ctx, r.ID)
}

func after(t *time.Time, since time.Time) bool { return t != nil && !t.Before(since) }

// accessWords says what a grant gives, for a review snapshot; a grant's end
// reads as its last day in the owner's zone, as the owner entered it.
func accessWords(c *model.Contact, loc *time.Location) string {
	w := []string{presetLabel(c.Grant.Preset)}
	if c.Grant.Preset == "custom" {
		w[0] += " (" + strings.Join(c.Grant.Permissions, ", ") + ")"
	}
	if !c.Grant.AllServices {
		w = append(w, fmt.Sprintf("%d selected service(s)", len(c.Grant.ServiceIDs)))
	}
	if c.Grant.BillingScope == model.BillingAccount {
		w = append(w, "billing of the whole account")
	}
	switch {
	case c.Admin != nil && c.Admin.All:
		w = append(w, "admin: everything")
	case c.Admin != nil:
		w = append(w, "admin: "+strings.Join(c.Admin.Areas, ", "))
	}
	if c.Grant.ExpiresAt != nil {
		w = append(w, endWords(*c.Grant.ExpiresAt, loc))
	}
	return strings.Join(w, "; ")
}

// Review loads a review with its items.
func (a *App) Review(ctx context.Context, id int64) (*model.AccessReview, error) {
	r, err := a.store.Review(ctx, id)
	return r, notFoundOr(err, "access review", id)
}

// Reviews is the review page: the open review, the history, when the last
// one was finished and when the next is due.
type Reviews struct {
	Open           *model.AccessReview   `json:"open"`
	LastFinishedAt *time.Time            `json:"last_finished_at"`
	NextDueAt      *time.Time            `json:"next_due_at"`
	History        []*model.AccessReview `json:"history"`
}

// AccessReviews lists reviews for the owner.
func (a *App) AccessReviews(ctx context.Context) (*Reviews, error) {
	out := &Reviews{}
	var err error
	if out.History, err = a.store.Reviews(ctx, 50); err != nil {
		return nil, err
	}
	if out.LastFinishedAt, err = a.store.LastReviewFinished(ctx); err != nil {
		return nil, err
	}
	id, err := a.store.OpenReviewID(ctx)
	if err != nil {
		return nil, err
	}
	if id != 0 {
		if out.Open, err = a.Review(ctx, id); err != nil {
			return nil, err
		}
	}
	st, err := a.Lifecycle(ctx)
	if err != nil {
		return nil, err
	}
	out.NextDueAt, err = a.nextReview(ctx, st)
	return out, err
}

// ReviewDecision marks one item: keep, reduce (after the owner changed the
// grant in the editor) or revoke (the contact is suspended).
type ReviewDecision struct {
	Decision string `json:"decision"`
}

// DecideReviewItem records a decision on an item of the open review.
func (a *App) DecideReviewItem(ctx context.Context, reviewID int64, position int, in ReviewDecision) (*model.AccessReview, error) {
	if in.Decision != model.ReviewKeep && in.Decision != model.ReviewReduce && in.Decision != model.ReviewRevoke {
		return nil, invalid("decision", "decision must be keep, reduce or revoke")
	}
	r, err := a.Review(ctx, reviewID)
	if err != nil {
		return nil, err
	}
	if r.FinishedAt != nil {
		return nil, conflict("this review is finished")
	}
	if position < 1 || position > len(r.Items) {
		return nil, notFound("review item", int64(position))
	}
	it := r.Items[position-1]
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := a.applyDecision(ctx, tx, it, in.Decision); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID = "access_review.mark", "access_review", reviewID
		e.Summary = fmt.Sprintf("Review: %s for %s", in.Decision, it.Name)
		return tx.DecideReviewItem(ctx, reviewID, position, in.Decision, a.now().UTC().Truncate(time.Second))
	})
	if err != nil {
		return nil, err
	}
	return a.Review(ctx, reviewID)
}

// applyDecision checks a reduction and carries out a revocation.
func (a *App) applyDecision(ctx context.Context, tx *store.Tx, it model.ReviewItem, decision string) error {
	if it.ContactID == 0 || decision == model.ReviewKeep {
		return nil
	}
	c, err := tx.Contact(ctx, it.ContactID)
	if err != nil {
		return notFoundOr(err, "contact", it.ContactID)
	}
	if decision == model.ReviewReduce {
		if accessWords(c, zoneOf(ctx, tx.Q)) == it.Access {
			return conflict("%s's access is as it was when the review opened: change it in the editor first", c.Name())
		}
		return nil
	}
	if c.Status == model.StatusSuspended {
		return nil
	}
	suspended := model.StatusSuspended
	before, after, err := a.patchContact(ctx, tx, c.ID, ContactPatch{Status: &suspended}, nil)
	if err != nil {
		return err
	}
	return tx.InsertAudit(ctx, &model.AuditEntry{At: a.now().UTC(), Actor: actor(ctx), Action: "contact.update", Entity: "contact",
		EntityID: c.ID, Before: before, After: after, Summary: "Revoked " + c.Name() + "'s access in a review (suspended)"})
}

// FinishReview closes the open review once every item is decided: one
// audit entry carries its decisions.
func (a *App) FinishReview(ctx context.Context, id int64) (*model.AccessReview, error) {
	r, err := a.Review(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Undecided > 0 {
		return nil, conflict("%d contact(s) still need a decision", r.Undecided)
	}
	counts := map[string]int{}
	for _, it := range r.Items {
		counts[orDefault(it.Decision, "removed")]++
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := once(tx.FinishReview(ctx, id, actor(ctx), a.now().UTC().Truncate(time.Second))); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.After = "access_review.finish", "access_review", id, r.Items
		e.Summary = fmt.Sprintf("Finished the access review: %d kept, %d reduced, %d revoked", counts[model.ReviewKeep],
			counts[model.ReviewReduce], counts[model.ReviewRevoke])
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.emit(Event{Kind: "attention:changed"})
	return a.Review(ctx, id)
}
