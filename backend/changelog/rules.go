package changelog

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// hubMay says why the hub may not make change e to a row whose current
// state is old (nil: no such row), or "" when it may. The hub originates
// contact actions, edits the profile fields a contact may edit, and may
// reduce access (suspend a contact, narrow or end a grant), never extend it.
func hubMay(e Event, old row) string {
	t, ok := tables[e.Entity]
	if !ok {
		return fmt.Sprintf("%s is not replicated", e.Entity)
	}
	var f row
	if e.Op == Upsert {
		var err error
		if f, err = decodeRow(e.Fields); err != nil {
			return err.Error()
		}
	}
	switch t.class {
	case ownerOnly:
		return fmt.Sprintf("%s are written by the owner only", e.Entity)
	case profile:
		if e.Op == Delete {
			return fmt.Sprintf("the hub may not delete %s", e.Entity)
		}
		if old == nil {
			return fmt.Sprintf("the hub may not create %s", e.Entity)
		}
		for _, k := range sortedKeys(f) {
			if !slices.Contains(t.hubFields, k) && !same(f[k], old[k]) {
				return fmt.Sprintf("%s.%s is written by the owner only", e.Entity, k)
			}
		}
		switch e.Entity {
		case "contacts":
			return contactStatus(f, old)
		case "invoices":
			return statusMove(e.Entity, f, old, map[string]string{"unpaid": "reported"})
		case "quotes":
			return statusMove(e.Entity, f, old, map[string]string{"open": "accepted declined"})
		}
		return ""
	case grantRows:
		if e.Op == Delete {
			if e.Entity == "grants" {
				// Every contact has a grant row; the owner's lists need it.
				return "the hub may not delete a grant (it may suspend the contact)"
			}
			return "" // a service leaving the grant only reduces access
		}
		if old == nil {
			return fmt.Sprintf("the hub may not give access (new %s %s)", e.Entity, e.Key)
		}
		return narrower(f, old)
	case contactAction:
		// Rows the hub made carry ids of its range (store.newID); others are the owner's.
		n, _ := strconv.ParseInt(e.Key, 10, 64)
		hubs := n >= HubIDBase && n < 2*HubIDBase
		if e.Op == Delete && !hubs {
			return fmt.Sprintf("the hub may delete only its own %s", e.Entity)
		}
		if e.Op == Upsert && old == nil && !hubs {
			return fmt.Sprintf("a new %s from the hub must take an id from %d up", e.Entity, HubIDBase)
		}
		return ""
	}
	return "unknown table class"
}

// contactStatus allows the hub a suspension, never a reinstatement.
func contactStatus(f, old row) string {
	s, ok := f["status"]
	if !ok || same(s, old["status"]) {
		return ""
	}
	if s != "suspended" {
		return fmt.Sprintf("the hub may suspend a contact, not make it %v", s)
	}
	return ""
}

// statusMove allows the hub only the status changes a contact makes
// (from → the space-separated statuses it may go to).
func statusMove(entity string, f, old row, moves map[string]string) string {
	s, ok := f["status"]
	if !ok || same(s, old["status"]) {
		return ""
	}
	if !slices.Contains(strings.Fields(moves[str(old["status"])]), str(s)) {
		return fmt.Sprintf("the hub may not make %s %v %v", entity, old["status"], s)
	}
	return ""
}

// narrower says how grant fields f widen the grant old, or "".
func narrower(f, old row) string {
	for _, k := range sortedKeys(f) {
		v, o := f[k], old[k]
		if same(v, o) {
			continue
		}
		switch k {
		case "permissions":
			if !subset(str(v), str(o)) {
				return "the hub may not add permissions"
			}
		case "all_services", "admin_all":
			if num(v) > num(o) {
				return fmt.Sprintf("the hub may not widen %s", k)
			}
		case "admin_areas":
			if v != nil && (o == nil || !subset(str(v), str(o))) {
				return "the hub may not add admin areas"
			}
		case "expires_at":
			if v == nil || (o != nil && num(v) > num(o)) {
				return "the hub may not extend access"
			}
		case "billing_scope":
			if str(v) != "services" {
				return "the hub may not widen the billing scope"
			}
		case "preset", "term_days": // labels and the length an extension would use: no access by themselves
		default:
			return fmt.Sprintf("the hub may not change grant field %s", k)
		}
	}
	return ""
}

func same(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) && (a == nil) == (b == nil) }

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func num(v any) float64 {
	n, _ := v.(json.Number)
	f, _ := n.Float64()
	return f
}

// subset: every space-separated word of a is in b.
func subset(a, b string) bool {
	have := strings.Fields(b)
	for _, w := range strings.Fields(a) {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
