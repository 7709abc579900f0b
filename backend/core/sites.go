package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/site"
	"grantbook/backend/store"
)

// SitesView is what Settings → Your site shows.
type SitesView struct {
	Sites    []*model.Site    `json:"sites"`
	Template []model.SiteArea `json:"template"`
	// Issuer is the OpenID Connect issuer: the client area's address
	// (Settings → Client area), "" until it is set.
	Issuer string `json:"issuer"`
}

// Sites lists the owner's sites with the template new areas start from.
func (a *App) Sites(ctx context.Context) (*SitesView, error) {
	sites, err := a.store.Sites(ctx)
	if err != nil {
		return nil, err
	}
	pub, err := a.PublicAddress(ctx)
	if err != nil {
		return nil, err
	}
	return &SitesView{Sites: sites, Template: site.Template(), Issuer: pub}, nil
}

// SiteInput creates or replaces a site; Areas replace the site's areas.
type SiteInput struct {
	Name     string           `json:"name"`
	BaseURL  string           `json:"base_url"`
	Unlisted string           `json:"unlisted"`
	Areas    []model.SiteArea `json:"areas"`
	// A site as GET returns it may be sent back: these are ignored.
	ID        int64 `json:"id"`
	CreatedAt any   `json:"created_at"`
	UpdatedAt any   `json:"updated_at"`
}

func (in SiteInput) site() (*model.Site, error) {
	s := &model.Site{Name: in.Name, BaseURL: in.BaseURL, Unlisted: in.Unlisted, Areas: slices.Clone(in.Areas)}
	if s.Areas == nil {
		s.Areas = []model.SiteArea{}
	}
	if err := site.Normalise(s); err != nil {
		var fe *site.FieldError
		if errors.As(err, &fe) {
			return nil, invalid(fe.Field, "%s", fe.Message)
		}
		return nil, err
	}
	return s, nil
}

// CreateSite adds a site.
func (a *App) CreateSite(ctx context.Context, in SiteInput) (*model.Site, error) {
	s, err := in.site()
	if err != nil {
		return nil, err
	}
	now := a.now().UTC().Truncate(time.Second)
	s.CreatedAt, s.UpdatedAt = now, now
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := a.checkSiteHost(ctx, tx, s); err != nil {
			return err
		}
		if err := tx.InsertSite(ctx, s); err != nil {
			return areaKeyError(err)
		}
		e.Action, e.Entity, e.EntityID, e.After = "site.create", "site", s.ID, s
		e.Summary = fmt.Sprintf("Added site %s with %d admin area(s)", s.Name, len(s.Areas))
		return nil
	})
	return s, err
}

// UpdateSite replaces a site's settings and areas. An area that contacts
// hold cannot go: their grants name it.
func (a *App) UpdateSite(ctx context.Context, id int64, in SiteInput) (*model.Site, error) {
	s, err := in.site()
	if err != nil {
		return nil, err
	}
	s.ID = id
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := tx.Site(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("site", id)
		}
		if err != nil {
			return err
		}
		if err := a.checkSiteHost(ctx, tx, s); err != nil {
			return err
		}
		if err := keepHeldAreas(ctx, tx, before, s); err != nil {
			return err
		}
		s.CreatedAt, s.UpdatedAt = before.CreatedAt, a.now().UTC().Truncate(time.Second)
		if err := tx.UpdateSite(ctx, s); err != nil {
			return areaKeyError(err)
		}
		e.Action, e.Entity, e.EntityID, e.Before, e.After = "site.update", "site", id, before, s
		e.Summary = "Changed site " + s.Name
		return nil
	})
	return s, err
}

// DeleteSite removes a site, its areas and its OpenID Connect clients.
func (a *App) DeleteSite(ctx context.Context, id int64) error {
	return a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		before, err := tx.Site(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("site", id)
		}
		if err != nil {
			return err
		}
		if err := keepHeldAreas(ctx, tx, before, &model.Site{}); err != nil {
			return err
		}
		e.Action, e.Entity, e.EntityID, e.Before = "site.delete", "site", id, before
		e.Summary = "Removed site " + before.Name
		return tx.DeleteSite(ctx, id)
	})
}

