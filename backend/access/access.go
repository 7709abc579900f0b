// Package access answers one question: may contact C do P on service S, now?
// Every caller (UI, API, contact portal) asks Evaluate; nothing else decides.
package access

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// Grant is a contact's access compiled for fast checks.
type Grant struct {
	ContactID   int64
	AccountID   int64
	Status      string // model.StatusActive, StatusInvited or StatusSuspended
	Preset      string
	Perms       permission.Set
	AllServices bool
	Services    []int64 // sorted
	// BillingAccount: billing permissions cover the whole account, not
	// only the selected services.
	BillingAccount bool
	ExpiresAt      int64 // unix seconds; 0 means never
	Admin          bool
	AdminAll       bool
	AdminAreas     permission.AreaSet
}

// Service identifies the purchase a check is about. The zero value means
// "no particular service" (a general question: may C ever do P?); None
// marks an item of the account that concerns no service at all, which a
// grant limited to selected services does not cover.
type Service struct {
	ID        int64
	AccountID int64
	None      bool
}

// NoService is an item of the account that concerns no service.
func NoService(accountID int64) Service { return Service{AccountID: accountID, None: true} }

// Code says why a decision was reached.
type Code uint8

const (
	Allowed Code = iota
	DeniedNotAccepted
	DeniedSuspended
	DeniedExpired
	DeniedNotIncluded
	DeniedOtherAccount
	DeniedServiceNotSelected
	DeniedNoAdmin
	DeniedAreaNotIncluded
	DeniedNotAboutSelected
)

// Decision is the answer to one check. It is a value: making one never
// allocates; Reason formats the human text on demand.
type Decision struct {
	Allowed   bool
	Code      Code
	Preset    string
	Perm      permission.Permission
	Area      int8 // admin area index, -1 for client permissions
	ServiceID int64
	Scoped    bool // allowed only on selected services
	// AccountWide: a billing permission allowed on the whole account
	// although the grant's services are selected ones.
	AccountWide bool
	// Manage marks a no-escalation decision (EvaluateManage); Target says
	// its denial is about the contact being managed (their current grant),
	// not the grant being given.
	Manage    bool
	Target    bool
	ExpiresAt int64
}

// Evaluate decides whether g allows p on svc at now (unix seconds).
func Evaluate(g *Grant, p permission.Permission, svc Service, now int64) Decision {
	d := Decision{Preset: g.Preset, Perm: p, Area: -1, ServiceID: svc.ID, ExpiresAt: g.ExpiresAt}
	if c := g.standing(now); c != Allowed {
		d.Code = c
		return d
	}
	if !g.Perms.Has(p) {
		d.Code = DeniedNotIncluded
		return d
	}
	limited := g.limits(p)
	if svc.ID != 0 || svc.None {
		if svc.AccountID != g.AccountID {
			d.Code = DeniedOtherAccount
			return d
		}
		if limited {
			if svc.None {
				d.Code = DeniedNotAboutSelected
				return d
			}
			if !g.hasService(svc.ID) {
				d.Code = DeniedServiceNotSelected
				return d
			}
		}
	}
	d.Scoped = limited
	d.AccountWide = p.Info().ServiceScoped && !g.AllServices && !limited
	d.Allowed = true
	return d
}

// limits reports whether the grant's service selection restricts p: a
// service-scoped permission on a grant of selected services, unless it is
// a billing permission and billing covers the whole account.
func (g *Grant) limits(p permission.Permission) bool {
	in := p.Info()
	return in.ServiceScoped && !g.AllServices && !(in.Billing && g.BillingAccount)
}

// Standing decides what holds for every permission: the contact is active
// and the grant has not expired. Only a denial's Reason is meaningful.
func Standing(g *Grant, now int64) Decision {
	d := Decision{Preset: g.Preset, Area: -1, ExpiresAt: g.ExpiresAt, Code: g.standing(now)}
	d.Allowed = d.Code == Allowed
	return d
}

// EvaluateAdmin decides whether g gives access to admin area i at now.
func EvaluateAdmin(g *Grant, area int, now int64) Decision {
	d := Decision{Preset: g.Preset, Area: int8(area), ExpiresAt: g.ExpiresAt}
	if c := g.standing(now); c != Allowed {
		d.Code = c
		return d
	}
	switch {
	case !g.Admin:
		d.Code = DeniedNoAdmin
	case !g.AdminAll && !g.AdminAreas.Has(area):
		d.Code = DeniedAreaNotIncluded
	default:
		d.Allowed = true
	}
	return d
}

// standing checks what holds for every permission: status and expiry.
func (g *Grant) standing(now int64) Code {
	switch {
	case g.Status == model.StatusInvited:
		return DeniedNotAccepted
	case g.Status != model.StatusActive:
		return DeniedSuspended
	case g.ExpiresAt != 0 && now >= g.ExpiresAt:
		return DeniedExpired
	}
	return Allowed
}

