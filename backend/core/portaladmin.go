package core

import (
	"context"

	"grantbook/backend/access"
	"grantbook/backend/model"
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
