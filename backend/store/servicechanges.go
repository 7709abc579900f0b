package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"grantbook/backend/model"
)

// InsertServiceChange stores one change of a setting and sets its ID.
func (tx *Tx) InsertServiceChange(ctx context.Context, c *model.ServiceChange) (err error) {
	c.ID, err = tx.insert(ctx, "service change", `INSERT INTO service_changes (id, service_id, field, before, after, actor, actor_name,
		contact_id, created_at, reverts) VALUES (`+newID("service_changes")+`, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ServiceID, c.Field, string(c.Before), string(c.After), c.Actor, c.ActorName, nullID(c.ContactID), c.CreatedAt.Unix(), nullID(c.Reverts))
	return err
}

const changeCols = `id, service_id, field, before, after, actor, actor_name, coalesce(contact_id, 0), created_at,
	coalesce(reverts, 0), coalesce(reverted_by, 0)`

func scanChange(sc scanner) (*model.ServiceChange, error) {
	var c model.ServiceChange
	var before, after string
	var created int64
	if err := sc.Scan(&c.ID, &c.ServiceID, &c.Field, &before, &after, &c.Actor, &c.ActorName, &c.ContactID, &created,
		&c.Reverts, &c.RevertedBy); err != nil {
		return nil, err
	}
	c.Before, c.After, c.CreatedAt = []byte(before), []byte(after), unix(created)
	return &c, nil
}

// ServiceChange loads one change.
func (q Q) ServiceChange(ctx context.Context, id int64) (*model.ServiceChange, error) {
	return one(q, ctx, scanChange, fmt.Sprintf("service change %d", id), `SELECT `+changeCols+` FROM service_changes WHERE id = ?`, id)
}

// ServiceChanges lists a service's changes, newest first.
func (q Q) ServiceChanges(ctx context.Context, serviceID int64) ([]*model.ServiceChange, error) {
	return collect(q, ctx, scanChange, `SELECT `+changeCols+` FROM service_changes WHERE service_id = ? ORDER BY id DESC LIMIT 200`, serviceID)
}

// LastChange is the newest change of one field of a service.
func (q Q) LastChange(ctx context.Context, serviceID int64, field string) (*model.ServiceChange, error) {
	return one(q, ctx, scanChange, "last change of "+field, `SELECT `+changeCols+` FROM service_changes
		WHERE service_id = ? AND field = ? ORDER BY id DESC LIMIT 1`, serviceID, field)
}

// MarkReverted records which change undid change id.
func (tx *Tx) MarkReverted(ctx context.Context, id, by int64) error {
	return tx.execOne(ctx, fmt.Sprintf("service change %d", id), `UPDATE service_changes SET reverted_by = ? WHERE id = ?`, by, id)
}

const cancelCols = `id, service_id, coalesce(contact_id, 0), contact_name, timing, reason, state, note, effective_at, created_at, decided_at`

func scanCancellation(sc scanner) (*model.Cancellation, error) {
	var c model.Cancellation
	var created int64
	var effective, decided sql.NullInt64
	if err := sc.Scan(&c.ID, &c.ServiceID, &c.ContactID, &c.ContactName, &c.Timing, &c.Reason, &c.State, &c.Note,
		&effective, &created, &decided); err != nil {
		return nil, err
	}
	c.EffectiveAt, c.CreatedAt, c.DecidedAt = nullUnix(effective), unix(created), nullUnix(decided)
	return &c, nil
}

// InsertCancellation stores a request; ErrDuplicate when the service has
// one waiting already.
func (tx *Tx) InsertCancellation(ctx context.Context, c *model.Cancellation) (err error) {
	c.ID, err = tx.insert(ctx, "cancellation", `INSERT INTO cancellations (id, service_id, contact_id, contact_name, timing, reason, state,
		created_at) VALUES (`+newID("cancellations")+`, ?, ?, ?, ?, ?, ?, ?)`, c.ServiceID, nullID(c.ContactID), c.ContactName, c.Timing, c.Reason, c.State, c.CreatedAt.Unix())
	return err
}

// Cancellation loads one request.
func (q Q) Cancellation(ctx context.Context, id int64) (*model.Cancellation, error) {
	return one(q, ctx, scanCancellation, fmt.Sprintf("cancellation %d", id), `SELECT `+cancelCols+` FROM cancellations WHERE id = ?`, id)
}

// Cancellations lists a service's requests (serviceID), or an account's
// (accountID), newest first.
func (q Q) Cancellations(ctx context.Context, accountID, serviceID int64) ([]*model.Cancellation, error) {
	if serviceID != 0 {
		return collect(q, ctx, scanCancellation, `SELECT `+cancelCols+` FROM cancellations WHERE service_id = ? ORDER BY id DESC`, serviceID)
	}
	return collect(q, ctx, scanCancellation, `SELECT `+cancelCols+` FROM cancellations
		WHERE service_id IN (SELECT id FROM services WHERE account_id = ?) ORDER BY id DESC`, accountID)
}

// DecideCancellation moves a waiting request to c's state; false when it
// was no longer waiting.
func (tx *Tx) DecideCancellation(ctx context.Context, c *model.Cancellation, now time.Time) (bool, error) {
	return tx.execIf(ctx, fmt.Sprintf("decide cancellation %d", c.ID), `UPDATE cancellations SET state = ?, note = ?, effective_at = ?,
		decided_at = ? WHERE id = ? AND state = 'requested'`, c.State, c.Note, unixOrNil(c.EffectiveAt), now.Unix(), c.ID)
}
