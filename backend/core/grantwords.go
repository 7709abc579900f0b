package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/store"
)

// grantWords says in plain words what c's grant allows, for a mail to the
// contact: the actions by their labels, the services by name, admin areas
// by label and the expiry in the owner's time zone.
func grantWords(ctx context.Context, tx *store.Tx, c *model.Contact, loc *time.Location) (string, error) {
	var b strings.Builder
	scoped, billing := false, false
	if len(c.Grant.Permissions) > 0 {
		fmt.Fprintf(&b, "What you may do (%s access):\n", presetLabel(c.Grant.Preset))
		// Catalog order, as the owner saw it when granting.
		for _, info := range permission.All() {
			for _, name := range c.Grant.Permissions {
				if name == info.Name {
					b.WriteString("- " + info.Label + "\n")
					scoped = scoped || info.ServiceScoped
					billing = billing || info.Billing
				}
			}
		}
	}
	if scoped {
		if c.Grant.AllServices {
			b.WriteString("Services: all of this account's services.\n")
		} else {
			var names []string
			for _, id := range c.Grant.ServiceIDs {
				s, err := tx.Service(ctx, id)
				if err != nil {
					return "", fmt.Errorf("service %d of the grant: %w", id, err)
				}
				names = append(names, s.Name)
			}
			b.WriteString("Services: only " + strings.Join(names, ", ") + ".\n")
			if billing && c.Grant.BillingScope == model.BillingAccount {
				b.WriteString("Invoices: all of the account's, whatever the service.\n")
			}
		}
	}
	if c.Admin != nil {
		b.WriteString("Admin access to the website: " + adminWords(c.Admin) + ".\n")
	}
	b.WriteString(expiryWords(c.Grant.ExpiresAt, loc) + "\n")
	return b.String(), nil
}

func adminWords(ad *model.AdminAccess) string {
	if ad.All {
		return "everything"
	}
	var labels []string
	for _, area := range permission.AdminAreas() {
		for _, name := range ad.Areas {
			if name == area.Name {
				labels = append(labels, area.Label)
			}
		}
	}
	return strings.Join(labels, ", ")
}

// expiryWords names the moment access ends with its time of day, so a
// date-only expiry (the start of that day) is not read as "through it".
func expiryWords(at *time.Time, loc *time.Location) string {
	if at == nil {
		return "Your access does not expire."
	}
	t := at.In(loc)
	zone := loc.String()
	if loc == time.Local {
		zone = t.Format("MST")
	}
	return fmt.Sprintf("Your access ends on %s at %s (%s time).", t.Format("2 January 2006"), t.Format("15:04"), zone)
}
