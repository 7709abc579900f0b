package permission_test

import (
	"errors"
	"regexp"
	"slices"
	"sort"
	"testing"

	"grantbook/backend/permission"
)

// The catalog written out by hand: a rename, removal or addition in
// permission.go must be a conscious change that also updates this list
// (names are stored in the database and used by the API).
var wantCatalog = []struct {
	name   string
	scoped bool
}{
	{"profile.view", false},
	{"profile.edit", false},
	{"contacts.manage", false},
	{"services.view", true},
	{"services.modify", true},
	{"services.cancel", true},
	{"support.open", true},
	{"support.view", true},
	{"support.view_all", false},
	{"invoices.view", true},
	{"invoices.pay", true},
	{"quotes.view", false},
	{"quotes.accept", false},
	{"emails.view", false},
	{"orders.place", false},
}

// The presets as documented, written out by hand.
var wantPresets = []struct {
	name, label string
	perms       []string
}{
	{"full", "Full", []string{
		"profile.view", "profile.edit", "contacts.manage", "services.view", "services.modify", "services.cancel",
		"support.open", "support.view", "support.view_all", "invoices.view", "invoices.pay", "quotes.view",
		"quotes.accept", "emails.view", "orders.place"}},
	{"personal", "Personal", []string{"profile.view", "profile.edit", "emails.view"}},
	{"technical", "Technical", []string{"services.view", "support.open", "support.view"}},
	{"billing", "Billing", []string{"invoices.view", "invoices.pay", "quotes.view", "emails.view"}},
	{"custom", "Custom", nil},
}

var wantAreas = []string{"dashboard", "content", "orders", "customers", "products", "reports", "settings", "users"}

func TestCatalogMatchesDocumentedList(t *testing.T) {
	all := permission.All()
	if len(all) != len(wantCatalog) {
		t.Fatalf("catalog has %d permissions, the documented list %d", len(all), len(wantCatalog))
	}
	for i, w := range wantCatalog {
		if all[i].Name != w.name || all[i].ServiceScoped != w.scoped {
			t.Errorf("catalog[%d] = %q scoped=%v, want %q scoped=%v", i, all[i].Name, all[i].ServiceScoped, w.name, w.scoped)
		}
	}
}

func TestNamesUniqueDottedAndLabelled(t *testing.T) {
	dotted := regexp.MustCompile(`^[a-z]+\.[a-z_]+$`)
	seen := map[string]bool{}
	for i, in := range permission.All() {
		if !dotted.MatchString(in.Name) {
			t.Errorf("permission %d name %q is not lower-case dotted group.action", i, in.Name)
		}
		if seen[in.Name] {
			t.Errorf("permission name %q appears twice", in.Name)
		}
		seen[in.Name] = true
		if in.Label == "" || in.Group == "" {
			t.Errorf("permission %q has no label or group: %+v", in.Name, in)
		}
		p, ok := permission.Lookup(in.Name)
		if !ok || int(p) != i {
			t.Errorf("Lookup(%q) = %d, %v; want %d, true", in.Name, p, ok, i)
		}
		if p.String() != in.Name || p.Info() != in {
			t.Errorf("permission %d: String()=%q Info()=%+v, want %q %+v", i, p.String(), p.Info(), in.Name, in)
		}
	}
}

func TestParseRejectsUnknown(t *testing.T) {
	for _, names := range [][]string{
		{"nope"},
		{"invoices.view", "invoices.refund"},
		{""},
		{"invoices"},
		{"admin.orders"}, // admin areas are not client permissions
		{"INVOICES.VIEW"},
		{"invoices.view; DROP TABLE grants"},
	} {
		s, err := permission.Parse(names)
		var ue *permission.UnknownError
		if !errors.As(err, &ue) {
			t.Errorf("Parse(%q) = %v, %v; want *UnknownError", names, s, err)
			continue
		}
		if ue.Kind != "permission" || !slices.Contains(names, ue.Name) {
			t.Errorf("Parse(%q): error %+v should name the unknown permission", names, ue)
		}
		if _, known := permission.Lookup(ue.Name); known {
			t.Errorf("Parse(%q) blamed %q, which is known", names, ue.Name)
		}
		if s != 0 {
			t.Errorf("Parse(%q) returned a non-empty set %v with its error", names, s)
		}
	}
}

