package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// Expiry is an optional point in time given as RFC 3339 or as a plain date
// (midnight UTC at the start of that day).
type Expiry struct{ time.Time }

// UnmarshalJSON accepts "2026-01-31" and "2026-01-31T12:00:00Z".
func (e *Expiry) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return invalid("expires_at", "expiry must be a date like 2026-01-31")
	}
	t, err := ParseExpiry(s)
	if err != nil {
		return err
	}
	e.Time = t
	return nil
}

// ParseExpiry parses an expiry date or time.
func ParseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Second), nil
	}
	return time.Time{}, invalid("expires_at", "expiry %q is not a date like 2026-01-31", s)
}

// Nullable is a JSON field that can be absent (Set false), null (Value nil)
// or a value: PATCH needs all three.
type Nullable[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON records that the field was present.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Value = nil
		return nil
	}
	n.Value = new(T)
	return json.Unmarshal(b, n.Value)
}

// AdminInput asks for admin access: everything or chosen areas.
type AdminInput struct {
	All   bool     `json:"all"`
	Areas []string `json:"areas"`
}

// ContactInput creates a contact.
type ContactInput struct {
	AccountID   int64       `json:"account_id"`
	AccountType string      `json:"account_type"`
	FirstName   string      `json:"first_name"`
	LastName    string      `json:"last_name"`
	Email       string      `json:"email"`
	Phone       string      `json:"phone"`
	Company     string      `json:"company"`
	Role        string      `json:"role"`
	Preset      string      `json:"preset"`
	Permissions []string    `json:"permissions"`
	ServiceIDs  []int64     `json:"service_ids"`
	ExpiresAt   *Expiry     `json:"expires_at"`
	Admin       *AdminInput `json:"admin"`
}

// ContactPatch changes some fields of a contact; absent fields stay.
type ContactPatch struct {
	AccountType *string              `json:"account_type"`
	FirstName   *string              `json:"first_name"`
	LastName    *string              `json:"last_name"`
	Email       *string              `json:"email"`
	Phone       *string              `json:"phone"`
	Company     *string              `json:"company"`
	Role        *string              `json:"role"`
	Status      *string              `json:"status"`
	Preset      *string              `json:"preset"`
	Permissions *[]string            `json:"permissions"`
	ServiceIDs  *[]int64             `json:"service_ids"`
	ExpiresAt   Nullable[Expiry]     `json:"expires_at"`
	Admin       Nullable[AdminInput] `json:"admin"`
}

// grantInput is the part of a create or patch that defines access.
type grantInput struct {
	Preset      string
	Permissions []string
	ServiceIDs  []int64
	ExpiresAt   *time.Time
	Admin       *AdminInput
}

