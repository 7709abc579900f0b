package core_test

import (
	"strings"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/store"
)

// The owner's time zone is the time_zone of Settings → Client area: saving
// it keeps the other fields of that setting.
func TestOwnerTimeZoneSharesTheClientAreaSetting(t *testing.T) {
	f := newFixture(t)
	if err := f.app.StoreForTest().Tx(bg, func(tx *store.Tx) error {
		return tx.PutSetting(bg, "client_area", `{"address":"https://portal.example.com","time_zone":"Europe/Paris"}`)
	}); err != nil {
		t.Fatal(err)
	}
	if tz := must(f.app.OwnerTimeZone(bg)); tz.TimeZone != "Europe/Paris" || tz.Effective != "Europe/Paris" {
		t.Errorf("read %+v", tz)
	}
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "Asia/Tokyo"}))
	var raw string
	if err := f.app.StoreForTest().DB().QueryRow(`SELECT value FROM settings WHERE key = 'client_area'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, `"address":"https://portal.example.com"`) || !strings.Contains(raw, `"time_zone":"Asia/Tokyo"`) {
		t.Errorf("stored %s", raw)
	}
	if e := f.lastAudit(t); e.Action != "settings.time_zone" || e.Summary != "Set the time zone to Asia/Tokyo" {
		t.Errorf("audit %+v", e)
	}
	for _, bad := range []string{"Local", "Mars/Olympus", "../../etc/passwd"} {
		if _, err := f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: bad}); err == nil {
			t.Errorf("zone %q accepted", bad)
		}
	}
}

// The template editor's preview fills the template in as an invitation
// would be, through the same bounded rendering and checks.
func TestTemplatePreview(t *testing.T) {
	f := newFixture(t)
	must(f.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "UTC"}))
	p := core.TemplatePreview{InvitationTemplate: core.DefaultTemplate, AccountID: f.other.ID, Note: true}
	out := must(f.app.PreviewTemplate(bg, p))
	if out.Subject != "Other Co invites you to access Other Co" || !strings.Contains(out.Body, "Hello Ada,") ||
		!strings.Contains(out.Body, "could you look after our invoices") || !strings.Contains(out.Body, "expires on 29 January 2026") {
		t.Errorf("preview %+v", out)
	}
	p.Body = strings.ReplaceAll(p.Body, "{{.Token}}", "")
	if _, err := f.app.PreviewTemplate(bg, p); err == nil || asCoreError(t, err).Field != "body" {
		t.Errorf("a template without the code: %v", err)
	}
	p.Body = "{{range .}}{{end}}{{.Token}}"
	if _, err := f.app.PreviewTemplate(bg, p); err == nil {
		t.Error("a loop was rendered")
	}
}
