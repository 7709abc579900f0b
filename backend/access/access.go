// Package access answers one question: may contact C do P on service S, now?
// Every caller (UI, API, contact portal) asks Evaluate; nothing else decides.
package access

import (
	"fmt"
	"slices"
	"strconv"
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
	AdminAreas     []string // area keys, sorted
}

// Service identifies the purchase a check is about. The zero value means
// "no particular service" (a general question: may C ever do P?); None
// marks an item of the account that concerns no service at all, which a
// grant limited to selected services does not cover.
type Service struct {
	ID        int64
	AccountID int64
	None      bool
	Name      string // for the words of a decision only
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

// Denials about a site's guarded paths under no area (after the
// no-escalation ones, which follow DeniedNotAboutSelected).
const (
	DeniedNoAreaOfSite Code = DeniedLongerThanYours + 1 + iota
	DeniedUnlistedNeedsAll
)

// Decision is the answer to one check. It is a value: making one never
// allocates; Reason formats the human text on demand.
type Decision struct {
	Allowed bool
	Code    Code
	Preset  string
	Perm    permission.Permission
	// Admin decisions: the site's name, and the area's label ("" for a
	// guarded path under no area).
	Admin     bool
	Site      string
	Area      string
	AreaKey   string // the area's key (what a grant names), for an access request
	AdminAll  bool
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
	// Set by the caller for the words only, never by an evaluation: the
	// service's name (its id otherwise), and the zone dates are told in
	// (UTC otherwise).
	ServiceName string
	Zone        *time.Location
}

// service names the decision's service: by name when the caller gave it.
func (d Decision) service() string {
	if d.ServiceName != "" {
		return "service " + strconv.Quote(d.ServiceName)
	}
	return "service #" + strconv.FormatInt(d.ServiceID, 10)
}

// expired words the grant's end: "expired 2026-01-31" (UTC), or in the
// caller's zone "was valid through 2026-01-30" when it ends with a day.
func (d Decision) expired() string {
	t := time.Unix(d.ExpiresAt, 0)
	if d.Zone == nil {
		return "expired " + FormatExpiry(t)
	}
	if day := LastDay(t, d.Zone); day != "" {
		return "was valid through " + day
	}
	return "expired " + t.In(d.Zone).Format("2006-01-02 15:04 MST")
}

// ends is when the grant ends, for "beyond …": its last day when it ends
// with one.
func (d Decision) ends() string {
	t := time.Unix(d.ExpiresAt, 0)
	if d.Zone == nil {
		return FormatExpiry(t)
	}
	if day := LastDay(t, d.Zone); day != "" {
		return day
	}
	return t.In(d.Zone).Format("2006-01-02 15:04 MST")
}

// LastDay is the last whole day a grant ending at t lasts through, when t
// is a midnight in loc (or, for grants written before the owner's time
// zone, in UTC); "" when t ends within a day.
func LastDay(t time.Time, loc *time.Location) string {
	for _, l := range []*time.Location{loc, time.UTC} {
		if lt := t.In(l); lt.Hour() == 0 && lt.Minute() == 0 && lt.Second() == 0 {
			return time.Date(lt.Year(), lt.Month(), lt.Day()-1, 0, 0, 0, 0, l).Format("2006-01-02")
		}
	}
	return ""
}

// Evaluate decides whether g allows p on svc at now (unix seconds).
func Evaluate(g *Grant, p permission.Permission, svc Service, now int64) Decision {
	d := Decision{Preset: g.Preset, Perm: p, ServiceID: svc.ID, ExpiresAt: g.ExpiresAt}
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
	d := Decision{Preset: g.Preset, ExpiresAt: g.ExpiresAt, Code: g.standing(now)}
	d.Allowed = d.Code == Allowed
	return d
}

// EvaluateAdmin decides whether g opens area i of site s at now; i is -1
// for a guarded path of the site that lies under no area, which the site's
// Unlisted rule decides: any admin access to the site, or only admin
// access to everything.
func EvaluateAdmin(g *Grant, s *model.Site, i int, now int64) Decision {
	d := Decision{Preset: g.Preset, Admin: true, Site: s.Name, ExpiresAt: g.ExpiresAt, AdminAll: g.AdminAll}
	if i >= 0 {
		d.Area, d.AreaKey = s.Areas[i].Label, s.Areas[i].Name
	}
	if c := g.standing(now); c != Allowed {
		d.Code = c
		return d
	}
	switch {
	case !g.Admin:
		d.Code = DeniedNoAdmin
	case g.AdminAll:
		d.Allowed = true
	case i >= 0 && !g.hasArea(s.Areas[i].Name):
		d.Code = DeniedAreaNotIncluded
	case i < 0 && s.Unlisted == model.UnlistedAllAreas:
		d.Code = DeniedUnlistedNeedsAll
	case i < 0 && !slices.ContainsFunc(s.Areas, func(a model.SiteArea) bool { return g.hasArea(a.Name) }):
		d.Code = DeniedNoAreaOfSite
	default:
		d.Allowed = true
	}
	return d
}

func (g *Grant) hasArea(name string) bool {
	_, ok := slices.BinarySearch(g.AdminAreas, name)
	return ok
}

// SiteAreas lists the keys of s's areas that g opens now, in the site's
// order (every one with admin access to everything).
func SiteAreas(g *Grant, s *model.Site, now int64) []string {
	out := []string{}
	for i, a := range s.Areas {
		if EvaluateAdmin(g, s, i, now).Allowed {
			out = append(out, a.Name)
		}
	}
	return out
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
// "denied: grant is Billing; services.cancel not included" (joined with +,
// one allocation: every check answers with it).
func (d Decision) Reason() string {
	if d.Admin {
		if r := d.adminReason(); r != "" {
			return r
		}
	}
	what := d.Perm.String()
	switch d.Code {
	case Allowed:
		switch {
		case d.ServiceID != 0 && d.Scoped:
			return "allowed: grant is " + presetLabel(d.Preset) + "; " + what + " on selected " + d.service()
		case d.Scoped:
			return "allowed: grant is " + presetLabel(d.Preset) + "; " + what + " on selected services only"
		case d.AccountWide:
			return "allowed: grant is " + presetLabel(d.Preset) + "; " + what + " on the whole account (billing is not limited to the selected services)"
		case d.Manage:
			return "allowed: grant is " + presetLabel(d.Preset) + "; contacts.manage included, within your own access"
		}
		return "allowed: grant is " + presetLabel(d.Preset) + "; " + what + " included"
	case DeniedNotAccepted:
		return "denied: invitation not accepted yet"
	case DeniedSuspended:
		return "denied: contact is suspended"
	case DeniedExpired:
		return "denied: grant " + d.expired()
	case DeniedNotIncluded:
		return "denied: grant is " + presetLabel(d.Preset) + "; " + what + " not included"
	case DeniedOtherAccount:
		if d.ServiceID == 0 {
			return "denied: this belongs to another account"
		}
		return "denied: " + d.service() + " belongs to another account"
	case DeniedNotAboutSelected:
		return "denied: grant covers selected services only; " + what + " here concerns none of them"
	case DeniedServiceNotSelected:
		return "denied: " + d.service() + " is not among the grant's selected services"
	}
	if r := d.manageReason(); r != "" {
		return r
	}
	return "denied"
}

// adminReason words the decisions only admin checks make; "" leaves the
// common ones (standing) to Reason.
func (d Decision) adminReason() string {
	switch d.Code {
	case Allowed:
		switch {
		case d.Area == "" && d.AdminAll:
			return fmt.Sprintf("allowed: admin access to everything; the path is under no area of %s", d.Site)
		case d.Area == "":
			return fmt.Sprintf("allowed: the path is under no area of %s, which any admin access to it opens", d.Site)
		case d.AdminAll:
			return fmt.Sprintf("allowed: admin access to everything includes %s: %s", d.Site, d.Area)
		}
		return fmt.Sprintf("allowed: admin access includes %s: %s", d.Site, d.Area)
	case DeniedNoAdmin:
		return "denied: contact has no admin access"
	case DeniedAreaNotIncluded:
		return fmt.Sprintf("denied: admin access does not include %s: %s", d.Site, d.Area)
	case DeniedNoAreaOfSite:
		return fmt.Sprintf("denied: admin access includes no area of %s", d.Site)
	case DeniedUnlistedNeedsAll:
		return fmt.Sprintf("denied: the path is under no area of %s, which only admin access to everything opens", d.Site)
	}
	return ""
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
		g.Admin, g.AdminAll, g.AdminAreas = true, c.Admin.All, slices.Clone(c.Admin.Areas)
		slices.Sort(g.AdminAreas)
	}
	return g, nil
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// Query is a parsed permission name: a client permission, "admin.<area>"
// or "admin.site.<id>" (the paths of a site under no area).
type Query struct {
	Admin bool
	Perm  permission.Permission
	Site  *model.Site
	Area  int // -1: under no area
}

// SitePrefix names a site's paths under no area in checks and tables.
const SitePrefix = permission.AdminPrefix + "site."

// ParseQuery parses a permission name as accepted by the check endpoint;
// admin names are looked up among sites.
func ParseQuery(name string, sites []*model.Site) (Query, error) {
	if id, ok := strings.CutPrefix(name, SitePrefix); ok {
		for _, s := range sites {
			if strconv.FormatInt(s.ID, 10) == id {
				return Query{Admin: true, Site: s, Area: -1}, nil
			}
		}
		return Query{}, &permission.UnknownError{Kind: "site", Name: id}
	}
	if area, ok := strings.CutPrefix(name, permission.AdminPrefix); ok {
		for _, s := range sites {
			for i, a := range s.Areas {
				if a.Name == area {
					return Query{Admin: true, Site: s, Area: i}, nil
				}
			}
		}
		return Query{}, &permission.UnknownError{Kind: "admin area", Name: area}
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
		return EvaluateAdmin(g, q.Site, q.Area, now)
	}
	return Evaluate(g, q.Perm, svc, now)
}
