package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

const serviceCols = `id, account_id, name, kind, status, created_at, settings, coalesce(product_id, 0), renews_at, cancel_at`

func scanService(sc interface{ Scan(...any) error }) (*model.Service, error) {
	var s model.Service
	var created int64
	var settings string
	var renews, cancel sql.NullInt64
	if err := sc.Scan(&s.ID, &s.AccountID, &s.Name, &s.Kind, &s.Status, &created, &settings, &s.ProductID, &renews, &cancel); err != nil {
		return nil, err
	}
	s.CreatedAt, s.RenewsAt, s.CancelAt = time.Unix(created, 0).UTC(), nullUnix(renews), nullUnix(cancel)
	if err := json.Unmarshal([]byte(settings), &s.Settings); err != nil || s.Settings == nil {
		s.Settings = map[string]any{}
	}
	return &s, nil
}

// InsertService stores a new service and sets its ID.
func (tx *Tx) InsertService(ctx context.Context, s *model.Service) error {
	settings, err := settingsJSON(s.Settings)
	if err != nil {
		return err
	}
	res, err := tx.q.ExecContext(ctx, `INSERT INTO services (account_id, name, kind, status, created_at, settings, product_id, renews_at, cancel_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.AccountID, s.Name, s.Kind, s.Status, s.CreatedAt.Unix(), settings, nullID(s.ProductID), unixOrNil(s.RenewsAt), unixOrNil(s.CancelAt))
	if err != nil {
		return fmt.Errorf("insert service: %w", err)
	}
	s.ID, err = res.LastInsertId()
	return err
}

// Service loads one service.
func (q Q) Service(ctx context.Context, id int64) (*model.Service, error) {
	s, err := scanService(q.q.QueryRowContext(ctx, `SELECT `+serviceCols+` FROM services WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("service %d: %w", id, err)
	}
	return s, nil
}

// Services lists an account's services by name.
func (q Q) Services(ctx context.Context, accountID int64) ([]*model.Service, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT `+serviceCols+` FROM services WHERE account_id = ? ORDER BY name COLLATE NOCASE, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	defer rows.Close()
	out := []*model.Service{}
	for rows.Next() {
		s, err := scanService(rows)
		if err != nil {
			return nil, fmt.Errorf("services: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func settingsJSON(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("service settings: %w", err)
	}
	return string(b), nil
}

// UpdateService writes every field of s.
func (tx *Tx) UpdateService(ctx context.Context, s *model.Service) error {
	settings, err := settingsJSON(s.Settings)
	if err != nil {
		return err
	}
	return tx.execOne(ctx, fmt.Sprintf("update service %d", s.ID), `UPDATE services SET name = ?, kind = ?, status = ?, settings = ?,
		product_id = ?, renews_at = ?, cancel_at = ? WHERE id = ?`,
		s.Name, s.Kind, s.Status, settings, nullID(s.ProductID), unixOrNil(s.RenewsAt), unixOrNil(s.CancelAt), s.ID)
}

// DeleteService removes a service: grants lose it from their selection,
// its invoices and support requests stay, tied to no service.
func (tx *Tx) DeleteService(ctx context.Context, id int64) error {
	return tx.execOne(ctx, fmt.Sprintf("delete service %d", id), `DELETE FROM services WHERE id = ?`, id)
}

// ServicesDue lists active services whose confirmed cancellation is due.
func (q Q) ServicesDue(ctx context.Context, now time.Time) ([]*model.Service, error) {
	return collect(q, ctx, scanService, `SELECT `+serviceCols+` FROM services
		WHERE cancel_at IS NOT NULL AND cancel_at <= ? AND status != 'cancelled' ORDER BY id`, now.Unix())
}
