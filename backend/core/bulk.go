package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// Bulk actions on contacts.
const (
	BulkSuspend = "suspend"
	BulkRestore = "restore"
	BulkDelete  = "delete"
	BulkPreset  = "preset"
	BulkExpiry  = "expiry"
)

// MaxBulk bounds the contacts of one bulk action: one transaction, and one
// audit entry listing them all.
const MaxBulk = 100_000

// BulkFilter chooses every contact of the account that the list's search
// and filters match.
type BulkFilter struct {
	Query  string `json:"q"`
	Preset string `json:"preset"`
	Status string `json:"status"`
}

// BulkInput is one action on many contacts of an account: those of IDs,
// or all that Filter matches.
type BulkInput struct {
	AccountID   int64            `json:"account_id"`
	IDs         []int64          `json:"ids"`
	Filter      *BulkFilter      `json:"filter"`
	Action      string           `json:"action"`
	Preset      string           `json:"preset"`      // BulkPreset
	Permissions []string         `json:"permissions"` // BulkPreset with custom
	ExpiresAt   Nullable[Expiry] `json:"expires_at"`  // BulkExpiry: a date, or null for never
}

// BulkResult says what a bulk action did.
type BulkResult struct {
	Action  string `json:"action"`
	Changed int    `json:"changed"`
	// Skipped contacts were already so, or cannot be (an invited contact is
	// not restored: they become active by accepting).
	Skipped int   `json:"skipped"`
	AuditID int64 `json:"audit_id"`
}

// bulkRow is one contact of a bulk action's audit entry.
type bulkRow struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Changed string `json:"changed,omitempty"`
}

// BulkContacts applies one action to many contacts in one transaction with
// one audit entry that lists them, through the paths single changes take
// (patchContact, removeContact).
func (a *App) BulkContacts(ctx context.Context, in BulkInput) (BulkResult, error) {
	res := BulkResult{Action: in.Action}
	patch, err := bulkPatch(in)
	if err != nil {
		return res, err
	}
	if _, err := a.Account(ctx, in.AccountID); err != nil {
		return res, err
	}
	ids, err := a.bulkIDs(ctx, in)
	if err != nil {
		return res, err
	}
	var entry *model.AuditEntry
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		entry = e
		var done []bulkRow
		var removed []*model.Contact
		for _, id := range ids {
			c, err := tx.Contact(ctx, id)
			if err != nil || c.AccountID != in.AccountID {
				return invalid("ids", "contact %d is not a contact of this account", id)
			}
			if skip(in.Action, c) {
				res.Skipped++
				continue
			}
			if in.Action == BulkDelete {
				before, err := a.removeContact(ctx, tx, id, nil)
				if err != nil {
					return err
				}
				removed = append(removed, before)
				done = append(done, bulkRow{ID: id, Name: before.Name(), Email: before.Email})
				continue
			}
			before, after, err := a.patchContact(ctx, tx, id, patch, nil)
			if err != nil {
				return fmt.Errorf("%s <%s>: %w", c.Name(), c.Email, err)
			}
			if what := describeChanges(before, after); what != "no changes" {
				done = append(done, bulkRow{ID: id, Name: after.Name(), Email: after.Email, Changed: what})
			} else {
				res.Skipped++
			}
		}
		if len(done) == 0 {
			return invalid("ids", "nothing to change: the %s chosen already are so", plural(len(ids), "contact", "contacts"))
		}
		res.Changed = len(done)
		e.Action, e.Entity, e.EntityID = "contact.bulk_"+in.Action, "account", in.AccountID
		e.Summary = bulkSummary(in, done)
		e.After = map[string]any{"action": in.Action, "contacts": done, "skipped": res.Skipped}
		if removed != nil {
			e.Before = removed
		}
		for _, r := range done {
			e.Contacts = append(e.Contacts, r.ID)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.AuditID = entry.ID
	a.afterInvitationChange() // suspending or removing voids invitations
	return res, nil
}

// bulkPatch is the change an action makes to each contact.
func bulkPatch(in BulkInput) (ContactPatch, error) {
	var p ContactPatch
	switch in.Action {
	case BulkSuspend:
		p.Status = new(model.StatusSuspended)
	case BulkRestore:
		p.Status = new(model.StatusActive)
	case BulkDelete:
	case BulkPreset:
		if strings.TrimSpace(in.Preset) == "" {
			return p, invalid("preset", "choose the access level to give")
		}
		p.Preset, p.Permissions = &in.Preset, &in.Permissions
	case BulkExpiry:
		if !in.ExpiresAt.Set {
			return p, invalid("expires_at", "choose the last day of access, or null for never")
		}
		p.ExpiresAt = in.ExpiresAt
	default:
		return p, invalid("action", "action must be suspend, restore, delete, preset or expiry")
	}
	return p, nil
}

// skip reports the contacts an action leaves as they are.
func skip(action string, c *model.Contact) bool {
	switch action {
	case BulkSuspend:
		return c.Status == model.StatusSuspended
	case BulkRestore:
		return c.Status != model.StatusSuspended
	}
	return false
}

// bulkIDs are the contacts an action is for, checked against the bounds.
func (a *App) bulkIDs(ctx context.Context, in BulkInput) ([]int64, error) {
	ids := slices.Clone(in.IDs)
	if in.Filter != nil {
		if len(ids) > 0 {
			return nil, invalid("ids", "give ids or a filter, not both")
		}
		f := ContactFilter{AccountID: in.AccountID, Query: in.Filter.Query, Preset: in.Filter.Preset, Status: in.Filter.Status, Now: a.now()}
		if _, _, err := a.Contacts(ctx, ContactFilter{AccountID: in.AccountID, Preset: f.Preset, Status: f.Status, Limit: 1}); err != nil {
			return nil, err // the filter's own checks
		}
		var err error
		if ids, err = a.store.ContactIDs(ctx, f); err != nil {
			return nil, err
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	switch {
	case len(ids) == 0:
		return nil, invalid("ids", "choose at least one contact")
	case len(ids) > MaxBulk:
		return nil, invalid("ids", "%d contacts at most in one action", MaxBulk)
	}
	return ids, nil
}

// bulkSummary names the action and the first contacts; the entry's after
// lists every one.
func bulkSummary(in BulkInput, done []bulkRow) string {
	verb := map[string]string{BulkSuspend: "Suspended", BulkRestore: "Restored", BulkDelete: "Deleted",
		BulkPreset: "Gave " + presetLabel(in.Preset) + " access to", BulkExpiry: "Changed the expiry of"}[in.Action]
	names := make([]string, 0, 3)
	for _, r := range done[:min(3, len(done))] {
		names = append(names, fmt.Sprintf("%s <%s>", r.Name, r.Email))
	}
	s := fmt.Sprintf("%s %d %s: %s", verb, len(done), plural(len(done), "contact", "contacts"), strings.Join(names, ", "))
	if len(done) > len(names) {
		s += fmt.Sprintf(" and %d more", len(done)-len(names))
	}
	return s
}

// ContactIDs lists the ids of the account's contacts that f matches.
func (a *App) ContactIDs(ctx context.Context, accountID int64, f BulkFilter) ([]int64, error) {
	return a.bulkIDs(ctx, BulkInput{AccountID: accountID, Filter: &f})
}
