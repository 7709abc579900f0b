// Package servicekind declares, for each kind of service, the settings a
// contact with services.modify may change, the requests they may make, and
// how each value is checked. Names are stable: they are stored in a
// service's settings and its change history.
package servicekind

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Field types.
const (
	Text        = "text"        // one line
	LongText    = "longtext"    // several lines
	Bool        = "bool"        // true or false
	Nameservers = "nameservers" // 2 to 13 host names
	Email       = "email"       // one address
	Count       = "count"       // a whole number from 0
)

// Field is one setting of a kind.
type Field struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Type  string `json:"type"`
	Help  string `json:"help,omitempty"`
	// OwnerOnly fields are set by the owner only (a licence's seats).
	OwnerOnly bool `json:"owner_only"`
	Max       int  `json:"max,omitempty"` // text: characters; count: largest value
	// AtMost names a count field this one may not exceed.
	AtMost string `json:"at_most,omitempty"`
}

// Action is a request a contact may make about a service; the owner carries
// it out (nothing is changed by itself).
type Action struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Help  string `json:"help,omitempty"`
}

// Kind is a kind of service with its settings and requests.
type Kind struct {
	Name    string   `json:"name"`
	Fields  []Field  `json:"fields"`
	Actions []Action `json:"actions"`
}

var (
	label = Field{Name: "label", Label: "Label", Type: Text, Max: 100, Help: "A name of your own for this service"}
	notes = Field{Name: "notes", Label: "Notes", Type: LongText, Max: 2000}
)

var kinds = []Kind{
	{"domain", []Field{
		{Name: "nameservers", Label: "Nameservers", Type: Nameservers, Help: "2 to 13 host names, such as ns1.example.net"},
		{Name: "auto_renew", Label: "Renew automatically", Type: Bool},
		{Name: "registrar_lock", Label: "Registrar lock", Type: Bool, Help: "A locked domain cannot be transferred away"},
	}, []Action{}},
	{"hosting", []Field{
		label,
		{Name: "technical_contact", Label: "Technical contact", Type: Email, Help: "The address that receives technical notices"},
	}, []Action{{"password_reset", "Request a password reset", "The owner resets the control panel password and sends you the new one"}}},
	{"licence", []Field{
		{Name: "licensee", Label: "Licensee name", Type: Text, Max: 200},
		{Name: "seats", Label: "Seats", Type: Count, Max: 1_000_000, OwnerOnly: true},
		{Name: "seats_in_use", Label: "Seats in use", Type: Count, Max: 1_000_000, AtMost: "seats"},
	}, []Action{}},
	{"email", []Field{label, notes}, []Action{}},
	{"other", []Field{label, notes}, []Action{}},
}

// All lists the kinds in display order.
func All() []Kind { return kinds }

// Lookup finds a kind by name.
func Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(kinds, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return kinds[i], true
}

// Field finds one of the kind's fields.
func (k Kind) Field(name string) (Field, bool) {
	i := slices.IndexFunc(k.Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return k.Fields[i], true
}

// Action finds one of the kind's requests.
func (k Kind) Action(name string) (Action, bool) {
	i := slices.IndexFunc(k.Actions, func(a Action) bool { return a.Name == name })
	if i < 0 {
		return Action{}, false
	}
	return k.Actions[i], true
}

// FieldError is a value refused, naming the field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Change is one field set to a new value; Before and After are JSON (null:
// not set).
type Change struct {
	Field  string          `json:"field"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// Apply checks changes (field → JSON value; null clears a field) against
// the kind, as the owner (owner) or a contact, and returns the settings
// after them with the fields that really changed, in the kind's order.
func (k Kind) Apply(current map[string]any, changes map[string]json.RawMessage, owner bool) (map[string]any, []Change, error) {
	next := maps.Clone(current)
	if next == nil {
		next = map[string]any{}
	}
	for name, raw := range changes {
		f, ok := k.Field(name)
		if !ok {
			return nil, nil, &FieldError{name, fmt.Sprintf("a %s service has no setting %q", k.Name, name)}
		}
		if f.OwnerOnly && !owner {
			return nil, nil, &FieldError{name, f.Label + " is set by the owner"}
		}
		if isNull(raw) {
			if f.Type == Nameservers || f.Type == Bool {
				return nil, nil, &FieldError{name, f.Label + " cannot be left empty"}
			}
			delete(next, name)
			continue
		}
		v, err := f.Value(raw)
		if err != nil {
			return nil, nil, &FieldError{name, err.Error()}
		}
		next[name] = v
	}
	for _, f := range k.Fields {
		if f.AtMost == "" {
			continue
		}
		v, ok1 := count(next[f.Name])
		limit, ok2 := count(next[f.AtMost])
		if ok1 && ok2 && v > limit {
			lf, _ := k.Field(f.AtMost)
			return nil, nil, &FieldError{f.Name, fmt.Sprintf("%s (%d) cannot be more than %s (%d)", f.Label, v, lf.Label, limit)}
		}
	}
	var out []Change
	for _, f := range k.Fields {
		before, after := encode(current[f.Name]), encode(next[f.Name])
		if !bytes.Equal(before, after) {
			out = append(out, Change{Field: f.Name, Before: before, After: after})
		}
	}
	return next, out, nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// encode is a value's canonical JSON; absent is null.
func encode(v any) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// count reads a count as stored (int64 when fresh, float64 once read back
// from JSON).
func count(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		return int64(n), true
	}
	return 0, false
}
