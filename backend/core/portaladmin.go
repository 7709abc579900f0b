package core

import (
	"context"
	"errors"
	"net/url"
	"strconv"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// AdminSite is one of the owner's sites whose administration a contact may
// open, for the client area: the areas, each with a link where the site
// is set up.
type AdminSite struct {
	SiteID int64       `json:"site_id"`
	Name   string      `json:"name"`
	URL    string      `json:"url"` // the site's address; "" until the owner sets it up
	All    bool        `json:"all"` // admin access to everything
	Areas  []AdminArea `json:"areas"`
}

// AdminArea is an area a contact may open.
type AdminArea struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	URL   string `json:"url"` // the area's first path on the site; "" when unknown
}

// portalAdmin lists the sites and areas the principal's contact opens now.
func (a *App) portalAdmin(ctx context.Context, p *Principal) ([]AdminSite, error) {
	out := []AdminSite{}
	if !p.Grant.Admin {
		return out, nil
	}
	sites, err := a.sitesNow(ctx)
	if err != nil {
		return nil, err
	}
	now := a.now().Unix()
	for _, s := range sites {
		as := AdminSite{SiteID: s.ID, Name: s.Name, URL: s.BaseURL, All: p.Grant.AdminAll, Areas: []AdminArea{}}
		for i, ar := range s.Areas {
			if !access.EvaluateAdmin(&p.Grant, s, i, now).Allowed {
				continue
			}
			as.Areas = append(as.Areas, AdminArea{Name: ar.Name, Label: ar.Label, URL: areaURL(s, ar)})
		}
		if len(as.Areas) > 0 || (p.Grant.AdminAll && s.BaseURL != "") {
			out = append(out, as)
		}
	}
	return out, nil
}

func areaURL(s *model.Site, ar model.SiteArea) string {
	if s.BaseURL == "" || len(ar.Prefixes) == 0 {
		return ""
	}
	return s.BaseURL + ar.Prefixes[0]
}

// ReturnSite is the site a sign-in continues to, named for the sign-in
// page ("Sign in to continue to Shop").
type ReturnSite struct {
	Site string `json:"site"`
	URL  string `json:"url"`
}

// SigninReturn names the site behind a return address of the client
// area's sign-in: a site's hand-over (/auth/signin?site=) or an OpenID
// Connect request (/oidc/login?id=). Anything else, or a site not set up,
// is not found: the page then says nothing about where it goes.
func (a *App) SigninReturn(ctx context.Context, to string) (*ReturnSite, error) {
	u, err := url.Parse(to)
	none := &Error{Code: CodeNotFound, Message: "this sign-in does not continue to a site"}
	if err != nil || u.IsAbs() || u.Host != "" {
		return nil, none
	}
	var s *model.Site
	switch u.Path {
	case "/auth/signin":
		id, err := strconv.ParseInt(u.Query().Get("site"), 10, 64)
		if err != nil {
			return nil, none
		}
		s, err = a.store.Site(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, none
		} else if err != nil {
			return nil, err
		}
	case OIDCLoginPath:
		r, err := a.OIDCRequestByID(ctx, u.Query().Get("id"))
		if errors.Is(err, store.ErrNotFound) {
			return nil, none
		} else if err != nil {
			return nil, err
		}
		if _, s, err = a.OIDCClient(ctx, r.ClientID); errors.Is(err, store.ErrNotFound) {
			return nil, none
		} else if err != nil {
			return nil, err
		}
	default:
		return nil, none
	}
	if s.BaseURL == "" {
		return nil, none
	}
	return &ReturnSite{Site: s.Name, URL: s.BaseURL}, nil
}