func (g *Grant) hasService(id int64) bool {
	lo, hi := 0, len(g.Services)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch v := g.Services[m]; {
		case v == id:
			return true
		case v < id:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}

// Reason is the decision in words, e.g.
// "denied: grant is Billing; services.cancel not included".
func (d Decision) Reason() string {
	what := d.Perm.String()
	if d.Area >= 0 {
		what = permission.AdminPrefix + permission.AdminAreas()[d.Area].Name
	}
	switch d.Code {
	case Allowed:
		switch {
		case d.Area >= 0:
			return fmt.Sprintf("allowed: admin access includes %s", permission.AdminAreas()[d.Area].Label)
		case d.ServiceID != 0 && d.Scoped:
			return fmt.Sprintf("allowed: grant is %s; %s on selected service #%d", presetLabel(d.Preset), what, d.ServiceID)
		case d.Scoped:
			return fmt.Sprintf("allowed: grant is %s; %s on selected services only", presetLabel(d.Preset), what)
		case d.AccountWide:
			return fmt.Sprintf("allowed: grant is %s; %s on the whole account (billing is not limited to the selected services)", presetLabel(d.Preset), what)
		case d.Manage:
			return fmt.Sprintf("allowed: grant is %s; contacts.manage included, within your own access", presetLabel(d.Preset))
		}
		return fmt.Sprintf("allowed: grant is %s; %s included", presetLabel(d.Preset), what)
	case DeniedNotAccepted:
		return "denied: invitation not accepted yet"
	case DeniedSuspended:
		return "denied: contact is suspended"
	case DeniedExpired:
		return "denied: grant expired " + FormatExpiry(time.Unix(d.ExpiresAt, 0))
	case DeniedNotIncluded:
		return fmt.Sprintf("denied: grant is %s; %s not included", presetLabel(d.Preset), what)
	case DeniedOtherAccount:
		if d.ServiceID == 0 {
			return "denied: this belongs to another account"
		}
		return fmt.Sprintf("denied: service #%d belongs to another account", d.ServiceID)
	case DeniedNotAboutSelected:
		return fmt.Sprintf("denied: grant covers selected services only; %s here concerns none of them", what)
	case DeniedServiceNotSelected:
		return fmt.Sprintf("denied: service #%d is not among the grant's selected services", d.ServiceID)
	case DeniedNoAdmin:
		return "denied: contact has no admin access"
	case DeniedAreaNotIncluded:
		return fmt.Sprintf("denied: admin access does not include %s", permission.AdminAreas()[d.Area].Label)
	}
	if r := d.manageReason(); r != "" {
		return r
	}
	return "denied"
}

// FormatExpiry prints an expiry as a date when it falls on midnight UTC,
// as a date and time otherwise.
func FormatExpiry(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

func presetLabel(name string) string {
	if p, ok := permission.LookupPreset(name); ok {
		return p.Label
	}
	return name
}

// Compile turns a stored contact into a Grant. It fails only on names that
// are no longer in the catalog.
func Compile(c *model.Contact) (Grant, error) {
	perms, err := permission.Parse(c.Grant.Permissions)
	if err != nil {
		return Grant{}, err
	}
	g := Grant{
		ContactID: c.ID, AccountID: c.AccountID, Status: c.Status, Preset: c.Grant.Preset,
		Perms: perms, AllServices: c.Grant.AllServices, Services: sortedIDs(c.Grant.ServiceIDs),
		BillingAccount: c.Grant.BillingScope == model.BillingAccount,
	}
	if c.Grant.ExpiresAt != nil {
		g.ExpiresAt = c.Grant.ExpiresAt.Unix()
	}
	if c.Admin != nil {
		areas, err := permission.ParseAreas(c.Admin.Areas)
		if err != nil {
			return Grant{}, err
		}
		g.Admin, g.AdminAll, g.AdminAreas = true, c.Admin.All, areas
	}
	return g, nil
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// Query is a parsed permission name: a client permission or "admin.<area>".
type Query struct {
	Admin bool
	Perm  permission.Permission
	Area  int
}

// ParseQuery parses a permission name as accepted by the check endpoint.
func ParseQuery(name string) (Query, error) {
	if area, ok := strings.CutPrefix(name, permission.AdminPrefix); ok {
		i, found := permission.LookupArea(area)
		if !found {
			return Query{}, &permission.UnknownError{Kind: "admin area", Name: area}
		}
		return Query{Admin: true, Area: i}, nil
	}
	p, ok := permission.Lookup(name)
	if !ok {
		return Query{}, &permission.UnknownError{Kind: "permission", Name: name}
	}
	return Query{Perm: p}, nil
}

// Check evaluates a parsed query.
func Check(g *Grant, q Query, svc Service, now int64) Decision {
	if q.Admin {
		return EvaluateAdmin(g, q.Area, now)
	}
	return Evaluate(g, q.Perm, svc, now)
}
