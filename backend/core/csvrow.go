package core

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// csvRules is what checking a row needs besides the row.
type csvRules struct {
	accountID int64
	cols      csvColumns
	width     int
	now       time.Time
	zone      *time.Location // a date-only expires_at lasts through that day here
	services  serviceIndex
}

func (a *App) csvRules(ctx context.Context, accountID int64, cols csvColumns, now time.Time) (csvRules, error) {
	services, err := a.store.Services(ctx, accountID)
	if err != nil {
		return csvRules{}, err
	}
	return csvRules{accountID: accountID, cols: cols, width: len(cols), now: now, zone: a.zone(ctx),
		services: newServiceIndex(services)}, nil
}

// contactFromCSV builds a contact from one row and checks it with the
// rules of CreateContact (normaliseContact and applyGrant). With a base
// (an import that updates), the row's columns change base's fields and
// the columns the file lacks keep them; an empty preset, status or
// billing_scope keeps them too.
func (a *App) contactFromCSV(ctx context.Context, r csvRules, rec []string, base *model.Contact) (*model.Contact, error) {
	if len(rec) != r.width {
		return nil, fmt.Errorf("the row has %d %s, the header %d", len(rec), plural(len(rec), "field", "fields"), r.width)
	}
	get := func(name string) string { return r.cols.get(rec, name) }
	has := func(name string) bool { _, ok := r.cols[name]; return ok }
	c := &model.Contact{AccountID: r.accountID, Status: model.StatusActive, CreatedAt: r.now, UpdatedAt: r.now,
		Grant: model.Grant{Preset: DefaultImportPreset}}
	if base != nil {
		c = cloneContact(base)
	}
	for name, dst := range map[string]*string{"account_type": &c.AccountType, "first_name": &c.FirstName, "last_name": &c.LastName,
		"email": &c.Email, "phone": &c.Phone, "company": &c.Company, "role": &c.Role} {
		if has(name) {
			*dst = get(name)
		}
	}
	if base != nil && store.EmailKey(c.Email) == store.EmailKey(base.Email) {
		c.Email = base.Email // matched by this address: its spelling stays
	}
	if err := normaliseContact(c); err != nil {
		return nil, err
	}
	g := grantInput{Preset: c.Grant.Preset, Permissions: c.Grant.Permissions, ServiceIDs: c.Grant.ServiceIDs,
		ExpiresAt: c.Grant.ExpiresAt, BillingScope: c.Grant.BillingScope}
	if c.Admin != nil {
		g.Admin = &AdminInput{All: c.Admin.All, Areas: c.Admin.Areas}
	}
	if p := strings.TrimSpace(get("preset")); p != "" {
		g.Preset = p
	}
	if has("permissions") {
		g.Permissions = splitList(get("permissions"))
	}
	if has("services") || has("service_ids") {
		ids, err := r.services.resolve(get("services"), get("service_ids"))
		if err != nil {
			return nil, err
		}
		g.ServiceIDs = ids
	}
	if has("expires_at") {
		g.ExpiresAt = nil
		if s := strings.TrimSpace(get("expires_at")); s != "" {
			t, err := parseGrantEnd(s, r.zone)
			if err != nil {
				return nil, err
			}
			g.ExpiresAt = &t
		}
	}
	if has("admin") {
		g.Admin = parseAdmin(get("admin"))
	}
	if s := strings.TrimSpace(get("billing_scope")); s != "" {
		g.BillingScope = strings.ToLower(s)
	}
	if err := csvStatus(c, base, strings.ToLower(strings.TrimSpace(get("status"))), g.ExpiresAt, r.now); err != nil {
		return nil, err
	}
	// The account's services as read for this import: no query a row (the
	// write checks each reference again, foreign keys being on).
	if err := a.applyGrantKnown(ctx, c, g, r.services.ids); err != nil {
		return nil, err
	}
	return c, nil
}

