package core

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/permission"
)

// RequestOffer is what an access request would ask for after a refusal;
// the client area shows it as "Request access".
type RequestOffer struct {
	Kind  string `json:"kind"`
	Item  string `json:"item"`
	Label string `json:"label"`
}

// offerFor words the request a denial invites: the missing permission,
// service, admin area or billing scope. Refusals no request can lift (a
// suspension, another account, no-escalation rules) offer none.
func offerFor(d access.Decision) *RequestOffer {
	if d.Manage {
		return nil
	}
	if d.Admin {
		switch {
		case d.Code == access.DeniedUnlistedNeedsAll:
			return &RequestOffer{Kind: model.RequestAdminAll, Label: "Admin access to everything"}
		case (d.Code == access.DeniedAreaNotIncluded || d.Code == access.DeniedNoAdmin) && d.AreaKey != "":
			return &RequestOffer{Kind: model.RequestAdminArea, Item: d.AreaKey, Label: "Admin area " + d.Site + ": " + d.Area}
		}
		return nil
	}
	switch d.Code {
	case access.DeniedNotIncluded:
		return &RequestOffer{Kind: model.RequestPermission, Item: d.Perm.String(), Label: permLabel(d.Perm)}
	case access.DeniedServiceNotSelected:
		return &RequestOffer{Kind: model.RequestService, Item: strconv.FormatInt(d.ServiceID, 10), Label: fmt.Sprintf("Service #%d", d.ServiceID)}
	case access.DeniedNotAboutSelected:
		if d.Perm.Info().Billing {
			return &RequestOffer{Kind: model.RequestBillingAccount, Label: "Invoices of the whole account"}
		}
	}
	return nil
}

func permLabel(p permission.Permission) string {
	return p.Info().Label + " (" + p.String() + ")"
}

// requested is a checked request: what it asks for in words and what
// approving it adds.
type requested struct {
	kind, item, label string
	adds              []string
}

// checkRequest validates a request of c and refuses one for what the grant
// already allows: a request always asks for something new.
func (a *App) checkRequest(ctx context.Context, c *model.Contact, g *access.Grant, kind, item string) (*requested, error) {
	r := &requested{kind: kind, item: item}
	have := func() error { return conflict("your access already includes this") }
	switch kind {
	case model.RequestPermission:
		p, ok := permission.Lookup(item)
		if !ok {
			return nil, &Error{Code: CodeUnknownPermission, Field: "item", Message: fmt.Sprintf("unknown permission %q", item)}
		}
		if g.Perms.Has(p) {
			return nil, have()
		}
		r.label, r.adds = permLabel(p), []string{p.String()}
		for _, need := range p.Requires() {
			if !g.Perms.Has(need) {
				r.adds = append(r.adds, need.String())
				r.label += ", with " + need.String() + ", which it needs"
			}
		}
	case model.RequestService:
		id, err := strconv.ParseInt(item, 10, 64)
		if err != nil {
			return nil, invalid("item", "a service request names a service id")
		}
		s, err := a.store.Service(ctx, id)
		if err != nil || s.AccountID != c.AccountID {
			return nil, invalid("item", "service %d is not a service of this account", id)
		}
		if g.AllServices || slices.Contains(g.Services, id) {
			return nil, have()
		}
		r.label = "Service " + s.Name
	case model.RequestAdminArea:
		label, err := a.areaLabel(ctx, item)
		if err != nil {
			return nil, err
		}
		if g.AdminAll || slices.Contains(g.AdminAreas, item) {
			return nil, have()
		}
		r.label = "Admin area " + label
	case model.RequestAdminAll:
		if g.AdminAll {
			return nil, have()
		}
		r.item, r.label = "", "Admin access to everything"
	case model.RequestBillingAccount:
		if g.BillingAccount {
			return nil, have()
		}
		r.item, r.label = "", "Invoices of the whole account"
	case model.RequestExtend:
		if c.Grant.ExpiresAt == nil {
			return nil, conflict("your access does not end: there is nothing to extend")
		}
		r.item, r.label = "", "Extend access ("+endWords(*c.Grant.ExpiresAt, a.zone(ctx))+")"
	default:
		return nil, invalid("kind", "kind must be permission, service, admin_area, admin_all, billing_account or extend")
	}
	return r, nil
}

// areaLabel is "Site: Area" for an area key.
func (a *App) areaLabel(ctx context.Context, key string) (string, error) {
	sites, err := a.store.Sites(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range sites {
		for _, ar := range s.Areas {
			if ar.Name == key {
				return s.Name + ": " + ar.Label, nil
			}
		}
	}
	return "", invalid("item", "no admin area %q", key)
}

// approvalPatch is the change of c's grant an approved request makes:
// exactly what was asked for, and nothing else.
func approvalPatch(c *model.Contact, r *model.AccessRequest) (ContactPatch, error) {
	var p ContactPatch
	switch r.Kind {
	case model.RequestPermission:
		perms := slices.Clone(c.Grant.Permissions)
		for _, n := range r.Adds {
			if !slices.Contains(perms, n) {
				perms = append(perms, n)
			}
		}
		custom := permission.PresetCustom
		p.Preset, p.Permissions = &custom, &perms
	case model.RequestService:
		if c.Grant.AllServices {
			return p, nil
		}
		id, err := strconv.ParseInt(r.Item, 10, 64)
		if err != nil {
			return p, err
		}
		ids := append(slices.Clone(c.Grant.ServiceIDs), id)
		p.ServiceIDs = &ids
	case model.RequestAdminArea:
		in := AdminInput{Areas: []string{r.Item}}
		if c.Admin != nil {
			in = AdminInput{All: c.Admin.All, Areas: append(slices.Clone(c.Admin.Areas), r.Item)}
		}
		p.Admin = Nullable[AdminInput]{Set: true, Value: &in}
	case model.RequestAdminAll:
		p.Admin = Nullable[AdminInput]{Set: true, Value: &AdminInput{All: true}}
	case model.RequestBillingAccount:
		scope := model.BillingAccount
		p.BillingScope = &scope
	}
	return p, nil
}

// requestURL is the client area's page that offers o (/portal?request=
// kind&item=item), at Grantbook's public address; "" when none is set.
func (a *App) requestURL(ctx context.Context, o *RequestOffer) (string, error) {
	portal, err := a.clientAreaURL(ctx)
	if err != nil || portal == "" {
		return "", err
	}
	q := url.Values{"request": {o.Kind}}
	if o.Item != "" {
		q.Set("item", o.Item)
	}
	return portal + "?" + q.Encode(), nil
}
