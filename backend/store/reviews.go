package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"grantbook/backend/model"
)

// InsertReview stores an open review with its items and sets its ID; a
// second open review is ErrDuplicate.
func (tx *Tx) InsertReview(ctx context.Context, r *model.AccessReview) (err error) {
	r.ID, err = tx.insert(ctx, "access review", `INSERT INTO access_reviews (opened_at, period_days) VALUES (?, ?)`,
		r.OpenedAt.Unix(), r.PeriodDays)
	if err != nil {
		return err
	}
	for i := range r.Items {
		it := &r.Items[i]
		it.Position = i + 1
		_, err := tx.q.ExecContext(ctx, `INSERT INTO access_review_items (review_id, position, contact_id, account_id, name, email,
			access, flags, last_signin, last_action) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, it.Position, nullID(it.ContactID), it.AccountID, it.Name, it.Email, it.Access, strings.Join(it.Flags, " "),
			unixOrNil(it.LastSignin), unixOrNil(it.LastAction))
		if err != nil {
			return fmt.Errorf("review item: %w", err)
		}
	}
	return nil
}

func scanReview(sc scanner) (*model.AccessReview, error) {
	var r model.AccessReview
	var opened int64
	var finished sql.NullInt64
	if err := sc.Scan(&r.ID, &opened, &r.PeriodDays, &finished, &r.FinishedBy, &r.Undecided); err != nil {
		return nil, err
	}
	r.OpenedAt, r.FinishedAt, r.Items = unix(opened), nullUnix(finished), []model.ReviewItem{}
	return &r, nil
}

const reviewSelect = `SELECT r.id, r.opened_at, r.period_days, r.finished_at, r.finished_by,
	(SELECT count(*) FROM access_review_items i WHERE i.review_id = r.id AND i.decision = '' AND i.contact_id IS NOT NULL)
	FROM access_reviews r`

// Review loads a review with its items.
func (q Q) Review(ctx context.Context, id int64) (*model.AccessReview, error) {
	r, err := one(q, ctx, scanReview, "access review", reviewSelect+` WHERE r.id = ?`, id)
	if err != nil {
		return nil, err
	}
	items, err := collect(q, ctx, scanReviewItem, `SELECT position, coalesce(contact_id, 0), account_id, name, email, access, flags,
		last_signin, last_action, decision, decided_at FROM access_review_items WHERE review_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("review items: %w", err)
	}
	for _, it := range items {
		r.Items = append(r.Items, *it)
	}
	return r, nil
}

func scanReviewItem(sc scanner) (*model.ReviewItem, error) {
	var it model.ReviewItem
	var flags string
	var signin, action, decided sql.NullInt64
	err := sc.Scan(&it.Position, &it.ContactID, &it.AccountID, &it.Name, &it.Email, &it.Access, &flags,
		&signin, &action, &it.Decision, &decided)
	if err != nil {
		return nil, err
	}
	it.Flags = strings.Fields(flags)
	it.LastSignin, it.LastAction, it.DecidedAt = nullUnix(signin), nullUnix(action), nullUnix(decided)
	return &it, nil
}

// Reviews lists reviews newest first, without items.
func (q Q) Reviews(ctx context.Context, limit int) ([]*model.AccessReview, error) {
	return collect(q, ctx, scanReview, reviewSelect+` ORDER BY r.id DESC LIMIT ?`, limit)
}

// OpenReviewID is the review not finished yet (0: none).
func (q Q) OpenReviewID(ctx context.Context) (int64, error) {
	var id int64
	err := q.q.QueryRowContext(ctx, `SELECT id FROM access_reviews WHERE finished_at IS NULL`).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return id, err
}

// LastReviewOpened is when the newest review opened (nil: never).
func (q Q) LastReviewOpened(ctx context.Context) (*time.Time, error) {
	var t sql.NullInt64
	if err := q.q.QueryRowContext(ctx, `SELECT max(opened_at) FROM access_reviews`).Scan(&t); err != nil {
		return nil, fmt.Errorf("last review: %w", err)
	}
	return nullUnix(t), nil
}

// OldestActiveContact is when the longest-standing active contact (grant
// not expired at now) was added; nil when there is none. An aggregate: the
// minute's review job used to load every contact to find it.
func (q Q) OldestActiveContact(ctx context.Context, now time.Time) (*time.Time, error) {
	var t sql.NullInt64
	err := q.q.QueryRowContext(ctx, `SELECT min(c.created_at)`+contactFrom+
		` WHERE c.status = 'active' AND (g.expires_at IS NULL OR g.expires_at > ?)`, now.Unix()).Scan(&t)
	if err != nil {
		return nil, fmt.Errorf("oldest active contact: %w", err)
	}
	return nullUnix(t), nil
}

// LastReviewFinished is when the newest finished review was finished.
func (q Q) LastReviewFinished(ctx context.Context) (*time.Time, error) {
	var t sql.NullInt64
	if err := q.q.QueryRowContext(ctx, `SELECT max(finished_at) FROM access_reviews`).Scan(&t); err != nil {
		return nil, fmt.Errorf("last review: %w", err)
	}
	return nullUnix(t), nil
}

// DecideReviewItem records a decision on an item of an open review.
func (tx *Tx) DecideReviewItem(ctx context.Context, reviewID int64, position int, decision string, now time.Time) error {
	return tx.execOne(ctx, "review item", `UPDATE access_review_items SET decision = ?, decided_at = ?
		WHERE review_id = ? AND position = ? AND (SELECT finished_at FROM access_reviews WHERE id = ?) IS NULL`,
		decision, now.Unix(), reviewID, position, reviewID)
}

// FinishReview closes an open review; false when it was already finished.
func (tx *Tx) FinishReview(ctx context.Context, id int64, by string, now time.Time) (bool, error) {
	return tx.execIf(ctx, "finish review", `UPDATE access_reviews SET finished_at = ?, finished_by = ? WHERE id = ? AND finished_at IS NULL`,
		now.Unix(), by, id)
}

// Activity is when each contact last signed in, and when each portal actor
// ("contact <address>") last acted.
type Activity struct {
	Signins map[int64]time.Time
	Actions map[string]time.Time
}

// LastActivity reads the portal's sessions and audit log for reviews.
func (q Q) LastActivity(ctx context.Context) (*Activity, error) {
	act := &Activity{Signins: map[int64]time.Time{}, Actions: map[string]time.Time{}}
	rows, err := q.q.QueryContext(ctx, `SELECT sc.contact_id, max(s.created_at) FROM session_contacts sc
		JOIN sessions s ON s.id = sc.session_id GROUP BY sc.contact_id`)
	if err != nil {
		return nil, fmt.Errorf("last sign-ins: %w", err)
	}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return nil, err
		}
		act.Signins[id] = unix(at)
	}
	rows.Close()
	rows, err = q.q.QueryContext(ctx, `SELECT lower(actor), max(at) FROM audit_log WHERE actor LIKE 'contact %'
		AND action NOT IN ('portal.signin', 'portal.switch') GROUP BY lower(actor)`)
	if err != nil {
		return nil, fmt.Errorf("last actions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var actor string
		var at int64
		if err := rows.Scan(&actor, &at); err != nil {
			return nil, err
		}
		act.Actions[actor] = unix(at)
	}
	return act, rows.Err()
}
