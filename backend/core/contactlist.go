package core

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// ContactFilter narrows a contact listing.
type ContactFilter = store.ContactFilter

// ContactPage is one page of a contact listing: its contacts, how many
// match in all, and the cursor that continues after it ("" on the last).
type ContactPage struct {
	Contacts []*model.Contact `json:"contacts"`
	Total    int              `json:"total"`
	// TotalCapped: a search counts up to store.SearchCountCap matches;
	// there are more than Total.
	TotalCapped bool   `json:"total_capped,omitempty"`
	Next        string `json:"next,omitempty"`
}

// Contacts lists contacts matching f and counts all matches.
func (a *App) Contacts(ctx context.Context, f ContactFilter) ([]*model.Contact, int, error) {
	p, err := a.ContactPage(ctx, f, "")
	if err != nil {
		return nil, 0, err
	}
	return p.Contacts, p.Total, nil
}

// ContactPage lists a page of contacts in name order: after the cursor a
// previous page gave (keyset paging: every page costs what the first does)
// or, without one, at f.Offset. The total comes from a count kept until
// the contacts change, not from a count per page.
func (a *App) ContactPage(ctx context.Context, f ContactFilter, after string) (*ContactPage, error) {
	if f.Preset != "" {
		if _, ok := permission.LookupPreset(f.Preset); !ok {
			return nil, invalid("preset", "unknown preset %q", f.Preset)
		}
	}
	if f.Status != "" && !oneOf(f.Status, []string{model.StatusActive, model.StatusExpired, model.StatusInvited, model.StatusSuspended}) {
		return nil, invalid("status", "status must be active, expired, invited or suspended")
	}
	if after != "" {
		k, err := decodeCursor(after)
		if err != nil {
			return nil, err
		}
		f.After = k
	}
	f.Limit, f.Offset = page(f.Limit, f.Offset)
	f.Now = a.now()
	n, err := a.contactCount(ctx, f)
	if err != nil {
		return nil, err
	}
	cs, next, err := a.store.ContactsPage(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		a.decorate(c)
	}
	return &ContactPage{Contacts: cs, Total: n.N, TotalCapped: n.Capped, Next: encodeCursor(next)}, nil
}

// contactCount is the number of contacts f matches, from memory while
// nothing changed them (and, for the active and expired filters, until the
// next expiry).
func (a *App) contactCount(ctx context.Context, f ContactFilter) (store.ContactCount, error) {
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%s", f.AccountID, f.Preset, f.Status, strings.TrimSpace(f.Query))
	load := func() (store.ContactCount, error) { return a.store.CountContacts(ctx, f) }
	n, err := a.cached.counts.Get(key, load)
	if err == nil && n.ChangesAt != 0 && f.Now.Unix() >= n.ChangesAt {
		a.cached.counts.Forget(key)
		n, err = a.cached.counts.Get(key, load)
	}
	return n, err
}

// A cursor is opaque to clients: the sort key of the last contact of a
// page, as JSON, in URL-safe base64.
func encodeCursor(k *store.SortKey) string {
	if k == nil {
		return ""
	}
	b, _ := json.Marshal([]any{k.Last, k.First, k.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*store.SortKey, error) {
	bad := invalid("after", "after must be the next cursor a previous page of this listing gave")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 2048 {
		return nil, bad
	}
	var v []json.RawMessage
	var k store.SortKey
	if json.Unmarshal(b, &v) != nil || len(v) != 3 || json.Unmarshal(v[0], &k.Last) != nil ||
		json.Unmarshal(v[1], &k.First) != nil || json.Unmarshal(v[2], &k.ID) != nil {
		return nil, bad
	}
	return &k, nil
}
