package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"grantbook/backend/model"
)

const serviceCols = `id, account_id, name, kind, status, created_at`

func scanService(sc interface{ Scan(...any) error }) (*model.Service, error) {
	var s model.Service
	var created int64
	if err := sc.Scan(&s.ID, &s.AccountID, &s.Name, &s.Kind, &s.Status, &created); err != nil {
		return nil, err
	}
	s.CreatedAt = time.Unix(created, 0).UTC()
	return &s, nil
}

// InsertService stores a new service and sets its ID.
func (tx *Tx) InsertService(ctx context.Context, s *model.Service) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO services (account_id, name, kind, status, created_at) VALUES (?, ?, ?, ?, ?)`,
		s.AccountID, s.Name, s.Kind, s.Status, s.CreatedAt.Unix())
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
