package changelog

import (
	"context"
	"strings"
	"testing"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// synced is an owner and a hub paired, with the owner's seed applied on the hub.
func synced(t *testing.T) (owner, hub *device, acct *model.Account, svc *model.Service, c *model.Contact) {
	t.Helper()
	owner, hub = paired(t)
	acct, svc, c = owner.seedOwner()
	// Pairing: the owner's snapshot opens a new epoch holding every row
	// (the site the migrations made on each side among them).
	if _, err := owner.log.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rej := ship(t, owner, hub); len(rej) != 0 {
		t.Fatal(rej)
	}
	return
}

func TestHubMayReduceAccessNeverExtendIt(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, sql string
		reason    string // "" when the owner takes it
		prep      string // run on the owner first
	}{
		{"suspend a contact", `UPDATE contacts SET status = 'suspended', suspended_by = 'hub' WHERE id = $c`, "", ""},
		{"end a grant early", `UPDATE grants SET expires_at = expires_at - 86400 WHERE contact_id = $c`, "", ""},
		{"drop a permission", `UPDATE grants SET permissions = 'invoices.view' WHERE contact_id = $c`, "", ""},
		{"drop a service", `DELETE FROM grant_services WHERE contact_id = $c`, "", ""},
		{"contact edits their phone", `UPDATE contacts SET phone = '+33 7' WHERE id = $c`, "", ""},
		{"contact edits the account's address", `UPDATE accounts SET address = '1 rue' WHERE id = $a`, "", ""},
		{"contact edits a service's settings", `UPDATE services SET settings = '{"auto_renew":true}' WHERE id = $s`, "", ""},

		{"add a permission", `UPDATE grants SET permissions = permissions || ' services.modify' WHERE contact_id = $c`, "the hub may not add permissions", ""},
		{"extend the end", `UPDATE grants SET expires_at = expires_at + 86400 WHERE contact_id = $c`, "the hub may not extend access", ""},
		{"remove the end", `UPDATE grants SET expires_at = NULL WHERE contact_id = $c`, "the hub may not extend access", ""},
		{"all services", `UPDATE grants SET all_services = 1 WHERE contact_id = $c`, "the hub may not widen all_services", ""},
		{"admin areas", `UPDATE grants SET admin_areas = 'orders' WHERE contact_id = $c`, "the hub may not add admin areas", ""},
		{"account billing", `UPDATE grants SET billing_scope = 'account' WHERE contact_id = $c`, "the hub may not widen the billing scope", ""},
		{"another service", `INSERT INTO services (id, account_id, name, kind, status, created_at, settings) VALUES (` +
			`1099511627777, $a, 'x', 'domain', 'active', 0, '{}'); INSERT INTO grant_services VALUES ($c, 1099511627777)`, "the hub may not create services", ""},
		{"delete the grant", `DELETE FROM grants WHERE contact_id = $c`, "the hub may not delete a grant", ""},
		{"reinstate", `UPDATE contacts SET status = 'active' WHERE id = $c`, "the hub may suspend a contact, not make it active",
			`UPDATE contacts SET status = 'suspended' WHERE id = $c`},
		{"change the email", `UPDATE contacts SET email = 'evil@x', email_key = 'evil@x' WHERE id = $c`, "contacts.email is written by the owner only", ""},
		{"rename the account", `UPDATE accounts SET name = 'Evil' WHERE id = $a`, "accounts.name is written by the owner only", ""},
		{"a contact reports paying", `UPDATE invoices SET status = 'reported' WHERE number = 'F1'`, "",
			`INSERT INTO invoices (account_id, number, amount_cents, currency, status, issued_at) VALUES ($a, 'F1', 100, 'EUR', 'unpaid', 0)`},
		{"a contact accepts a quote", `UPDATE quotes SET status = 'accepted', decided_at = 1, decided_by = 'Élodie' WHERE number = 'Q1'`, "",
			`INSERT INTO quotes (account_id, number, title, amount_cents, currency, issued_at) VALUES ($a, 'Q1', 'x', 100, 'EUR', 0)`},
		{"create an invoice", `INSERT INTO invoices (account_id, number, amount_cents, currency, status, issued_at) VALUES ($a, 'F1', 100, 'EUR', 'paid', 0)`, "the hub may not create invoices", ""},
		{"mark an invoice paid", `UPDATE invoices SET status = 'paid' WHERE number = 'F1'`, "the hub may not make invoices unpaid paid",
			`INSERT INTO invoices (account_id, number, amount_cents, currency, status, issued_at) VALUES ($a, 'F1', 100, 'EUR', 'unpaid', 0)`},
		{"change an amount", `UPDATE invoices SET amount_cents = 1 WHERE number = 'F1'`, "invoices.amount_cents is written by the owner only",
			`INSERT INTO invoices (account_id, number, amount_cents, currency, status, issued_at) VALUES ($a, 'F1', 100, 'EUR', 'unpaid', 0)`},
		{"a setting", `INSERT INTO settings VALUES ('client_area', '{}')`, "settings are written by the owner only", ""},
		{"delete a contact", `DELETE FROM contacts WHERE id = $c`, "the hub may not delete a grant", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			owner, hub, acct, svc, c := synced(t)
			before := owner.digests()
			r := strings.NewReplacer("$c", itoa(c.ID), "$a", itoa(acct.ID), "$s", itoa(svc.ID))
			if tc.prep != "" {
				owner.exec(r.Replace(tc.prep))
				ship(t, owner, hub)
				before = owner.digests()
			}
			q := r.Replace(tc.sql)
			for _, stmt := range strings.Split(q, "; ") {
				hub.exec(stmt)
			}
			rej := ship(t, hub, owner)
			if tc.reason == "" {
				if len(rej) != 0 {
					t.Fatalf("refused: %v", rej)
				}
				if equal(owner.digests(), before) {
					t.Fatal("the owner's store did not change")
				}
				if diff := differ(owner, hub); diff != "" {
					t.Fatal("owner and hub differ: " + diff)
				}
				return
			}
			if len(rej) == 0 || !strings.Contains(rej[0].Error(), tc.reason) {
				t.Fatalf("want %q, got %v", tc.reason, rej)
			}
			after := owner.digests()
			if tc.name == "delete a contact" { // the cascade's grant_services deletes only narrow the grant: taken
				delete(after, "grant_services")
				delete(before, "grant_services")
			}
			if !equal(after, before) {
				t.Fatal("a refused change reached the owner's store")
			}
			rs, _ := owner.log.Rejected(ctx, len(rej))
			if len(rs) != len(rej) {
				t.Fatalf("recorded: %+v", rs)
			}
			if rs := rs[len(rs)-1:]; len(rs) != 1 || !strings.Contains(rs[0].Reason, tc.reason) || rs[0].Event.Origin != hub.log.Origin() {
				t.Fatalf("recorded: %+v", rs)
			}
			// The hub's stream goes on after a refusal.
			hub.exec(`UPDATE accounts SET phone = '+33 9' WHERE id = ?`, acct.ID)
			if rej := ship(t, hub, owner); len(rej) != 0 {
				t.Fatal(rej)
			}
			if got, _ := owner.s.Account(ctx, acct.ID); got == nil || got.Phone != "+33 9" {
				t.Fatal("the hub's next event was not applied")
			}
		})
	}
}

