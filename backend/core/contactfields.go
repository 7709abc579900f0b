package core

import (
	"bytes"
	"context"
	"encoding/json"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"

	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// Expiry is an optional point in time given as RFC 3339 or as a plain date
// (Time is then midnight UTC at the start of that day, and Day the date).
type Expiry struct {
	time.Time
	// Day is the plain date given, if one was: a grant's expiry then lasts
	// through that whole day in the owner's time zone (grantEnd).
	Day string
}

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
	e.Time, e.Day = t, ""
	if s = strings.TrimSpace(s); len(s) == len("2006-01-02") {
		e.Day = s
	}
	return nil
}

// grantEnd is when a grant given e stops: through the whole of a plain
// date in the owner's time zone, else e's instant.
func (a *App) grantEnd(ctx context.Context, e *Expiry) (*time.Time, error) {
	if e == nil {
		return nil, nil
	}
	if e.Day == "" {
		t := e.Time
		return &t, nil
	}
	t, err := dayEnd(e.Day, a.zone(ctx))
	if err != nil {
		return nil, invalid("expires_at", "expiry %q is not a date like 2026-01-31", e.Day)
	}
	return &t, nil
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
	add(b.Grant.BillingScope != c.Grant.BillingScope, "billing scope")
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
