package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

const day = 24 * time.Hour

// lifecycleJobs runs the timed work of issue 17 once: each job decides
// from the database what is due, so a restart or a week offline sends
// what is due once, and nothing twice.
func (a *App) lifecycleJobs(ctx context.Context) {
	for name, job := range map[string]func(context.Context) error{
		"grant reminders": a.RemindExpiringGrants, "invitation reminders": a.RemindInvitations,
		"expiring access requests": a.ExpireAccessRequests, "access reviews": a.OpenDueReview,
	} {
		if err := job(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn(name, "err", err)
		}
	}
}

// highPrivilege names what makes a grant need the owner's confirmation or
// a second factor: Full, admin or payment access ("" when none does).
func highPrivilege(c *model.Contact) string {
	var why []string
	if c.Grant.Preset == permission.PresetFull {
		why = append(why, "Full access")
	}
	if c.Admin != nil {
		why = append(why, "admin access")
	}
	if c.Grant.Preset != permission.PresetFull && slices.Contains(c.Grant.Permissions, permission.InvoicesPay.String()) {
		why = append(why, "payment rights")
	}
	return strings.Join(why, ", ")
}

// dueOffset is the latest reminder due for a grant ending at ends: the
// fewest days before the end whose time has come (ok false: none yet).
// Earlier offsets missed while offline are never sent after a later one.
func dueOffset(days []int, ends, now time.Time) (int, bool) {
	left := ends.Sub(now)
	best, ok := 0, false
	for _, d := range days {
		if time.Duration(d)*day >= left && (!ok || d < best) {
			best, ok = d, true
		}
	}
	return best, ok
}

// RemindExpiringGrants mails the reminders due before grants end: one per
// end and offset, only the latest due, never after the end.
func (a *App) RemindExpiringGrants(ctx context.Context) error {
	st, err := a.Lifecycle(ctx)
	if err != nil || !st.GrantReminders || len(st.ReminderDays) == 0 || (!st.RemindContact && !st.RemindOwner) {
		return err
	}
	now := a.now().UTC().Truncate(time.Second)
	cs, err := a.store.ExpiringContacts(ctx, now, now.Add(time.Duration(slices.Max(st.ReminderDays))*day))
	if err != nil {
		return err
	}
	sent := 0
	for _, c := range cs {
		ends := *c.Grant.ExpiresAt
		d, ok := dueOffset(st.ReminderDays, ends, now)
		if !ok {
			continue
		}
		if done, ok, err := a.store.SmallestReminder(ctx, c.ID, ends); err != nil {
			return err
		} else if ok && done <= d {
			continue
		}
		if err := a.remindGrant(ctx, c, ends, d, st, now); err != nil {
			return err
		}
		sent++
	}
	if sent > 0 {
		a.wake()
		a.emit(Event{Kind: "attention:changed"})
	}
	return nil
}

// remindGrant records and mails one reminder in one transaction.
func (a *App) remindGrant(ctx context.Context, c *model.Contact, ends time.Time, d int, st LifecycleSettings, now time.Time) error {
	ms, err := a.mailSettings(ctx, false)
	if err != nil {
		return err
	}
	acc, err := a.store.Account(ctx, c.AccountID)
	if err != nil {
		return err
	}
	link, err := a.clientAreaURL(ctx)
	if err != nil {
		return err
	}
	r := &store.GrantReminder{ContactID: c.ID, EndsAt: ends, Days: d, CreatedAt: now}
	to := contactTo(c)
	if st.RemindContact && ms.SMTP.Configured() {
		r.Token = newToken()
		r.MessageID = messageID(r.Token, ms.SMTP.FromEmail)
		to.messageID, to.replyTo = r.MessageID, replyAddress(ms, r.Token)
	}
	when, left := ends.Format("2 January 2006 15:04 UTC"), daysLeft(ends, now)
	err = a.change(WithActor(ctx, "system"), func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertGrantReminder(ctx, r); err != nil {
			return err
		}
		if st.RemindContact {
			body := fmt.Sprintf("your %s access to %s ends on %s (%s).\n\nIf you still need it, reply to this email with "+
				"\"please extend\", or sign in to the client area%s and ask there. %s decides; nothing changes until then.",
				presetLabel(c.Grant.Preset), acc.Name, when, left, linkText(link), orDefault(ms.SMTP.FromName, "The owner"))
			if err := a.toClient(ctx, tx, c.AccountID, 0, "grant_reminder", "Your access to "+acc.Name+" ends "+left, body, false, to); err != nil {
				return err
			}
		}
		if st.RemindOwner {
			body := fmt.Sprintf("%s's %s access to %s ends on %s (%s).\n\nTo extend it, open the contact in Grantbook and "+
				"choose Extend.", c.Name(), presetLabel(c.Grant.Preset), acc.Name, when, left)
			if err := a.toOwner(ctx, tx, c.AccountID, 0, "grant_reminder", c.Name()+"'s access ends "+left, body); err != nil {
				return err
			}
		}
		e.Action, e.Entity, e.EntityID = "grant.reminder", "contact", c.ID
		e.After = map[string]any{"ends_at": ends, "days": d}
		e.Summary = fmt.Sprintf("Reminded that %s's access ends on %s (%d-day reminder)", c.Name(), when, d)
		return nil
	})
	if errors.Is(err, store.ErrDuplicate) {
		return nil // another run sent it
	}
	return err
}

// daysLeft words the time until t: "in 7 days", "within a day".
func daysLeft(t, now time.Time) string {
	n := int(t.Sub(now) / day)
	switch {
	case n < 1:
		return "within a day"
	case n == 1:
		return "in 1 day"
	}
	return fmt.Sprintf("in %d days", n)
}

func linkText(link string) string {
	if link == "" {
		return ""
	}
	return " (" + link + ")"
}

// clientAreaURL is where contacts sign in: Settings → Client area's
// address ("" when none is set), the one every access mail carries.
func (a *App) clientAreaURL(ctx context.Context) (string, error) {
	ca, err := a.ClientArea(ctx)
	return ca.SignIn, err
}

// RemindInvitations mails one reminder to each sent invitation expiring
// within the configured days. The reminder carries the invitation's code
// and threads under it, so replying to either answers the invitation.
func (a *App) RemindInvitations(ctx context.Context) error {
	st, err := a.Lifecycle(ctx)
	if err != nil || !st.InvitationReminder {
		return err
	}
	ms, err := a.mailSettings(ctx, false)
	if err != nil || !ms.SMTP.Configured() {
		return err
	}
	now := a.now().UTC().Truncate(time.Second)
	due, err := a.store.InvitationsToRemind(ctx, now, now.Add(time.Duration(st.InvitationReminderDays)*day))
	if err != nil || len(due) == 0 {
		return err
	}
	for _, inv := range due {
		if err := a.remindInvitation(ctx, inv, ms.SMTP.FromName, ms.SMTP.FromEmail, now); err != nil {
			return err
		}
	}
	a.afterInvitationChange()
	return nil
}
