// Package permission holds the catalog of client-area actions, the presets
// built from them and the admin areas a site starts with. Names are
// stable: they are stored in the database and used by the API.
package permission

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Permission is an index into the catalog; a Set is a bitmask of them, so an
// access check is one AND and never allocates.
type Permission uint8

// Set is a set of client permissions.
type Set uint32

const (
	ProfileView Permission = iota
	ProfileEdit
	ContactsManage
	ServicesView
	ServicesModify
	ServicesCancel
	SupportOpen
	SupportView
	SupportViewAll
	InvoicesView
	InvoicesPay
	QuotesView
	QuotesAccept
	EmailsView
	OrdersPlace
	count
)

// Info describes one client permission.
type Info struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Group string `json:"group"`
	// ServiceScoped permissions act on one purchase and obey a grant's
	// service selection.
	ServiceScoped bool `json:"service_scoped"`
	// Billing permissions follow the grant's billing scope: a grant whose
	// billing covers the whole account allows them on every service.
	Billing bool `json:"billing"`
	// Does says what the permission lets a contact do in the client area.
	Does string `json:"does"`
}

var catalog = [count]Info{
	ProfileView:    {"profile.view", "View profile and personal data", "Profile", false, false, "See the account's name, email, phone and address."},
	ProfileEdit:    {"profile.edit", "Edit profile and personal data", "Profile", false, false, "Change the account's email, phone and address."},
	ContactsManage: {"contacts.manage", "Manage contacts", "Profile", false, false, "List, invite, add, edit, suspend and remove the account's other contacts, giving at most their own access."},
	ServicesView:   {"services.view", "View services", "Services", true, false, "See services, their settings and their history."},
	ServicesModify: {"services.modify", "Modify services", "Services", true, false, "Change the settings a service's kind allows (nameservers, auto-renew, label…) and ask for a password reset."},
	ServicesCancel: {"services.cancel", "Cancel services", "Services", true, false, "Ask for a service to be cancelled now or at the end of its term, and withdraw the request."},
	SupportOpen:    {"support.open", "Open support requests", "Support", true, false, "Open support requests, reply to them and close them."},
	SupportView:    {"support.view", "View support requests", "Support", true, false, "Read support requests about the selected services and their replies."},
	SupportViewAll: {"support.view_all", "View support requests unrelated to the selected services", "Support", false, false, "Read every support request of the account and its replies."},
	InvoicesView:   {"invoices.view", "View invoices", "Billing", true, true, "See invoices; receive invoice notices when the owner sends them."},
	InvoicesPay:    {"invoices.pay", "Pay invoices", "Billing", true, true, "See how to pay an invoice and report a payment for the owner to confirm."},
	QuotesView:     {"quotes.view", "View quotes", "Billing", false, false, "See the account's quotes."},
	QuotesAccept:   {"quotes.accept", "Accept quotes", "Billing", false, false, "Accept or decline the account's open quotes (needs quotes.view)."},
	EmailsView:     {"emails.view", "View emails and payment notices", "Billing", false, false, "Read every mail Grantbook sent to the account and its contacts."},
	OrdersPlace:    {"orders.place", "Place orders", "Billing", false, false, "Order products of the catalogue or upgrades, for the owner to accept."},
}

var byName = func() map[string]Permission {
	m := make(map[string]Permission, count)
	for i, in := range catalog {
		m[in.Name] = Permission(i)
	}
	return m
}()

// All lists the catalog in display order.
func All() []Info { return catalog[:] }

// Info returns the description of p.
func (p Permission) Info() Info { return catalog[p] }

func (p Permission) String() string { return catalog[p].Name }

// Lookup finds a permission by its dotted name.
func Lookup(name string) (Permission, bool) {
	p, ok := byName[name]
	return p, ok
}

// Requires lists what p needs beside it: a contact accepts only quotes
// they can see. Grants are checked against it (core), and an approved
// access request adds what is required too.
func (p Permission) Requires() []Permission {
	if p == QuotesAccept {
		return []Permission{QuotesView}
	}
	return nil
}

// Has reports whether p is in s.
func (s Set) Has(p Permission) bool { return s&(1<<p) != 0 }

// With returns s plus p.
func (s Set) With(p Permission) Set { return s | 1<<p }

// Len counts the permissions in s.
func (s Set) Len() int { return bits.OnesCount32(uint32(s)) }

// Names lists the names in s, sorted.
func (s Set) Names() []string {
	out := make([]string, 0, s.Len())
	for p := Permission(0); p < count; p++ {
		if s.Has(p) {
			out = append(out, catalog[p].Name)
		}
	}
	sort.Strings(out)
	return out
}

// UnknownError names a permission or area that is not in a catalog.
type UnknownError struct {
	Kind string // "permission" or "admin area"
	Name string
}

func (e *UnknownError) Error() string { return fmt.Sprintf("unknown %s %q", e.Kind, e.Name) }

// Parse builds a Set from names; it fails on the first unknown name.
func Parse(names []string) (Set, error) {
	var s Set
	for _, n := range names {
		p, ok := Lookup(strings.TrimSpace(n))
		if !ok {
			return 0, &UnknownError{Kind: "permission", Name: n}
		}
		s = s.With(p)
	}
	return s, nil
}

// Preset names.
const (
	PresetFull      = "full"
	PresetPersonal  = "personal"
	PresetTechnical = "technical"
	PresetBilling   = "billing"
	PresetCustom    = "custom"
)

// Preset is a named, documented set of permissions.
type Preset struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Description string `json:"description"`
	Set         Set    `json:"-"`
}

func setOf(ps ...Permission) Set {
	var s Set
	for _, p := range ps {
		s = s.With(p)
	}
	return s
}

// FullSet is every client permission.
const FullSet = Set(1<<count - 1)

var presets = []Preset{
	{PresetFull, "Full", "Everything the account holder can do in the client area, including managing contacts and cancelling services.", FullSet},
	{PresetPersonal, "Personal", "Profile and personal data, and the emails sent to the account.", setOf(ProfileView, ProfileEdit, EmailsView)},
	{PresetTechnical, "Technical", "View services, open and see support requests about them.", setOf(ServicesView, SupportOpen, SupportView)},
	{PresetBilling, "Billing", "Invoices, quotes and payment notices; can pay invoices.", setOf(InvoicesView, InvoicesPay, QuotesView, EmailsView)},
	{PresetCustom, "Custom", "Single actions picked one by one.", 0},
}

// Presets lists the presets in display order, custom last.
func Presets() []Preset { return presets }

// LookupPreset finds a preset by name.
func LookupPreset(name string) (Preset, bool) {
	for _, p := range presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// AdminArea is one part of the administration of the owner's own site.
type AdminArea struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

var adminAreas = []AdminArea{
	{"dashboard", "Dashboard"},
	{"content", "Pages and content"},
	{"orders", "Orders"},
	{"customers", "Customers"},
	{"products", "Products and prices"},
	{"reports", "Reports"},
	{"settings", "Site settings"},
	{"users", "Admin users"},
}

// AdminAreas lists the areas a new site starts with, in display order.
// Sites keep their own areas (see package site); these names stay the keys
// of the first site's areas, which grants made before sites existed name.
func AdminAreas() []AdminArea { return adminAreas }

// AdminPrefix starts the name of an admin-area check, e.g. "admin.orders".
const AdminPrefix = "admin."