// CreateContact adds a contact with an active grant.
func (a *App) CreateContact(ctx context.Context, in ContactInput) (*model.Contact, error) {
	c, err := a.prepareContact(ctx, in, model.StatusActive)
	if err != nil {
		return nil, err
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.InsertContact(ctx, c); err != nil {
			return a.contactWriteError(err)
		}
		e.Action, e.Entity, e.EntityID, e.After = "contact.create", "contact", c.ID, c
		e.Summary = fmt.Sprintf("Added %s <%s> with %s access", c.Name(), c.Email, presetLabel(c.Grant.Preset))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a.decorate(c), nil
}

// UpdateContact applies a patch.
func (a *App) UpdateContact(ctx context.Context, id int64, p ContactPatch) (*model.Contact, error) {
	var out *model.Contact
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := tx.Contact(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("contact", id)
		}
		if err != nil {
			return err
		}
		c := cloneContact(before)
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&c.AccountType, p.AccountType)
		set(&c.FirstName, p.FirstName)
		set(&c.LastName, p.LastName)
		set(&c.Email, p.Email)
		set(&c.Phone, p.Phone)
		set(&c.Company, p.Company)
		set(&c.Role, p.Role)
		if p.Status != nil {
			if *p.Status != model.StatusActive && *p.Status != model.StatusSuspended {
				return invalid("status", "status can be set to active or suspended")
			}
			if c.Status == model.StatusInvited && *p.Status == model.StatusActive {
				return invalid("status", "an invited contact becomes active only by accepting the invitation")
			}
			if err := a.checkReactivation(ctx, tx, before, *p.Status); err != nil {
				return err
			}
			c.Status = *p.Status
		}
		if err := normaliseContact(c); err != nil {
			return err
		}
		g := grantInput{Preset: c.Grant.Preset, Permissions: c.Grant.Permissions, ServiceIDs: c.Grant.ServiceIDs,
			ExpiresAt: c.Grant.ExpiresAt}
		if c.Admin != nil {
			g.Admin = &AdminInput{All: c.Admin.All, Areas: c.Admin.Areas}
		}
		if p.Preset != nil {
			g.Preset = *p.Preset
		}
		if p.Permissions != nil {
			g.Permissions = *p.Permissions
		}
		if p.ServiceIDs != nil {
			g.ServiceIDs = *p.ServiceIDs
		}
		if p.ExpiresAt.Set {
			g.ExpiresAt = nil
			if p.ExpiresAt.Value != nil {
				g.ExpiresAt = &p.ExpiresAt.Value.Time
			}
		}
		if p.Admin.Set {
			g.Admin = p.Admin.Value
		}
		if err := a.applyGrant(ctx, c, g); err != nil {
			return err
		}
		c.UpdatedAt = a.now().UTC().Truncate(time.Second)
		if err := tx.UpdateContact(ctx, c); err != nil {
			return a.contactWriteError(err)
		}
		if c.Status == model.StatusSuspended && before.Status != model.StatusSuspended {
			if _, err := tx.RevokeSessions(ctx, c.ID, 0, c.UpdatedAt); err != nil {
				return err
			}
			if err := a.voidInvitations(ctx, tx, c, "the contact was suspended", c.UpdatedAt); err != nil {
				return err
			}
		}
		if store.EmailKey(c.Email) != store.EmailKey(before.Email) {
			// Whoever holds the old address no longer acts as this contact.
			if err := a.endPortalAccess(ctx, tx, c.ID, c.UpdatedAt); err != nil {
				return err
			}
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "contact.update", "contact", c.ID, before, c
		e.Summary = "Updated " + c.Name() + ": " + describeChanges(before, c)
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a.decorate(out), nil
}

// DeleteContact removes a contact and its access.
func (a *App) DeleteContact(ctx context.Context, id int64) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := tx.Contact(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("contact", id)
		}
		if err != nil {
			return err
		}
		if err := a.voidInvitations(ctx, tx, before, "the contact was removed", a.now().UTC().Truncate(time.Second)); err != nil {
			return err
		}
		if err := tx.DeleteContact(ctx, id); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before = "contact.delete", "contact", id, before
		e.Summary = fmt.Sprintf("Removed %s <%s>", before.Name(), before.Email)
		return nil
	})
}

// Contact loads one contact.
func (a *App) Contact(ctx context.Context, id int64) (*model.Contact, error) {
	c, err := a.store.Contact(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("contact", id)
	}
	if err != nil {
		return nil, err
	}
	return a.decorate(c), nil
}

