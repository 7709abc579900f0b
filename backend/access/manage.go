package access

import (
	"fmt"

	"grantbook/backend/permission"
)

// Manage is one contacts.manage action as the evaluation sees it: the
// contact acted on (nil when adding or inviting someone) and the grant
// they would hold afterwards (nil when suspending or removing).
type Manage struct {
	Target         *Grant
	TargetIsHolder bool
	// Restore lifts a suspension; SuspendedByOwner says the owner imposed it.
	Restore          bool
	SuspendedByOwner bool
	Proposed         *Grant
}

// No-escalation denials.
const (
	DeniedSelf Code = DeniedNotAboutSelected + 1 + iota
	DeniedHolder
	DeniedOwnerSuspended
	DeniedPermNotHeld
	DeniedWiderServices
	DeniedServiceNotHeld
	DeniedNoAdminHeld
	DeniedAdminAllNotHeld
	DeniedAreaNotHeld
	DeniedLongerThanYours
)

// EvaluateManage decides whether actor may carry out m at now: actor holds
// contacts.manage; the target is someone else, not the account holder, and
// their current grant is within actor's; the grant given is within actor's
// (permissions, services and billing scope, admin areas, and an end no
// later than actor's own).
func EvaluateManage(actor *Grant, m Manage, now int64) Decision {
	d := Evaluate(actor, permission.ContactsManage, Service{}, now)
	if !d.Allowed {
		return d
	}
	d.Allowed, d.Manage = false, true
	if t := m.Target; t != nil {
		switch {
		case t.ContactID == actor.ContactID:
			d.Code = DeniedSelf
		case t.AccountID != actor.AccountID:
			d.Code = DeniedOtherAccount
		case m.TargetIsHolder:
			d.Code = DeniedHolder
		case m.Restore && m.SuspendedByOwner:
			d.Code = DeniedOwnerSuspended
		default:
			d.Code, d.Target = within(actor, t, &d), true
		}
		if d.Code != Allowed {
			return d
		}
	}
	if g := m.Proposed; g != nil {
		d.Target = false
		if g.AccountID != actor.AccountID {
			d.Code = DeniedOtherAccount
			return d
		}
		if d.Code = within(actor, g, &d); d.Code != Allowed {
			return d
		}
	}
	d.Perm, d.ServiceID, d.Area, d.Target, d.Allowed = permission.ContactsManage, 0, "", false, true
	return d
}

// within checks that g gives nothing a does not hold, and says what first
// exceeds it in d.
func within(a, g *Grant, d *Decision) Code {
	for i := range permission.All() {
		p := permission.Permission(i)
		if !g.Perms.Has(p) {
			continue
		}
		d.Perm = p
		switch {
		case !a.Perms.Has(p):
			return DeniedPermNotHeld
		case !a.limits(p):
			continue
		case !g.limits(p):
			return DeniedWiderServices
		}
		for _, id := range g.Services {
			if !a.hasService(id) {
				d.ServiceID = id
				return DeniedServiceNotHeld
			}
		}
	}
	d.Perm = permission.ContactsManage
	if g.Admin && !a.AdminAll {
		switch {
		case !a.Admin:
			return DeniedNoAdminHeld
		case g.AdminAll:
			return DeniedAdminAllNotHeld
		}
		for _, name := range g.AdminAreas {
			if !a.hasArea(name) {
				d.Area = name // the key: a grant knows no site's labels
				return DeniedAreaNotHeld
			}
		}
	}
	if a.ExpiresAt != 0 && (g.ExpiresAt == 0 || g.ExpiresAt > a.ExpiresAt) {
		return DeniedLongerThanYours
	}
	return Allowed
}

// manageReason words the no-escalation denials, e.g. "denied: you cannot
// grant invoices.pay: your own grant does not include it".
func (d Decision) manageReason() string {
	what, wide := d.Perm.String(), "all services"
	if d.Perm.Info().Billing {
		wide = "the whole account"
	}
	area := d.Area
	ends := d.ends()
	switch d.Code {
	case DeniedSelf:
		return "denied: you cannot change your own access; ask the owner"
	case DeniedHolder:
		return "denied: this contact is the account holder; only the owner manages them"
	case DeniedOwnerSuspended:
		return "denied: the owner suspended this contact; only the owner can restore them"
	}
	if d.Target {
		const them = "denied: you cannot manage this contact: "
		switch d.Code {
		case DeniedPermNotHeld:
			return them + fmt.Sprintf("they hold %s, which your own grant does not include", what)
		case DeniedWiderServices:
			return them + fmt.Sprintf("their %s covers %s, yours selected services only", what, wide)
		case DeniedServiceNotHeld:
			return them + fmt.Sprintf("their grant includes %s, which yours does not", d.service())
		case DeniedNoAdminHeld:
			return them + "they have admin access, you have none"
		case DeniedAdminAllNotHeld:
			return them + "they have admin access to every area, you to chosen areas only"
		case DeniedAreaNotHeld:
			return them + fmt.Sprintf("their admin access includes %s, yours does not", area)
		case DeniedLongerThanYours:
			return them + fmt.Sprintf("their access lasts beyond %s, when yours ends", ends)
		}
		return ""
	}
	switch d.Code {
	case DeniedPermNotHeld:
		return fmt.Sprintf("denied: you cannot grant %s: your own grant does not include it", what)
	case DeniedWiderServices:
		return fmt.Sprintf("denied: you cannot grant %s on %s: your own grant covers selected services only", what, wide)
	case DeniedServiceNotHeld:
		return fmt.Sprintf("denied: you cannot grant %s: your own grant does not include it", d.service())
	case DeniedNoAdminHeld:
		return "denied: you cannot grant admin access: you have none"
	case DeniedAdminAllNotHeld:
		return "denied: you cannot grant admin access to every area: yours covers chosen areas only"
	case DeniedAreaNotHeld:
		return fmt.Sprintf("denied: you cannot grant admin access to %s: your own admin access does not include it", area)
	case DeniedLongerThanYours:
		return fmt.Sprintf("denied: you cannot grant access beyond %s, when your own access ends", ends)
	}
	return ""
}
