package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"grantbook/backend/model"
)

const productCols = `id, name, kind, description, price_cents, currency, billing_cycle, active, created_at`

func scanProduct(sc scanner) (*model.Product, error) {
	var p model.Product
	var created int64
	if err := sc.Scan(&p.ID, &p.Name, &p.Kind, &p.Description, &p.PriceCents, &p.Currency, &p.BillingCycle, &p.Active, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = unix(created)
	return &p, nil
}

// InsertProduct stores a product and sets its ID.
func (tx *Tx) InsertProduct(ctx context.Context, p *model.Product) (err error) {
	p.ID, err = tx.insert(ctx, "product", `INSERT INTO products (name, kind, description, price_cents, currency, billing_cycle, active,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.Name, p.Kind, p.Description, p.PriceCents, p.Currency, p.BillingCycle, p.Active,
		p.CreatedAt.Unix())
	return err
}

// UpdateProduct writes every field of p.
func (tx *Tx) UpdateProduct(ctx context.Context, p *model.Product) error {
	return tx.execOne(ctx, fmt.Sprintf("update product %d", p.ID), `UPDATE products SET name = ?, kind = ?, description = ?,
		price_cents = ?, currency = ?, billing_cycle = ?, active = ? WHERE id = ?`,
		p.Name, p.Kind, p.Description, p.PriceCents, p.Currency, p.BillingCycle, p.Active, p.ID)
}

// DeleteProduct removes a product; orders keep what was ordered.
func (tx *Tx) DeleteProduct(ctx context.Context, id int64) error {
	return tx.execOne(ctx, fmt.Sprintf("delete product %d", id), `DELETE FROM products WHERE id = ?`, id)
}

// Product loads one product.
func (q Q) Product(ctx context.Context, id int64) (*model.Product, error) {
	return one(q, ctx, scanProduct, fmt.Sprintf("product %d", id), `SELECT `+productCols+` FROM products WHERE id = ?`, id)
}

// Products lists the catalogue by name, the active ones only if asked.
func (q Q) Products(ctx context.Context, activeOnly bool) ([]*model.Product, error) {
	return collect(q, ctx, scanProduct, `SELECT `+productCols+` FROM products WHERE active OR NOT ? ORDER BY name COLLATE NOCASE, id`, activeOnly)
}

const orderCols = `id, account_id, coalesce(contact_id, 0), contact_name, coalesce(product_id, 0), product_name, kind, price_cents,
	currency, billing_cycle, upgrade, label, note, state, reason, coalesce(service_id, 0), coalesce(invoice_id, 0), created_at, decided_at`

func scanOrder(sc scanner) (*model.Order, error) {
	var o model.Order
	var created int64
	var decided sql.NullInt64
	if err := sc.Scan(&o.ID, &o.AccountID, &o.ContactID, &o.ContactName, &o.ProductID, &o.ProductName, &o.Kind, &o.PriceCents,
		&o.Currency, &o.BillingCycle, &o.Upgrade, &o.Label, &o.Note, &o.State, &o.Reason, &o.ServiceID, &o.InvoiceID,
		&created, &decided); err != nil {
		return nil, err
	}
	o.CreatedAt, o.DecidedAt = unix(created), nullUnix(decided)
	return &o, nil
}

// InsertOrder stores an order and sets its ID.
func (tx *Tx) InsertOrder(ctx context.Context, o *model.Order) (err error) {
	o.ID, err = tx.insert(ctx, "order", `INSERT INTO orders (id, account_id, contact_id, contact_name, product_id, product_name, kind,
		price_cents, currency, billing_cycle, upgrade, label, note, state, service_id, created_at)
		VALUES (`+newID("orders")+`, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.AccountID, nullID(o.ContactID), o.ContactName, nullID(o.ProductID), o.ProductName, o.Kind, o.PriceCents, o.Currency,
		o.BillingCycle, o.Upgrade, o.Label, o.Note, o.State, nullID(o.ServiceID), o.CreatedAt.Unix())
	return err
}

// Order loads one order.
func (q Q) Order(ctx context.Context, id int64) (*model.Order, error) {
	return one(q, ctx, scanOrder, fmt.Sprintf("order %d", id), `SELECT `+orderCols+` FROM orders WHERE id = ?`, id)
}

// Orders lists an account's orders, newest first.
func (q Q) Orders(ctx context.Context, accountID int64) ([]*model.Order, error) {
	return collect(q, ctx, scanOrder, `SELECT `+orderCols+` FROM orders WHERE account_id = ? ORDER BY id DESC`, accountID)
}

// DecideOrder moves a pending order to o's state, service and invoice;
// false when it was no longer pending.
func (tx *Tx) DecideOrder(ctx context.Context, o *model.Order, now time.Time) (bool, error) {
	return tx.execIf(ctx, fmt.Sprintf("decide order %d", o.ID), `UPDATE orders SET state = ?, reason = ?, service_id = ?, invoice_id = ?,
		decided_at = ? WHERE id = ? AND state = 'pending'`, o.State, o.Reason, nullID(o.ServiceID), nullID(o.InvoiceID), now.Unix(), o.ID)
}
