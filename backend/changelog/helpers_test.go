package changelog

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// device is one store with its change log: two of them are two devices.
type device struct {
	t   testing.TB
	s   *store.Store
	log *Log
	dir string
}

func newDevice(t *testing.T, role Role) *device { return newDeviceTB(t, role) }

func newDeviceTB(t testing.TB, role Role) *device {
	t.Helper()
	dir := t.TempDir()
	s, err := store.Open(context.Background(), filepath.Join(dir, "grantbook.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	l, err := Open(context.Background(), s, role, dir)
	if err != nil {
		t.Fatal(err)
	}
	return &device{t: t, s: s, log: l, dir: dir}
}

// pair pins each device's key on the other.
func pair(t *testing.T, a, b *device) {
	t.Helper()
	ctx := context.Background()
	if err := a.log.Pin(ctx, b.log.Origin(), b.log.PublicKey(), b.log.Role()); err != nil {
		t.Fatal(err)
	}
	if err := b.log.Pin(ctx, a.log.Origin(), a.log.PublicKey(), a.log.Role()); err != nil {
		t.Fatal(err)
	}
}

// ship hands from's new events of its current epoch to to, in order; it
// returns the rejections.
func ship(t *testing.T, from, to *device) []error {
	t.Helper()
	ctx := context.Background()
	hw, err := to.log.Applied(ctx, from.log.Origin(), from.log.Epoch())
	if err != nil {
		t.Fatal(err)
	}
	evs, err := from.log.Since(ctx, hw, 0)
	if err != nil {
		t.Fatal(err)
	}
	var rejected []error
	for _, e := range evs {
		if _, err := to.log.Apply(ctx, e); err != nil {
			var r *Rejected
			if !errors.As(err, &r) {
				t.Fatalf("apply %s %s: %v", e.Entity, e.Key, err)
			}
			rejected = append(rejected, err)
		}
	}
	return rejected
}

func (d *device) tx(fn func(ctx context.Context, tx *store.Tx) error) {
	d.t.Helper()
	ctx := context.Background()
	if err := d.s.Tx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		d.t.Fatal(err)
	}
}

// exec runs SQL through the store's writer, as the store's own code would.
func (d *device) exec(q string, args ...any) {
	d.t.Helper()
	d.tx(func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
}

var now = time.Now().Truncate(time.Second).UTC()

// seedOwner adds an account with a service and a contact with a grant.
func (d *device) seedOwner() (acct *model.Account, svc *model.Service, c *model.Contact) {
	d.t.Helper()
	acct = &model.Account{Name: "Boulangerie", Email: "hello@boulangerie.fr", CreatedAt: now}
	d.tx(func(ctx context.Context, tx *store.Tx) error {
		if err := tx.InsertAccount(ctx, acct); err != nil {
			return err
		}
		svc = &model.Service{AccountID: acct.ID, Name: "boulangerie.fr", Kind: "domain", Status: "active", CreatedAt: now}
		if err := tx.InsertService(ctx, svc); err != nil {
			return err
		}
		end := now.Add(30 * 24 * time.Hour)
		c = &model.Contact{AccountID: acct.ID, AccountType: "user", FirstName: "Élodie", LastName: "Dupré", Email: "elodie@exemple.fr",
			Status: model.StatusActive, CreatedAt: now, UpdatedAt: now,
			Grant: model.Grant{Preset: "custom", Permissions: []string{"invoices.view", "invoices.pay"}, ServiceIDs: []int64{svc.ID}, ExpiresAt: &end, BillingScope: "services"}}
		if err := tx.InsertContact(ctx, c); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, &model.AuditEntry{At: now, Actor: "owner", Action: "contact.add", Entity: "contact", EntityID: c.ID, Summary: "added"})
	})
	return acct, svc, c
}

func (d *device) digests() map[string]string {
	d.t.Helper()
	m, err := d.log.TableDigests(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	return m
}

func (d *device) rejectedCount() int {
	d.t.Helper()
	var n int
	if err := d.s.QueryRow(context.Background(), `SELECT count(*) FROM change_rejected`).Scan(&n); err != nil {
		d.t.Fatal(err)
	}
	return n
}

// supportRequest opens a request on the account, as the owner.
func (d *device) supportRequest(accountID int64) *model.SupportRequest {
	d.t.Helper()
	req := &model.SupportRequest{AccountID: accountID, Subject: "DNS", Body: "help", Status: "open", OpenedBy: "owner", CreatedAt: now, UpdatedAt: now}
	d.tx(func(ctx context.Context, tx *store.Tx) error { return tx.InsertSupportRequest(ctx, req) })
	return req
}

// paired is an owner's desktop and a hub that trust each other's keys.
func paired(t *testing.T) (owner, hub *device) {
	t.Helper()
	owner, hub = newDevice(t, Owner), newDevice(t, Hub)
	pair(t, owner, hub)
	return owner, hub
}
