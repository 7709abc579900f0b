package servicekind_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"grantbook/backend/model"
	"grantbook/backend/servicekind"
)

// The settings each kind offers, written out by hand (names are stored).
var wantFields = map[string][]string{
	"domain":  {"nameservers", "auto_renew", "registrar_lock"},
	"hosting": {"label", "technical_contact"},
	"licence": {"licensee", "seats", "seats_in_use"},
	"email":   {"label", "notes"},
	"other":   {"label", "notes"},
}

func TestEveryServiceKindDeclaresItsSettings(t *testing.T) {
	for _, kind := range model.ServiceKinds {
		k, ok := servicekind.Lookup(kind)
		if !ok {
			t.Errorf("service kind %q declares no settings", kind)
			continue
		}
		var names []string
		for _, f := range k.Fields {
			names = append(names, f.Name)
			if f.Label == "" || f.Type == "" {
				t.Errorf("%s.%s has no label or type", kind, f.Name)
			}
		}
		if strings.Join(names, " ") != strings.Join(wantFields[kind], " ") {
			t.Errorf("%s fields %v, want %v", kind, names, wantFields[kind])
		}
	}
	if k, _ := servicekind.Lookup("hosting"); len(k.Actions) != 1 || k.Actions[0].Name != "password_reset" {
		t.Errorf("hosting requests %+v, want password_reset", k.Actions)
	}
}

