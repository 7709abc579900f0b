package core

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // Windows has no zone database of its own

	"grantbook/backend/access"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

// Settings → Client area (keyClientArea, clientarea.go) is one JSON object;
// its time_zone is the owner's time zone. Other fields of it (the address…)
// are kept as they are when the zone changes.

// TimeZone is the owner's time zone: dates without a time (a grant's last
// day, an import's expires_at, the audit log's date range) mean whole days
// there, and the owner UI shows every date and time in it.
type TimeZone struct {
	// TimeZone is an IANA name like Europe/Paris; "" means this computer's.
	TimeZone string `json:"time_zone"`
	// Effective is the zone in use: TimeZone, else this computer's when it
	// has a name ("" when not: the UI then uses its own).
	Effective string `json:"effective"`
}

// OwnerTimeZone returns the owner's time zone setting.
func (a *App) OwnerTimeZone(ctx context.Context) (TimeZone, error) {
	raw, err := a.clientAreaFields(ctx)
	if err != nil {
		return TimeZone{}, err
	}
	var tz TimeZone
	if v, ok := raw["time_zone"]; ok {
		_ = json.Unmarshal(v, &tz.TimeZone) // a damaged value counts as unset
	}
	if _, err := loadZone(tz.TimeZone); err != nil {
		tz.TimeZone = ""
	}
	tz.Effective = orDefault(tz.TimeZone, systemZoneName())
	return tz, nil
}

// PutOwnerTimeZone checks and saves the owner's time zone, with an audit row.
func (a *App) PutOwnerTimeZone(ctx context.Context, in TimeZone) (TimeZone, error) {
	name := strings.TrimSpace(in.TimeZone)
	if _, err := loadZone(name); err != nil {
		return in, invalid("time_zone", "%q is not a time zone like Europe/Paris or America/New_York", name)
	}
	before, err := a.OwnerTimeZone(ctx)
	if err != nil {
		return in, err
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		raw, err := clientAreaFields(ctx, tx.Q)
		if err != nil {
			return err
		}
		v, _ := json.Marshal(name)
		raw["time_zone"] = v
		b, err := json.Marshal(raw)
		if err != nil {
			return err
		}
		e.Action, e.Entity, e.Before, e.After = "settings.time_zone", "settings", before.TimeZone, name
		e.Summary = "Set the time zone to " + orDefault(name, "this computer's")
		return tx.PutSetting(ctx, keyClientArea, string(b))
	})
	if err != nil {
		return in, err
	}
	return a.OwnerTimeZone(ctx)
}

// zone is the owner's time zone (this computer's when unset or unreadable),
// kept in memory until a setting changes: every check words its dates in it.
func (a *App) zone(ctx context.Context) *time.Location {
	loc, err := a.cached.zone.Get(struct{}{}, func() (*time.Location, error) { return readZone(ctx, a.store.Q) })
	if err != nil {
		return time.Local
	}
	return loc
}

func zoneOf(ctx context.Context, q store.Q) *time.Location {
	loc, _ := readZone(ctx, q)
	return loc
}

// readZone is the zone, or this computer's and the error reading it.
func readZone(ctx context.Context, q store.Q) (*time.Location, error) {
	raw, err := clientAreaFields(ctx, q)
	if err != nil {
		return time.Local, err
	}
	var name string
	if raw["time_zone"] != nil {
		_ = json.Unmarshal(raw["time_zone"], &name)
	}
	if loc, err := loadZone(name); err == nil {
		return loc, nil
	}
	return time.Local, nil
}

func (a *App) clientAreaFields(ctx context.Context) (map[string]json.RawMessage, error) {
	return clientAreaFields(ctx, a.store.Q)
}

func clientAreaFields(ctx context.Context, q store.Q) (map[string]json.RawMessage, error) {
	raw, ok, err := q.Setting(ctx, keyClientArea)
	out := map[string]json.RawMessage{}
	if err != nil || !ok {
		return out, err
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("client area settings are damaged: %w", err)
	}
	return out, nil
}

// loadZone loads an IANA zone; "" is this computer's. "Local" is refused:
// it names no zone another computer could use.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.Local, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("no zone named Local")
	}
	return time.LoadLocation(name)
}

// systemZoneName is the IANA name of this computer's zone where it has one:
// TZ, else what /etc/localtime points to; "" otherwise (Windows).
func systemZoneName() string {
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil && tz != "Local" {
			return tz
		}
		return ""
	}
	target, err := filepath.EvalSymlinks("/etc/localtime")
	if err != nil {
		return ""
	}
	if i := strings.Index(target, "zoneinfo/"); i >= 0 {
		name := target[i+len("zoneinfo/"):]
		if _, err := time.LoadLocation(name); err == nil {
			return name
		}
	}
	return ""
}

// dayEnd is the end of day (yyyy-mm-dd) in loc: the first instant of the
// next day, when a grant that lasts through day stops.
func dayEnd(day string, loc *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", day, loc)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc).UTC(), nil
}

// lastDay is access.LastDay: the last day a grant ending at t lasts through.
func lastDay(t time.Time, loc *time.Location) string { return access.LastDay(t, loc) }

// endWords says when a grant ending at t ends, as the owner entered it:
// "last day 6 December 2026", or "ends 6 June 2026 09:00 UTC" when it ends
// within a day.
func endWords(t time.Time, loc *time.Location) string {
	if d, err := time.Parse("2006-01-02", lastDay(t, loc)); err == nil {
		return "last day " + d.Format("2 January 2006")
	}
	return "ends " + t.In(loc).Format("2 January 2006 15:04 MST")
}