// csvStatus sets c's status from a row's; empty keeps base's (active for
// a new contact).
func csvStatus(c, base *model.Contact, status string, expires *time.Time, now time.Time) error {
	switch status {
	case "":
	case model.StatusActive, model.StatusSuspended:
		c.Status = status
	case model.StatusExpired:
		// Expired is derived from expires_at: the contact is stored active.
		if expires == nil || expires.After(now) {
			return invalid("status", "status expired needs an expires_at in the past")
		}
		if base == nil || base.Status != model.StatusInvited {
			c.Status = model.StatusActive
		}
	case model.StatusInvited:
		if base == nil || base.Status != model.StatusInvited {
			return invalid("status", "status invited cannot be imported: import the contact as active or suspended, or invite them from Grantbook")
		}
	default:
		return invalid("status", "status must be active or suspended (or empty for active)")
	}
	if base != nil && base.Status == model.StatusInvited && c.Status == model.StatusActive {
		return invalid("status", "an invited contact becomes active only by accepting the invitation")
	}
	return nil
}

// parseGrantEnd reads an expires_at cell: a date lasts through that whole
// day in zone, a time is that instant.
func parseGrantEnd(s string, zone *time.Location) (time.Time, error) {
	t, err := ParseExpiry(s)
	if err != nil || len(s) != len("2006-01-02") {
		return t, err
	}
	return dayEnd(s, zone)
}

// parseAdmin reads an admin cell: empty for none, "all", or area names.
func parseAdmin(s string) *AdminInput {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil
	case strings.EqualFold(s, "all"):
		return &AdminInput{All: true}
	}
	return &AdminInput{Areas: splitList(s)}
}

// splitList splits a cell of space- (or comma-) separated names.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == '\t' })
}

// serviceKey is how service names are matched: trimmed, ignoring case.
func serviceKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// serviceIndex finds an account's services by name or id.
type serviceIndex struct {
	byName map[string][]int64
	ids    map[int64]bool
}

func newServiceIndex(services []*model.Service) serviceIndex {
	ix := serviceIndex{byName: map[string][]int64{}, ids: map[int64]bool{}}
	for _, s := range services {
		ix.byName[serviceKey(s.Name)] = append(ix.byName[serviceKey(s.Name)], s.ID)
		ix.ids[s.ID] = true
	}
	return ix
}

// resolve reads a services cell (names or ids, separated by ;) and a
// service_ids cell (ids separated by spaces). applyGrant checks the ids.
func (ix serviceIndex) resolve(names, ids string) ([]int64, error) {
	var out []int64
	for _, part := range strings.Split(names, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		switch found := ix.byName[serviceKey(part)]; {
		case len(found) == 1:
			out = append(out, found[0])
		case len(found) > 1:
			return nil, invalid("service_ids", "several services are named %q: write the service's id instead", part)
		default:
			// Not a name: a number (or numbers) is an id.
			list, err := serviceIDs(part)
			if err != nil {
				return nil, invalid("service_ids", "this account has no service named %q; separate services with ;", part)
			}
			out = append(out, list...)
		}
	}
	list, err := serviceIDs(ids)
	if err != nil {
		return nil, err
	}
	return append(out, list...), nil
}

// serviceIDs reads space-separated ids.
func serviceIDs(s string) ([]int64, error) {
	var out []int64
	for _, f := range splitList(strings.TrimPrefix(strings.TrimSpace(s), "#")) {
		id, err := strconv.ParseInt(strings.TrimPrefix(f, "#"), 10, 64)
		if err != nil || id <= 0 {
			return nil, invalid("service_ids", "service id %q is not a number; separate ids with spaces", f)
		}
		out = append(out, id)
	}
	return out, nil
}

// csvKey is the email key of a row, for matching it to a contact ("" when
// the row has no readable address).
func csvKey(r csvRules, rec []string) string {
	email, err := NormaliseEmail(r.cols.get(rec, "email"))
	if err != nil {
		return ""
	}
	return store.EmailKey(email)
}