// keepHeldAreas refuses to drop areas that grants name.
func keepHeldAreas(ctx context.Context, tx *store.Tx, before, after *model.Site) error {
	var gone []string
	for _, a := range before.Areas {
		if !slices.ContainsFunc(after.Areas, func(b model.SiteArea) bool { return b.Name == a.Name }) {
			gone = append(gone, a.Name)
		}
	}
	held, err := tx.AreaHolders(ctx, gone)
	if err != nil {
		return err
	}
	var msgs []string
	for _, n := range gone {
		if held[n] > 0 {
			msgs = append(msgs, fmt.Sprintf("%s (%d contact(s))", n, held[n]))
		}
	}
	if len(msgs) > 0 {
		return &Error{Code: CodeConflict, Field: "areas", Message: "contacts have admin access to " + strings.Join(msgs, ", ") +
			": take it out of their access first; an area's key never changes, its label and prefixes may"}
	}
	return nil
}

// checkSiteHost keeps one site per host name: forward authentication
// finds the site by the host a request was for.
func (a *App) checkSiteHost(ctx context.Context, tx *store.Tx, s *model.Site) error {
	if s.BaseURL == "" {
		return nil
	}
	sites, err := tx.Sites(ctx)
	if err != nil {
		return err
	}
	for _, o := range sites {
		if o.ID != s.ID && o.BaseURL != "" && site.Host(o) == site.Host(s) {
			return &Error{Code: CodeConflict, Field: "base_url", Message: fmt.Sprintf("site %s already has the host %s", o.Name, site.Host(s))}
		}
	}
	return nil
}

func areaKeyError(err error) error {
	if errors.Is(err, store.ErrDuplicate) {
		return &Error{Code: CodeConflict, Field: "areas", Message: strings.TrimSuffix(err.Error(), ": "+store.ErrDuplicate.Error()) +
			" is the key of another site's area: keys are unique across sites"}
	}
	return err
}

// siteByHost finds the site a forwarded request was for.
func (a *App) siteByHost(ctx context.Context, host string) (*model.Site, error) {
	sites, err := a.sitesNow(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range sites {
		if s.BaseURL != "" && site.Host(s) == host {
			return s, nil
		}
	}
	return nil, nil
}

// validAdminAreas checks that every area a grant names is one of a site's.
func (a *App) validAdminAreas(ctx context.Context, names []string) ([]string, error) {
	sites, err := a.store.Sites(ctx)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	var order []string
	for _, s := range sites {
		for _, ar := range s.Areas {
			known[ar.Name] = true
			order = append(order, ar.Name)
		}
	}
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !known[n] {
			return nil, &Error{Code: CodeUnknownPermission, Field: "admin", Message: fmt.Sprintf("unknown admin area %q", n)}
		}
		want[n] = true
	}
	out := []string{}
	for _, n := range order {
		if want[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// adminRows explain admin decisions for the effective-access table: each
// area of each site, then the site's guarded paths under no area.
func adminRows(g *access.Grant, sites []*model.Site, now int64) []AccessRow {
	var rows []AccessRow
	for _, s := range sites {
		group := "Admin: " + s.Name
		for i, ar := range s.Areas {
			d := access.EvaluateAdmin(g, s, i, now)
			rows = append(rows, AccessRow{permission.AdminPrefix + ar.Name, ar.Label, group, d.Allowed, d.Reason(), ""})
		}
		d := access.EvaluateAdmin(g, s, -1, now)
		rows = append(rows, AccessRow{access.SitePrefix + strconv.FormatInt(s.ID, 10), "Paths under no area", group, d.Allowed, d.Reason(),
			"Open the site's guarded pages that lie under none of its areas."})
	}
	return rows
}
