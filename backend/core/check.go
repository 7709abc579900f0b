package core

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"grantbook/backend/access"
	"grantbook/backend/permission"
)

// CheckResult is the answer to "may contact C do P on service S, now?".
type CheckResult struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// AppendJSON appends r as encoding/json writes it, without reflection or
// an encoder: the check is the hottest answer.
func (r CheckResult) AppendJSON(b []byte) []byte {
	b = strconv.AppendBool(append(b, `{"allowed":`...), r.Allowed)
	return append(appendJSONString(append(b, `,"reason":`...), r.Reason), '}')
}

// appendJSONString appends s quoted as encoding/json quotes it (HTML
// escaped): quotes and backslashes escaped here, a string with a control
// character, <, >, &, invalid UTF-8, U+2028 or U+2029 left to
// encoding/json.
func appendJSONString(b []byte, s string) []byte {
	start := len(b)
	b = append(b, '"')
	last := 0 // s[:last] is in b
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(append(b, s[last:i]...), '\\', c)
				last = i + 1
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				return appendMarshalled(b[:start], s)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			return appendMarshalled(b[:start], s)
		}
		i += n
	}
	return append(append(b, s[last:]...), '"')
}

func appendMarshalled(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
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
	return CheckResult{Allowed: d.Allowed, Reason: a.worded(ctx, d).Reason()}, nil
}

// worded gives a decision for the owner the words they know: the service
// by its name (from the checks' cache), dates in their time zone.
func (a *App) worded(ctx context.Context, d access.Decision) access.Decision {
	d.Zone = a.zone(ctx)
	if d.ServiceID != 0 {
		if s, err := a.serviceOf(ctx, d.ServiceID); err == nil {
			d.ServiceName = s.Name
		}
	}
	return d
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
	named := a.worded(ctx, access.Decision{ServiceID: svc.ID}) // the service's name and the zone, read once
	for i, info := range permission.All() {
		d := access.Evaluate(&g, permission.Permission(i), svc, now)
		d.Zone, d.ServiceName = named.Zone, named.ServiceName
		rows = append(rows, AccessRow{info.Name, info.Label, info.Group, d.Allowed, d.Reason(), info.Does})
	}
	sites, err := a.sitesNow(ctx)
	if err != nil {
		return nil, err
	}
	return append(rows, adminRows(&g, sites, now, named.Zone)...), nil
}
