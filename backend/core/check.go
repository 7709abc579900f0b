package core

import (
	"context"
	"strings"

	"grantbook/backend/access"
	"grantbook/backend/permission"
)

// CheckResult is the answer to "may contact C do P on service S, now?".
type CheckResult struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// Check evaluates one permission for a contact, now. It is the only path
// from stored grants to a decision.
func (a *App) Check(ctx context.Context, contactID int64, perm string, serviceID int64) (CheckResult, error) {
	sites, err := a.sitesNow(ctx)
	if err != nil {
		return CheckResult{}, err
	}
	q, err := access.ParseQuery(strings.TrimSpace(perm), sites)
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
	g, err := a.grantOf(ctx, contactID)
	if err != nil {
		return access.Grant{}, access.Service{}, err
	}
	var svc access.Service
	if serviceID != 0 {
		if svc, err = a.serviceOf(ctx, serviceID); err != nil {
			return access.Grant{}, access.Service{}, err
		}
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
	Does       string `json:"does"` // what the permission lets a contact do
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
		rows = append(rows, AccessRow{info.Name, info.Label, info.Group, d.Allowed, d.Reason(), info.Does})
	}
	sites, err := a.sitesNow(ctx)
	if err != nil {
		return nil, err
	}
	return append(rows, adminRows(&g, sites, now)...), nil
}
