package core

import (
	"context"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// PresetView is a preset with the names of its permissions, as the grant
// editor offers it.
type PresetView struct {
	permission.Preset
	Permissions []string `json:"permissions"`
}

// AreaView is an admin area as the grant editor offers it, with its site.
type AreaView struct {
	Name   string `json:"name"`
	Label  string `json:"label"`
	SiteID int64  `json:"site_id"`
	Site   string `json:"site"`
}

// Catalog is what a grant may hold: permissions, presets, admin areas.
type Catalog struct {
	Permissions []permission.Info `json:"permissions"`
	Presets     []PresetView      `json:"presets"`
	AdminAreas  []AreaView        `json:"admin_areas"`
}

// Catalog is the owner's grant editor's choice: everything.
func (a *App) Catalog(ctx context.Context) (*Catalog, error) {
	return a.catalog(ctx, permission.FullSet, func(string) bool { return true })
}

func (a *App) catalog(ctx context.Context, held permission.Set, area func(string) bool) (*Catalog, error) {
	sites, err := a.store.Sites(ctx)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Permissions: []permission.Info{}, Presets: []PresetView{}, AdminAreas: []AreaView{}}
	for i, in := range permission.All() {
		if held.Has(permission.Permission(i)) {
			c.Permissions = append(c.Permissions, in)
		}
	}
	for _, p := range permission.Presets() {
		if p.Set&^held == 0 {
			c.Presets = append(c.Presets, PresetView{p, p.Set.Names()})
		}
	}
	for _, s := range sites {
		for _, ar := range s.Areas {
			if area(ar.Name) {
				c.AdminAreas = append(c.AdminAreas, AreaView{ar.Name, ar.Label, s.ID, s.Name})
			}
		}
	}
	return c, nil
}

// Grantable is what a contact with contacts.manage may give another
// contact: the catalog cut down to their own grant, and its limits. The
// client area's grant editor offers only this; the evaluation still
// decides every change (access.EvaluateManage).
type Grantable struct {
	Catalog
	AdminAll bool `json:"admin_all"` // may give admin access to everything
	// Services are those the contact's service-scoped permissions cover;
	// AllServices: every service of the account, also ones added later.
	Services     []ServiceName `json:"services"`
	AllServices  bool          `json:"all_services"`
	BillingScope string        `json:"billing_scope"`
	// ExpiresAt is when the contact's own access ends: no later end can be
	// given (nil: never).
	ExpiresAt *time.Time `json:"expires_at"`
}

// PortalGrantable answers what the signed-in contact may give.
func (a *App) PortalGrantable(ctx context.Context, p *Principal) (*Grantable, error) {
	if err := a.listed(ctx, p, "what contacts may be given", permission.ContactsManage, -1, -1); err != nil {
		return nil, err
	}
	g := &p.Grant
	held := map[string]bool{}
	for _, n := range g.AdminAreas {
		held[n] = true
	}
	c, err := a.catalog(ctx, g.Perms, func(name string) bool { return g.AdminAll || held[name] })
	if err != nil {
		return nil, err
	}
	out := &Grantable{Catalog: *c, AdminAll: g.AdminAll, Services: []ServiceName{}, AllServices: g.AllServices,
		BillingScope: orDefault(p.Contact.Grant.BillingScope, model.BillingServices), ExpiresAt: p.Contact.Grant.ExpiresAt}
	svcs, err := a.store.Services(ctx, p.Contact.AccountID)
	if err != nil {
		return nil, err
	}
	mine := map[int64]bool{}
	for _, id := range g.Services {
		mine[id] = true
	}
	for _, s := range svcs {
		if g.AllServices || mine[s.ID] {
			out.Services = append(out.Services, ServiceName{s.ID, s.Name})
		}
	}
	return out, nil
}
