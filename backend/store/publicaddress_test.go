package store_test

import (
	"path/filepath"
	"strings"
	"testing"

	"grantbook/backend/store"
)

// Migration 0013: the sites' public address becomes the client area's,
// which wins when both were set; the audit log says which happened.
func TestPublicAddressBecomesTheClientArea(t *testing.T) {
	for _, c := range []struct {
		name       string
		before     map[string]string
		clientArea string // the setting after, "" for none
		summary    string // of the audit row, "" for none
	}{
		{"only the sites'", map[string]string{"site.public_url": "https://portal.example.com"},
			`{"address":"https://portal.example.com"}`, "Grantbook's public address https://portal.example.com is now the client area's address"},
		{"the client area had one", map[string]string{"site.public_url": "https://old.example.com",
			"client_area": `{"address":"https://portal.example.com","time_zone":"Europe/Paris"}`},
			`{"address":"https://portal.example.com","time_zone":"Europe/Paris"}`,
			"Grantbook's public address https://old.example.com is dropped: the client area's address https://portal.example.com serves for the owner's sites too"},
		{"the client area had none", map[string]string{"site.public_url": "http://localhost:8765",
			"client_area": `{"address":"","time_zone":"Europe/Paris"}`},
			`{"address":"http://localhost:8765","time_zone":"Europe/Paris"}`, "Grantbook's public address http://localhost:8765 is now the client area's address"},
		{"neither", map[string]string{}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "grantbook.db")
			old, err := store.Create(ctx, file, 11)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.before {
				if _, err := old.DB().Exec(`INSERT INTO settings (key, value) VALUES (?, ?)`, k, v); err != nil {
					t.Fatal(err)
				}
			}
			old.Close()
			s, err := store.Open(ctx, file)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, ok, _ := s.Setting(ctx, "site.public_url"); ok {
				t.Error("site.public_url is still there")
			}
			got, _, err := s.Setting(ctx, "client_area")
			if err != nil || got != c.clientArea {
				t.Errorf("client_area = %s, %v; want %s", got, err, c.clientArea)
			}
			var summaries []string
			rows, err := s.DB().Query(`SELECT summary FROM audit_log WHERE action = 'settings.client_area'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var sum string
				rows.Scan(&sum)
				summaries = append(summaries, sum)
			}
			if strings.Join(summaries, "|") != c.summary {
				t.Errorf("audit %q, want %q", summaries, c.summary)
			}
		})
	}
}