func itoa(n int64) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(n)) }

func fmtInt(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

func TestIDsOfTheTwoSidesNeverMeet(t *testing.T) {
	ctx := context.Background()
	owner, hub, acct, _, c := synced(t)
	req := owner.supportRequest(acct.ID)
	ship(t, owner, hub)
	reply := func(d *device, fromOwner bool) int64 {
		r := &model.SupportReply{RequestID: req.ID, ContactID: c.ID, FromOwner: fromOwner, AuthorName: "x", Body: "y", CreatedAt: now}
		d.tx(func(ctx context.Context, tx *store.Tx) error { return tx.InsertSupportReply(ctx, r) })
		return r.ID
	}
	var ownerIDs, hubIDs []int64
	for range 3 { // each side writes while the other's rows arrive
		ownerIDs = append(ownerIDs, reply(owner, true))
		hubIDs = append(hubIDs, reply(hub, false))
		if rej := ship(t, owner, hub); len(rej) != 0 {
			t.Fatal(rej)
		}
		if rej := ship(t, hub, owner); len(rej) != 0 {
			t.Fatal(rej)
		}
	}
	for i := range ownerIDs {
		if ownerIDs[i] >= HubIDBase || hubIDs[i] < HubIDBase || hubIDs[i] >= 2*HubIDBase {
			t.Fatalf("ids: owner %v hub %v", ownerIDs, hubIDs)
		}
	}
	var n int
	owner.s.QueryRow(ctx, `SELECT count(*) FROM support_replies`).Scan(&n)
	if n != 6 || !equal(owner.digests(), hub.digests()) {
		t.Fatalf("%d replies; same on both sides: %v", n, equal(owner.digests(), hub.digests()))
	}
	// A new row from the hub in the desktop's range is refused.
	hub.exec(`INSERT INTO support_replies (id, request_id, from_owner, author_name, body, created_at) VALUES (?, ?, 0, 'x', 'y', 0)`, ownerIDs[2]+1, req.ID)
	if rej := ship(t, hub, owner); len(rej) != 1 || !strings.Contains(rej[0].Error(), "must take an id from") {
		t.Fatalf("hub row in the owner's range: %v", rej)
	}
}

// differ names the replicated tables whose rows differ between a and b.
func differ(a, b *device) string {
	da, db := a.digests(), b.digests()
	var out []string
	for k := range da {
		if da[k] != db[k] {
			out = append(out, k)
		}
	}
	return strings.Join(out, " ")
}

// The hub applies with foreign keys off: a cascade on the owner's side
// must arrive as its own events, and a revocation must reach the hub.
func TestCascadesArriveAsTheirOwnEvents(t *testing.T) {
	ctx := context.Background()
	owner, hub, _, _, c := synced(t)
	owner.tx(func(ctx context.Context, tx *store.Tx) error { return tx.DeleteContact(ctx, c.ID) })
	if rej := ship(t, owner, hub); len(rej) != 0 {
		t.Fatal(rej)
	}
	var n int
	hub.s.QueryRow(ctx, `SELECT (SELECT count(*) FROM grants) + (SELECT count(*) FROM grant_services) + (SELECT count(*) FROM contacts)`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d access rows left on the hub after the owner removed the contact", n)
	}
	if diff := differ(owner, hub); diff != "" {
		t.Fatal("differ: " + diff)
	}
	if r, err := newApp(hub, true).Check(ctx, c.ID, "invoices.view", 0); err == nil && r.Allowed {
		t.Fatal("a removed contact is still allowed on the hub")
	}
}
