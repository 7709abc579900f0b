package changelog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// class is who may write a replicated table (docs/sync.md).
type class int

const (
	ownerOnly     class = iota // the owner's devices only
	profile                    // the owner; the hub only the fields a contact may edit
	grantRows                  // the owner; the hub only to reduce access
	contactAction              // both: the hub creates them (contact actions), the owner decides
)

type table struct {
	pk    []string
	class class
	// hubFields are the fields the hub may change on an existing row of a
	// profile table (contacts: a suspension too, checked in rules.go).
	hubFields []string
}

// tables are the replicated tables; migration 18's triggers log exactly these.
var tables = map[string]table{
	"accounts":       {pk: []string{"id"}, class: profile, hubFields: []string{"email", "phone", "address"}},
	"contacts":       {pk: []string{"id"}, class: profile, hubFields: []string{"first_name", "last_name", "phone", "company", "search_key", "search_group", "updated_at", "status", "suspended_by"}},
	"services":       {pk: []string{"id"}, class: profile, hubFields: []string{"settings"}},
	"grants":         {pk: []string{"contact_id"}, class: grantRows},
	"grant_services": {pk: []string{"contact_id", "service_id"}, class: grantRows},
	"settings":       {pk: []string{"key"}, class: ownerOnly},
	// A contact reports paying an invoice, accepts or declines a quote (checked in rules.go).
	"invoices":         {pk: []string{"id"}, class: profile, hubFields: []string{"status"}},
	"quotes":           {pk: []string{"id"}, class: profile, hubFields: []string{"status", "decided_at", "decided_by", "decision_note"}},
	"products":         {pk: []string{"id"}, class: ownerOnly},
	"sites":            {pk: []string{"id"}, class: ownerOnly},
	"site_areas":       {pk: []string{"name"}, class: ownerOnly},
	"support_requests": {pk: []string{"id"}, class: contactAction},
	"support_replies":  {pk: []string{"id"}, class: contactAction},
	"payment_reports":  {pk: []string{"id"}, class: contactAction},
	"orders":           {pk: []string{"id"}, class: contactAction},
	"access_requests":  {pk: []string{"id"}, class: contactAction},
	"cancellations":    {pk: []string{"id"}, class: contactAction},
	"service_changes":  {pk: []string{"id"}, class: contactAction},
}

// order is the tables in an order where a row's references come first:
// the snapshot lists them so.
var order = []string{"settings", "products", "sites", "site_areas", "accounts", "services", "contacts", "grants",
	"grant_services", "invoices", "quotes", "support_requests", "support_replies", "payment_reports", "orders",
	"access_requests", "cancellations", "service_changes"}

// verifiedTables are those whose rows the hub's access check compares
// with the verified state: a contact's rows and grant, the services a
// grant of all services covers, and the admin site's areas (their paths
// are what an admin grant opens).
var verifiedTables = map[string]bool{"contacts": true, "grants": true, "grant_services": true,
	"services": true, "sites": true, "site_areas": true}

// row is a row's fields as JSON values (numbers as json.Number).
type row map[string]any

func decodeRow(b []byte) (row, error) {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var r row
	if err := d.Decode(&r); err != nil {
		return nil, fmt.Errorf("fields: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("fields: trailing data")
	}
	for k, v := range r {
		switch v.(type) {
		case nil, string, json.Number:
		case bool:
		default:
			return nil, fmt.Errorf("field %s: not a plain value", k)
		}
	}
	return r, nil
}

// sqlValue is a JSON value as SQLite takes it.
func sqlValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, string:
		return v, nil
	case bool:
		if v {
			return int64(1), nil
		}
		return int64(0), nil
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i, nil
		}
		return v.Float64()
	}
	return nil, fmt.Errorf("not a plain value: %T", v)
}

// keyValues splits an event key into the table's primary key values.
func keyValues(t table, key string) ([]any, error) {
	if len(t.pk) == 1 {
		if t.pk[0] == "key" || t.pk[0] == "name" {
			return []any{key}, nil
		}
		n, err := strconv.ParseInt(key, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != key {
			return nil, fmt.Errorf("key %q is not an id", key)
		}
		return []any{n}, nil
	}
	var parts []json.Number
	d := json.NewDecoder(strings.NewReader(key))
	d.UseNumber()
	if err := d.Decode(&parts); err != nil || len(parts) != len(t.pk) {
		return nil, fmt.Errorf("key %q is not a pair of ids", key)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		n, err := p.Int64()
		if err != nil {
			return nil, fmt.Errorf("key %q is not a pair of ids", key)
		}
		out[i] = n
	}
	return out, nil
}

// keyOf is the event key of a row (the triggers' rule, in Go).
func keyOf(t table, r row) (string, bool) {
	if len(t.pk) == 1 {
		switch v := r[t.pk[0]].(type) {
		case string:
			return v, true
		case json.Number:
			return v.String(), true
		}
		return "", false
	}
	parts := make([]string, len(t.pk))
	for i, c := range t.pk {
		n, ok := r[c].(json.Number)
		if !ok {
			return "", false
		}
		parts[i] = n.String()
	}
	return "[" + strings.Join(parts, ",") + "]", true
}

func ident(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func pkWhere(t table) string {
	w := make([]string, len(t.pk))
	for i, c := range t.pk {
		w[i] = ident(c) + " = ?"
	}
	return strings.Join(w, " AND ")
}
