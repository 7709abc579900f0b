package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

const accountCols = `a.id, a.name, a.email, a.phone, a.address, coalesce(a.holder_contact_id, 0), a.created_at,
	(SELECT count(*) FROM services s WHERE s.account_id = a.id),
	(SELECT count(*) FROM contacts c WHERE c.account_id = a.id)`

func scanAccount(sc interface{ Scan(...any) error }) (*model.Account, error) {
	var a model.Account
	var created int64
	if err := sc.Scan(&a.ID, &a.Name, &a.Email, &a.Phone, &a.Address, &a.HolderContactID, &created, &a.ServiceCount, &a.ContactCount); err != nil {
		return nil, err
	}
	a.CreatedAt = time.Unix(created, 0).UTC()
	return &a, nil
}

// InsertAccount stores a new account and sets its ID.
func (tx *Tx) InsertAccount(ctx context.Context, a *model.Account) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO accounts (name, email, phone, address, created_at) VALUES (?, ?, ?, ?, ?)`,
		a.Name, a.Email, a.Phone, a.Address, a.CreatedAt.Unix())
	if err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	a.ID, err = res.LastInsertId()
	return err
}

// Account loads one account.
func (q Q) Account(ctx context.Context, id int64) (*model.Account, error) {
	a, err := scanAccount(q.q.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts a WHERE a.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("account %d: %w", id, err)
	}
	return a, nil
}

// Accounts lists all accounts by name.
func (q Q) Accounts(ctx context.Context) ([]*model.Account, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts a ORDER BY a.name COLLATE NOCASE, a.id`)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	out := []*model.Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAccount writes an account's profile fields.
func (tx *Tx) UpdateAccount(ctx context.Context, a *model.Account) error {
	res, err := tx.q.ExecContext(ctx, `UPDATE accounts SET name = ?, email = ?, phone = ?, address = ?, holder_contact_id = ? WHERE id = ?`,
		a.Name, a.Email, a.Phone, a.Address, nullID(a.HolderContactID), a.ID)
	if err != nil {
		return fmt.Errorf("update account %d: %w", a.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
