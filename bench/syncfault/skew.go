package main

import (
	"fmt"
	"strconv"
	"time"

	"grantbook/backend/changelog"
	"grantbook/backend/core"
)

// skew is scenario 4: the hub's change-log clock off by `by` (its HLC's
// wall clock; the rest of the hub keeps the real time) during a shorter
// scenario 1, then both sides edit Acme's email and phone while the link
// is cut, neither seeing the other's: both must keep the same values and
// record the same conflict with the same winner.
func (r *rig) skew(by time.Duration, seed uint64, cuts int, upMax, downMax time.Duration, ada *contact) {
	ctx := r.ctx
	r.hs.Log.SetWallClock(func() time.Time { return time.Now().Add(by) })
	defer r.hs.Log.SetWallClock(time.Now)
	label := "clock skew: the hub " + signed(by)
	r.cutsWhileBothWrite(label, seed, cuts, upMax, downMax, ada)

	r.proxy.Cut()
	r.check(r.waitLeaf(false), "the leaf is down for the two-writer edit")
	tag := signed(by)
	hubEmail, hubPhone := "hub"+strconv.Itoa(int(by.Minutes()))+"@example.com", "hub "+tag
	if _, err := ada.do("PATCH", "/api/portal/profile", map[string]any{"email": hubEmail, "phone": hubPhone}, nil); err != nil {
		r.fail(err)
		return
	}
	deskEmail, deskPhone := "desk"+strconv.Itoa(int(by.Minutes()))+"@example.com", "desk "+tag
	if _, err := r.desk.UpdateAccount(ctx, r.acme.ID, core.AccountPatch{Email: &deskEmail, Phone: &deskPhone}); err != nil {
		r.fail(err)
		return
	}
	r.proxy.Restore()
	_, err := r.converge(label + ", two writers")
	r.check(err == nil, "in step after the two-writer edit%s", errText(err))
	da, err1 := r.desk.Account(ctx, r.acme.ID)
	ha, err2 := r.hub.Account(ctx, r.acme.ID)
	if err1 != nil || err2 != nil {
		r.fail(fmt.Errorf("account: %v %v", err1, err2))
		return
	}
	r.check(da.Email == ha.Email && da.Phone == ha.Phone, "both sides keep the same profile: desktop %q %q, hub %q %q", da.Email, da.Phone, ha.Email, ha.Phone)
	dc, _ := r.ds.Log.Conflicts(ctx, 1000)
	hc, _ := r.hs.Log.Conflicts(ctx, 1000)
	key := strconv.FormatInt(r.acme.ID, 10)
	find := func(cs []changelog.Conflict, field, local, remote string) *changelog.Conflict {
		for i := range cs {
			c := &cs[i]
			if c.Entity == "accounts" && c.Key == key && c.Field == field && c.Local == local && c.Remote == remote {
				return c
			}
		}
		return nil
	}
	for _, f := range []struct{ field, desk, hub, kept string }{{"email", deskEmail, hubEmail, da.Email}, {"phone", deskPhone, hubPhone, da.Phone}} {
		d, h := find(dc, f.field, f.desk, f.hub), find(hc, f.field, f.hub, f.desk)
		if d == nil || h == nil {
			r.check(false, "%s: the conflict recorded on both sides (desktop %v, hub %v)", f.field, d != nil, h != nil)
			continue
		}
		winner, want := "the desktop", f.desk
		if d.Winner == r.hs.Log.Origin() {
			winner, want = "the hub", f.hub
		}
		fmt.Printf("  %s: the hub wrote %q first, the desktop %q after it (real time); kept %q: %s won\n", f.field, f.hub, f.desk, f.kept, winner)
		r.check(d.Winner == h.Winner && f.kept == want, "%s: both sides record the conflict with the same winner (%s), whose value both kept", f.field, winner)
	}
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}
