package web_test

import (
	"strings"
	"testing"
)

// A template that would fill in past 64 KiB is refused at save time.
func TestTemplateOverTheBoundIs422(t *testing.T) {
	e := newEnv(t)
	r := e.do("PUT", "/api/settings/template", map[string]string{
		"subject": "Hi", "body": strings.Repeat("{{.Note}}", 40) + "{{.Token}}"})
	if r.status != 422 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if code, field := r.errorOf(t); code != "invalid" || field != "body" || !strings.Contains(string(r.body), "64 KiB") {
		t.Errorf("error %s on %q: %s", code, field, r.body)
	}
}
