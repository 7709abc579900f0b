package core

import (
	"context"
	"fmt"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// What the owner decides about mail that could not change an invitation by
// itself: an unverified reply, a report that may be a bounce.

// ConfirmReply applies an awaiting reply as if it had been verified: an
// accept activates the contact (if still invited), a decline declines.
func (a *App) ConfirmReply(ctx context.Context, id int64) (*model.Invitation, error) {
	return a.review(ctx, id, func(tx *store.Tx, inv *model.Invitation, now time.Time, out *outcome) error {
		if inv.State != model.InvAwaiting {
			return invalid("state", "only a reply awaiting your confirmation can be confirmed (this invitation is %s)", inv.State)
		}
		// An accept activates the contact, which sends the welcome mail
		// (inbound.go activate): the one mail on acceptance.
		detail := fmt.Sprintf("confirmed by %s: %s", actor(ctx), inv.Detail)
		return a.answer(ctx, tx, inv, inv.Review, actor(ctx), detail, now, out)
	})
}

// RejectReply refuses an awaiting reply: the invitation waits again for a
// reply, which a verified one will still accept.
func (a *App) RejectReply(ctx context.Context, id int64) (*model.Invitation, error) {
	return a.review(ctx, id, func(tx *store.Tx, inv *model.Invitation, now time.Time, out *outcome) error {
		if inv.State != model.InvAwaiting {
			return invalid("state", "only a reply awaiting your confirmation can be rejected (this invitation is %s)", inv.State)
		}
		if inv.AwaitingReason == "high_privilege" {
			return a.refuseHighPrivilege(ctx, tx, inv, now, out)
		}
		n := *inv
		n.State, n.Review, n.Detail, n.AwaitingReason = model.InvSent, "", "you rejected an unverified reply", ""
		if n.SentAt == nil {
			n.State = model.InvQueued
		}
		summary := fmt.Sprintf("Rejected the unverified reply from %s <%s>", inv.Name, inv.Email)
		return a.writeInvitation(ctx, tx, inv, &n, actor(ctx), "invitation.reject_reply", summary, now, out)
	})
}

// ConfirmBounce marks an invitation with a possible bounce as bounced.
func (a *App) ConfirmBounce(ctx context.Context, id int64) (*model.Invitation, error) {
	return a.review(ctx, id, func(tx *store.Tx, inv *model.Invitation, now time.Time, out *outcome) error {
		if inv.Notice != model.NoticePossibleBounce || !inv.Pending() {
			return invalid("notice", "this invitation has no possible bounce to confirm")
		}
		return a.bounce(ctx, tx, inv, actor(ctx), inv.NoticeDetail+" (confirmed by "+actor(ctx)+")", now, out)
	})
}

// DismissNotice clears a possible bounce or a delay notice.
func (a *App) DismissNotice(ctx context.Context, id int64) (*model.Invitation, error) {
	return a.review(ctx, id, func(tx *store.Tx, inv *model.Invitation, now time.Time, out *outcome) error {
		if inv.Notice == "" {
			return invalid("notice", "this invitation has no notice to dismiss")
		}
		n := *inv
		n.Notice, n.NoticeDetail, n.NoticeAt = "", "", nil
		summary := fmt.Sprintf("Dismissed the delivery notice on the invitation to %s <%s>", inv.Name, inv.Email)
		return a.writeInvitation(ctx, tx, inv, &n, actor(ctx), "invitation.dismiss_notice", summary, now, out)
	})
}

// review runs one owner decision on an invitation in a transaction.
func (a *App) review(ctx context.Context, id int64, fn func(tx *store.Tx, inv *model.Invitation, now time.Time, out *outcome) error) (*model.Invitation, error) {
	var out outcome
	now := a.now().UTC().Truncate(time.Second)
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		inv, err := a.loadInvitation(ctx, tx, id)
		if err != nil {
			return err
		}
		return fn(tx, inv, now, &out)
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	a.emit(Event{Kind: "invitations:changed", Accepted: out.accepted})
	return a.Invitation(ctx, id)
}
