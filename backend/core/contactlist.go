package core

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"

	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// ContactFilter narrows a contact listing.
type ContactFilter = store.ContactFilter

// ContactPage is one page of a contact listing: its contacts, how many
// match in all, and the cursor that continues after it ("" on the last).
// Its contacts share their grants' slices with the cache: callers must
// not change those.
type ContactPage struct {
	Contacts []*model.Contact `json:"contacts"`
	Total    int              `json:"total"`
	// TotalCapped: a search counts up to store.SearchCountCap matches;
	// there are more than Total.
	TotalCapped bool   `json:"total_capped,omitempty"`
	Next        string `json:"next,omitempty"`

	json [][]byte // each contact's JSON
}

// AppendJSON appends the page as encoding/json writes it.
func (p *ContactPage) AppendJSON(b []byte) []byte {
	b = append(b, `{"contacts":[`...)
	for i, j := range p.json {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, j...)
	}
	b = strconv.AppendInt(append(b, `],"total":`...), int64(p.Total), 10)
	if p.TotalCapped {
		b = append(b, `,"total_capped":true`...)
	}
	if p.Next != "" { // URL-safe base64: nothing to escape
		b = append(append(append(b, `,"next":"`...), p.Next...), '"')
	}
	return append(b, '}')
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
	gen := a.store.Generation()
	n, err := a.contactCount(ctx, f)
	if err != nil {
		return nil, err
	}
	// The count lets a deep page be read from the end, if it is the page's:
	// taken while no commit was on its way to the caches (an even
	// generation), for the clock it was counted at, and no commit since.
	f.Counted, f.Total = gen%2 == 0 && !n.Capped && f.Now.Unix() >= n.At, n.N
	asked := f
	f = a.fromMark(f, n)
	ids, more, err := a.store.PageIDs(ctx, f)
	if err == nil && f.Counted && a.store.Generation() != gen {
		asked.Counted = false
		ids, more, err = a.store.PageIDs(ctx, asked)
	}
	if err != nil {
		return nil, err
	}
	items, err := a.contactItems(ctx, ids)
	if err != nil {
		return nil, err
	}
	cs := make([]model.Contact, len(items)) // copies: decorate fills them in
	p := &ContactPage{Contacts: make([]*model.Contact, len(items)), Total: n.N, TotalCapped: n.Capped, json: make([][]byte, len(items))}
	for i, it := range items {
		cs[i] = *it.c
		p.Contacts[i] = &cs[i]
	}
	a.decorateAll(ctx, p.Contacts)
	for i, c := range p.Contacts {
		if p.json[i] = items[i].json; c.EffectiveStatus != c.Status || c.Invitation != nil {
			if p.json[i], err = json.Marshal(c); err != nil {
				return nil, err
			}
		}
	}
	if more && len(p.Contacts) > 0 {
		p.Next = encodeCursor(store.PageEnd(p.Contacts[len(p.Contacts)-1]))
	}
	return p, nil
}

// A contactItem is a contact as listings load it, and its JSON as served
// when neither time nor an invitation changes it (decorate: its effective
// status is its status, no invitation). Kept until the contact changes;
// never changed.
type contactItem struct {
	c    *model.Contact
	json []byte
}

// contactItems are the contacts of ids, in that order (those that exist),
// from memory, the others loaded in one query.
func (a *App) contactItems(ctx context.Context, ids []int64) ([]contactItem, error) {
	return a.cached.contacts.GetAll(ids, func(missing []int64) (map[int64]contactItem, error) {
		cs, err := a.store.ContactsByID(ctx, missing)
		if err != nil {
			return nil, err
		}
		out := make(map[int64]contactItem, len(cs))
		for _, c := range cs {
			c.EffectiveStatus = c.Status
			b, err := json.Marshal(c)
			if err != nil {
				return nil, err
			}
			out[c.ID] = contactItem{c, b}
		}
		return out, nil
	})
}

// contactCount is the number of contacts f matches, from memory while
// nothing changed them (and, for the active and expired filters, until the
// next expiry).
func (a *App) contactCount(ctx context.Context, f ContactFilter) (store.ContactCount, error) {
	key := listKeyOf(f)
	load := settled(a.store, func() (store.ContactCount, error) { return a.store.CountContacts(ctx, f) })
	n, err := a.cached.counts.Get(key, load)
	if err == nil && n.ChangesAt != 0 && f.Now.Unix() >= n.ChangesAt {
		a.cached.counts.Forget(key)
		n, err = a.cached.counts.Get(key, load)
	}
	if errors.Is(err, errUnsettled) {
		err = nil // the page's own generation check decides whether it may use it
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