func TestParseAcceptsKnownTrimmedAndDuplicates(t *testing.T) {
	s, err := permission.Parse([]string{" invoices.view ", "invoices.pay", "invoices.view"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Names(), []string{"invoices.pay", "invoices.view"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	if s.Len() != 2 {
		t.Errorf("Len() = %d, want 2", s.Len())
	}
	empty, err := permission.Parse(nil)
	if err != nil || empty != 0 || empty.Len() != 0 || len(empty.Names()) != 0 {
		t.Errorf("Parse(nil) = %v, %v; want empty set", empty, err)
	}
}

func TestPresetsExpand(t *testing.T) {
	got := permission.Presets()
	if len(got) != len(wantPresets) {
		t.Fatalf("%d presets, want %d", len(got), len(wantPresets))
	}
	if got[len(got)-1].Name != permission.PresetCustom {
		t.Errorf("last preset is %q, want custom", got[len(got)-1].Name)
	}
	for i, w := range wantPresets {
		p, ok := permission.LookupPreset(w.name)
		if !ok {
			t.Errorf("LookupPreset(%q) not found", w.name)
			continue
		}
		if got[i].Name != w.name {
			t.Errorf("preset %d is %q, want %q", i, got[i].Name, w.name)
		}
		if p.Label != w.label || p.Description == "" {
			t.Errorf("preset %q: label %q description %q; want label %q and a description", w.name, p.Label, p.Description, w.label)
		}
		want := slices.Clone(w.perms)
		sort.Strings(want)
		if names := p.Set.Names(); !slices.Equal(names, want) {
			t.Errorf("preset %q expands to %q, want %q", w.name, names, want)
		}
		for _, n := range w.perms {
			perm, _ := permission.Lookup(n)
			if !p.Set.Has(perm) {
				t.Errorf("preset %q lacks %q", w.name, n)
			}
		}
	}
	if full, _ := permission.LookupPreset(permission.PresetFull); full.Set != permission.FullSet || full.Set.Len() != len(permission.All()) {
		t.Errorf("full preset is %v (%d permissions), want FullSet with every permission", full.Set, full.Set.Len())
	}
	for _, bad := range []string{"", "Full", "admin", "billing "} {
		if _, ok := permission.LookupPreset(bad); ok {
			t.Errorf("LookupPreset(%q) found a preset", bad)
		}
	}
}

func TestNamesRoundTrip(t *testing.T) {
	var sets []permission.Set
	for _, p := range permission.Presets() {
		sets = append(sets, p.Set)
	}
	n := len(permission.All())
	for i := range n {
		sets = append(sets, permission.Set(0).With(permission.Permission(i)))
	}
	// Every subset would be 16k sets: take a deterministic spread of them.
	for m := uint32(0); m < 1<<n; m += 97 {
		sets = append(sets, permission.Set(m))
	}
	for _, s := range sets {
		names := s.Names()
		if !sort.StringsAreSorted(names) {
			t.Errorf("Names() of %b not sorted: %q", s, names)
		}
		if len(names) != s.Len() {
			t.Errorf("Names() of %b has %d entries, Len() says %d", s, len(names), s.Len())
		}
		back, err := permission.Parse(names)
		if err != nil || back != s {
			t.Errorf("Parse(Names(%b)) = %b, %v", s, back, err)
		}
	}
}

func TestAdminAreas(t *testing.T) {
	var names []string
	for _, a := range permission.AdminAreas() {
		names = append(names, a.Name)
		if a.Label == "" {
			t.Errorf("area %q has no label", a.Name)
		}
	}
	// The first site's keys: grants made before sites existed name them.
	if !slices.Equal(names, wantAreas) {
		t.Errorf("areas %q, want %q", names, wantAreas)
	}
}