func TestCheckHostname(t *testing.T) {
	for in, want := range map[string]string{
		"ns1.example.net":                        "ns1.example.net",
		" NS1.Example.NET. ":                     "ns1.example.net",
		"a.b":                                    "a.b",
		"xn--bcher-kva.example":                  "xn--bcher-kva.example",
		"ns-1.example.net":                       "ns-1.example.net",
		"1.example.com":                          "1.example.com",
		"":                                       "",
		"localhost":                              "",
		"1.2.3.4":                                "",
		"ns1..example.net":                       "",
		"-ns.example.net":                        "",
		"ns-.example.net":                        "",
		"ns_1.example.net":                       "",
		"bücher.example":                         "",
		"ns1.example.net/x":                      "",
		"ns1 .example.net":                       "",
		".example.net":                           "",
		strings.Repeat("a", 64) + ".example.net": "",
		strings.Repeat(strings.Repeat("a", 63)+".", 4) + "n": "",
	} {
		got, err := servicekind.CheckHostname(in)
		if (err == nil) != (want != "") || got != want {
			t.Errorf("CheckHostname(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestCheckNameservers(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string // joined; "" = refused
	}{
		{[]string{"ns1.example.net", "ns2.example.net"}, "ns1.example.net ns2.example.net"},
		{[]string{"NS1.example.net.", "ns2.example.net"}, "ns1.example.net ns2.example.net"},
		{[]string{"ns1.example.net"}, ""},
		{nil, ""},
		{[]string{"ns1.example.net", "NS1.EXAMPLE.NET"}, ""},
		{[]string{"ns1.example.net", "10.0.0.1"}, ""},
		{strings.Fields(strings.Repeat("ns.example.net ", 14)), ""},
	} {
		got, err := servicekind.CheckNameservers(tc.in)
		if (err == nil) != (tc.want != "") || strings.Join(got, " ") != tc.want {
			t.Errorf("CheckNameservers(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

var hostRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]*[a-z-][a-z0-9-]*$`)

func FuzzCheckHostname(f *testing.F) {
	for _, s := range []string{"ns1.example.net", "a.b.", "1.2.3.4", "-x.y", "xn--bcher-kva.example", "\x00.com", "ＮＳ.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := servicekind.CheckHostname(s)
		if err != nil {
			return
		}
		if len(h) > 253 || !hostRE.MatchString(h) {
			t.Fatalf("accepted %q as %q", s, h)
		}
		if again, err := servicekind.CheckHostname(h); err != nil || again != h {
			t.Fatalf("%q is not stable: %q, %v", h, again, err)
		}
	})
}

func TestFieldValues(t *testing.T) {
	k, _ := servicekind.Lookup("licence")
	seats, _ := k.Field("seats")
	h, _ := servicekind.Lookup("hosting")
	label, _ := h.Field("label")
	tech, _ := h.Field("technical_contact")
	o, _ := servicekind.Lookup("other")
	notes, _ := o.Field("notes")
	d, _ := servicekind.Lookup("domain")
	renew, _ := d.Field("auto_renew")
	for _, tc := range []struct {
		f    servicekind.Field
		raw  string
		want string // JSON of the value; "" = refused
	}{
		{seats, `5`, `5`},
		{seats, `0`, `0`},
		{seats, `1000000`, `1000000`},
		{seats, `1000001`, ``},
		{seats, `-1`, ``},
		{seats, `1.5`, ``},
		{seats, `1e3`, ``},
		{seats, `"5"`, ``},
		{label, `"  Shop  "`, `"Shop"`},
		{label, `"` + strings.Repeat("é", 100) + `"`, `"` + strings.Repeat("é", 100) + `"`},
		{label, `"` + strings.Repeat("é", 101) + `"`, ``},
		{label, `"two\nlines"`, ``},
		{label, `7`, ``},
		{notes, `"two\nlines"`, `"two\nlines"`},
		{notes, `"bell\u0007"`, ``},
		{tech, `"tech@example.com"`, `"tech@example.com"`},
		{tech, `"Tech <tech@example.com>"`, ``},
		{tech, `"tech@localhost"`, ``},
		{renew, `true`, `true`},
		{renew, `"yes"`, ``},
	} {
		v, err := tc.f.Value(json.RawMessage(tc.raw))
		got := ""
		if err == nil {
			b, _ := json.Marshal(v)
			got = string(b)
		}
		if got != tc.want {
			t.Errorf("%s(%s) = %s, %v; want %s", tc.f.Name, tc.raw, got, err, tc.want)
		}
	}
}

func FuzzCheckText(f *testing.F) {
	f.Add("Shop", 100, false)
	f.Add("a\nb", 10, true)
	f.Fuzz(func(t *testing.T, s string, max int, multi bool) {
		max = max%300 + 300
		out, err := servicekind.CheckText(s, max, multi)
		if err != nil {
			return
		}
		if strings.TrimSpace(out) != out || len([]rune(out)) > max || (!multi && strings.ContainsAny(out, "\n\r\t\x00")) {
			t.Fatalf("accepted %q as %q", s, out)
		}
	})
}

func apply(t *testing.T, kind string, current map[string]any, changes string, owner bool) (map[string]any, []servicekind.Change, error) {
	t.Helper()
	k, _ := servicekind.Lookup(kind)
	var ch map[string]json.RawMessage
	if err := json.Unmarshal([]byte(changes), &ch); err != nil {
		t.Fatal(err)
	}
	return k.Apply(current, ch, owner)
}

func TestApply(t *testing.T) {
	cur := map[string]any{"nameservers": []any{"ns1.old.net", "ns2.old.net"}, "auto_renew": true}
	next, ch, err := apply(t, "domain", cur, `{"nameservers":["NS1.new.net","ns2.new.net"],"auto_renew":true,"registrar_lock":true}`, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 2 || ch[0].Field != "nameservers" || string(ch[0].Before) != `["ns1.old.net","ns2.old.net"]` ||
		string(ch[0].After) != `["ns1.new.net","ns2.new.net"]` || ch[1].Field != "registrar_lock" || string(ch[1].Before) != "null" {
		t.Errorf("changes %s", mustJSON(ch))
	}
	if cur["registrar_lock"] != nil || next["registrar_lock"] != true {
		t.Errorf("current changed or next wrong: %v %v", cur, next)
	}
	for _, tc := range []struct {
		kind, changes string
		owner         bool
		field         string
	}{
		{"domain", `{"nameservers":null}`, false, "nameservers"},
		{"domain", `{"label":"x"}`, false, "label"},
		{"licence", `{"seats":10}`, false, "seats"},
		{"licence", `{"seats_in_use":11}`, false, "seats_in_use"},
	} {
		_, _, err := apply(t, tc.kind, map[string]any{"seats": float64(10)}, tc.changes, tc.owner)
		fe, ok := err.(*servicekind.FieldError)
		if !ok || fe.Field != tc.field {
			t.Errorf("%s %s owner=%v: %v, want a refusal of %s", tc.kind, tc.changes, tc.owner, err, tc.field)
		}
	}
	if _, ch, err := apply(t, "licence", map[string]any{"seats": float64(10)}, `{"seats":20,"seats_in_use":11}`, true); err != nil || len(ch) != 2 {
		t.Errorf("owner raises seats and a contact's count: %v %v", ch, err)
	}
	if next, ch, err := apply(t, "other", map[string]any{"label": "x"}, `{"label":null}`, false); err != nil || len(ch) != 1 || next["label"] != nil {
		t.Errorf("clearing a label: %v %v %v", next, ch, err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