// LookupEmail finds a known contact by address (case-insensitive),
// preferring the given account; nil when unknown.
func (a *App) LookupEmail(ctx context.Context, email string, accountID int64) (*model.Contact, error) {
	c, err := a.store.ContactByEmail(ctx, email, accountID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return a.decorate(c), nil
}

// ContactFilter narrows a contact listing.
type ContactFilter = store.ContactFilter

// Contacts lists contacts matching f and counts all matches.
func (a *App) Contacts(ctx context.Context, f ContactFilter) ([]*model.Contact, int, error) {
	if f.Preset != "" {
		if _, ok := permission.LookupPreset(f.Preset); !ok {
			return nil, 0, invalid("preset", "unknown preset %q", f.Preset)
		}
	}
	if f.Status != "" && !oneOf(f.Status, []string{model.StatusActive, model.StatusExpired, model.StatusInvited, model.StatusSuspended}) {
		return nil, 0, invalid("status", "status must be active, expired, invited or suspended")
	}
	f.Limit, f.Offset = page(f.Limit, f.Offset)
	f.Now = a.now()
	cs, total, err := a.store.Contacts(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	for _, c := range cs {
		a.decorate(c)
	}
	return cs, total, nil
}

// decorate fills the derived fields of a contact served to a client.
func (a *App) decorate(c *model.Contact) *model.Contact {
	c.EffectiveStatus = c.Status
	if c.Status == model.StatusActive && c.Grant.ExpiresAt != nil && !a.now().Before(*c.Grant.ExpiresAt) {
		c.EffectiveStatus = model.StatusExpired
	}
	return c
}

func (a *App) contactWriteError(err error) error {
	if errors.Is(err, store.ErrDuplicate) {
		return &Error{Code: CodeConflict, Field: "email", Message: "a contact with this email already exists in this account"}
	}
	return err
}

// applyGrant validates g against the catalog and the account's services and
// writes it into c.
func (a *App) applyGrant(ctx context.Context, c *model.Contact, g grantInput) error {
	g.Preset = strings.TrimSpace(g.Preset)
	if g.Preset == "" {
		return invalid("preset", "choose an access level: full, personal, technical, billing or custom")
	}
	preset, ok := permission.LookupPreset(g.Preset)
	if !ok {
		return invalid("preset", "unknown preset %q: use full, personal, technical, billing or custom", g.Preset)
	}
	set, err := permission.Parse(g.Permissions)
	if err != nil {
		return &Error{Code: CodeUnknownPermission, Field: "permissions", Message: err.Error()}
	}
	if preset.Name != permission.PresetCustom {
		set = preset.Set
	} else if set == 0 && g.Admin == nil {
		return invalid("permissions", "a custom grant needs at least one action")
	}
	c.Grant = model.Grant{Preset: preset.Name, Permissions: set.Names(), AllServices: len(g.ServiceIDs) == 0, ServiceIDs: []int64{}}
	if len(g.ServiceIDs) > 0 {
		ids := slices.Clone(g.ServiceIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for _, id := range ids {
			s, err := a.store.Service(ctx, id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && s.AccountID != c.AccountID) {
				return invalid("service_ids", "service %d is not a service of this account", id)
			}
			if err != nil {
				return err
			}
		}
		c.Grant.ServiceIDs = ids
	}
	if g.ExpiresAt != nil {
		t := g.ExpiresAt.UTC()
		if t.Year() < 2000 || t.Year() > 9999 {
			return invalid("expires_at", "expiry %s is out of range", t.Format("2006-01-02"))
		}
		c.Grant.ExpiresAt = &t
	}
	c.Admin = nil
	if g.Admin != nil {
		areas, err := permission.ParseAreas(g.Admin.Areas)
		if err != nil {
			return &Error{Code: CodeUnknownPermission, Field: "admin", Message: err.Error()}
		}
		if !g.Admin.All && areas == 0 {
			return invalid("admin", "admin access needs \"all\" or at least one area")
		}
		if g.Admin.All {
			areas = permission.AllAreas
		}
		c.Admin = &model.AdminAccess{All: g.Admin.All, Areas: areas.Names()}
	}
	return nil
}

// normaliseContact trims and checks the personal fields of c.
func normaliseContact(c *model.Contact) error {
	for _, f := range []*string{&c.AccountType, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &c.Company, &c.Role} {
		*f = strings.TrimSpace(*f)
	}
	if c.AccountType == "" {
		c.AccountType = "individual"
	}
	switch {
	case c.AccountType != "individual" && c.AccountType != "company":
		return invalid("account_type", "account type must be individual or company")
	case c.FirstName == "":
		return invalid("first_name", "first name is required")
	case c.LastName == "":
		return invalid("last_name", "last name is required")
	case c.AccountType == "company" && c.Company == "":
		return invalid("company", "company name is required for a company account")
	}
	for field, v := range map[string]string{"first_name": c.FirstName, "last_name": c.LastName, "company": c.Company, "role": c.Role} {
		if len(v) > 200 {
			return invalid(field, "%s is too long (200 characters at most)", strings.ReplaceAll(field, "_", " "))
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return invalid(field, "%s contains control characters", strings.ReplaceAll(field, "_", " "))
		}
	}
	email, err := NormaliseEmail(c.Email)
	if err != nil {
		return err
	}
	c.Email = email
	if c.Phone != "" {
		digits := 0
		for _, r := range c.Phone {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune("+-(). /x", r):
			default:
				return invalid("phone", "phone number may contain digits, spaces and + - ( ) . / only")
			}
		}
		if digits < 5 || len(c.Phone) > 32 {
			return invalid("phone", "phone number looks incomplete")
		}
	}
	return nil
}

// NormaliseEmail checks that s is one bare address and returns it trimmed.
func NormaliseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid("email", "email is required")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || len(s) > 254 {
		return "", invalid("email", "%q is not an email address like name@example.com", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return "", invalid("email", "%q is not an email address like name@example.com", s)
	}
	return s, nil
}

func cloneContact(c *model.Contact) *model.Contact {
	n := *c
	n.Grant.Permissions = slices.Clone(c.Grant.Permissions)
	n.Grant.ServiceIDs = slices.Clone(c.Grant.ServiceIDs)
	if c.Admin != nil {
		ad := *c.Admin
		ad.Areas = slices.Clone(c.Admin.Areas)
		n.Admin = &ad
	}
	return &n
}

// describeChanges names the fields that differ, for the audit summary.
func describeChanges(b, c *model.Contact) string {
	var ch []string
	add := func(cond bool, name string) {
		if cond {
			ch = append(ch, name)
		}
	}
	add(b.AccountType != c.AccountType, "account type")
	add(b.FirstName != c.FirstName || b.LastName != c.LastName, "name")
	add(b.Email != c.Email, "email")
	add(b.Phone != c.Phone, "phone")
	add(b.Company != c.Company, "company")
	add(b.Role != c.Role, "role")
	add(b.Status != c.Status, "status "+b.Status+" → "+c.Status)
	add(b.Grant.Preset != c.Grant.Preset, "access "+presetLabel(b.Grant.Preset)+" → "+presetLabel(c.Grant.Preset))
	add(b.Grant.Preset == c.Grant.Preset && !slices.Equal(b.Grant.Permissions, c.Grant.Permissions), "actions")
	add(b.Grant.AllServices != c.Grant.AllServices || !slices.Equal(b.Grant.ServiceIDs, c.Grant.ServiceIDs), "services")
	add(!timeEqual(b.Grant.ExpiresAt, c.Grant.ExpiresAt), "expiry")
	add((b.Admin == nil) != (c.Admin == nil) || (b.Admin != nil && (b.Admin.All != c.Admin.All || !slices.Equal(b.Admin.Areas, c.Admin.Areas))), "admin access")
	if len(ch) == 0 {
		return "no changes"
	}
	return strings.Join(ch, ", ")
}

func timeEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func presetLabel(name string) string {
	if p, ok := permission.LookupPreset(name); ok {
		return p.Label
	}
	return name
}

// CheckResult is the answer to "may contact C do P on service S, now?".
type CheckResult struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// Check evaluates one permission for a contact, now. It is the only path
// from stored grants to a decision.
func (a *App) Check(ctx context.Context, contactID int64, perm string, serviceID int64) (CheckResult, error) {
	q, err := access.ParseQuery(strings.TrimSpace(perm))
	if err != nil {
		return CheckResult{}, &Error{Code: CodeUnknownPermission, Field: "permission", Message: err.Error()}
	}
	g, svc, err := a.grantAndService(ctx, contactID, serviceID)
	if err != nil {
		return CheckResult{}, err
	}
	d := access.Check(&g, q, svc, a.now().Unix())
	return CheckResult{Allowed: d.Allowed, Reason: d.Reason()}, nil
}

func (a *App) grantAndService(ctx context.Context, contactID, serviceID int64) (access.Grant, access.Service, error) {
	c, err := a.store.Contact(ctx, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return access.Grant{}, access.Service{}, notFound("contact", contactID)
	}
	if err != nil {
		return access.Grant{}, access.Service{}, err
	}
	g, err := access.Compile(c)
	if err != nil {
		return access.Grant{}, access.Service{}, fmt.Errorf("grant of contact %d: %w", contactID, err)
	}
	var svc access.Service
	if serviceID != 0 {
		s, err := a.store.Service(ctx, serviceID)
		if errors.Is(err, store.ErrNotFound) {
			return access.Grant{}, access.Service{}, notFound("service", serviceID)
		}
		if err != nil {
			return access.Grant{}, access.Service{}, err
		}
		svc = access.Service{ID: s.ID, AccountID: s.AccountID}
	}
	return g, svc, nil
}

// AccessRow is one line of a contact's effective access table.
type AccessRow struct {
	Permission string `json:"permission"`
	Label      string `json:"label"`
	Group      string `json:"group"`
	Allowed    bool   `json:"allowed"`
	Reason     string `json:"reason"`
}

// EffectiveAccess evaluates every permission and admin area for a contact,
// now, optionally on one service.
func (a *App) EffectiveAccess(ctx context.Context, contactID, serviceID int64) ([]AccessRow, error) {
	g, svc, err := a.grantAndService(ctx, contactID, serviceID)
	if err != nil {
		return nil, err
	}
	now := a.now().Unix()
	var rows []AccessRow
	for i, info := range permission.All() {
		d := access.Evaluate(&g, permission.Permission(i), svc, now)
		rows = append(rows, AccessRow{info.Name, info.Label, info.Group, d.Allowed, d.Reason()})
	}
	for i, area := range permission.AdminAreas() {
		d := access.EvaluateAdmin(&g, i, now)
		rows = append(rows, AccessRow{permission.AdminPrefix + area.Name, area.Label, "Admin area", d.Allowed, d.Reason()})
	}
	return rows, nil
}
