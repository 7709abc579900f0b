package core_test

import (
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
)

// The invitation mail writes its expiry day in the owner's time zone: at
// 11:00 UTC on 1 June it is already 2 June in Kiritimati (UTC+14), so an
// invitation of 14 days ends on 16 June there, not on 15 June.
func TestInvitationMailDateInOwnersZone(t *testing.T) {
	r := newInvRig(t, true, true)
	r.now = time.Date(2026, 6, 1, 11, 0, 0, 0, time.UTC)
	must(r.app.PutOwnerTimeZone(bg, core.TimeZone{TimeZone: "Pacific/Kiritimati"}))
	inv := r.invite("Kiri", "Timati", "kiri@client.test")
	var raw string
	if err := r.app.StoreForTest().DB().QueryRow(`SELECT raw FROM outbox WHERE message_id = ?`, inv.MessageID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, "16 June 2026") || strings.Contains(raw, "15 June 2026") {
		t.Errorf("the mail's expiry is not in the owner's zone:\n%s", raw)
	}
}
