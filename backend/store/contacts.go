package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"grantbook/backend/model"
)

const contactCols = `c.id, c.account_id, c.account_type, c.first_name, c.last_name, c.email, c.phone,
	c.company, c.role, c.status, c.created_at, c.updated_at,
	g.preset, g.permissions, g.all_services, g.expires_at, g.admin_all, g.admin_areas, g.billing_scope, coalesce(g.term_days, 0)`

const contactFrom = ` FROM contacts c JOIN grants g ON g.contact_id = c.id`

func scanContact(sc interface{ Scan(...any) error }) (*model.Contact, error) {
	var c model.Contact
	var created, updated int64
	var perms string
	var expires sql.NullInt64
	var adminAll bool
	var adminAreas sql.NullString
	err := sc.Scan(&c.ID, &c.AccountID, &c.AccountType, &c.FirstName, &c.LastName, &c.Email, &c.Phone,
		&c.Company, &c.Role, &c.Status, &created, &updated,
		&c.Grant.Preset, &perms, &c.Grant.AllServices, &expires, &adminAll, &adminAreas, &c.Grant.BillingScope, &c.Grant.TermDays)
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	c.Grant.Permissions = strings.Fields(perms)
	c.Grant.ServiceIDs = []int64{}
	if expires.Valid {
		t := time.Unix(expires.Int64, 0).UTC()
		c.Grant.ExpiresAt = &t
	}
	if adminAreas.Valid {
		c.Admin = &model.AdminAccess{All: adminAll, Areas: strings.Fields(adminAreas.String)}
	}
	return &c, nil
}

// SearchKey is what a contact search matches against (see migration 4).
func SearchKey(c *model.Contact) string {
	return strings.ToLower(c.FirstName + " " + c.LastName + "\x1f" + c.Email + "\x1f" + c.Company)
}

// EmailKey is the form of an address used for uniqueness and look-ups.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// InsertContact stores a new contact with its grant and sets its ID. A
// second contact with the same email in the account gives ErrDuplicate.
func (tx *Tx) InsertContact(ctx context.Context, c *model.Contact) error {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO contacts (account_id, account_type, first_name, last_name,
		email, email_key, phone, company, role, status, created_at, updated_at, search_key, search_group)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.AccountID, c.AccountType, c.FirstName, c.LastName, c.Email, EmailKey(c.Email), c.Phone,
		c.Company, c.Role, c.Status, c.CreatedAt.Unix(), c.UpdatedAt.Unix(), SearchKey(c), SearchGroup(c))
	if isUnique(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("insert contact: %w", err)
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.putGrant(ctx, c, true)
}

// UpdateContact writes every field of c and replaces its grant.
func (tx *Tx) UpdateContact(ctx context.Context, c *model.Contact) error {
	res, err := tx.q.ExecContext(ctx, `UPDATE contacts SET account_type = ?, first_name = ?, last_name = ?,
		email = ?, email_key = ?, phone = ?, company = ?, role = ?, status = ?, updated_at = ?, search_key = ?,
		search_group = ? WHERE id = ?`,
		c.AccountType, c.FirstName, c.LastName, c.Email, EmailKey(c.Email), c.Phone, c.Company, c.Role,
		c.Status, c.UpdatedAt.Unix(), SearchKey(c), SearchGroup(c), c.ID)
	if isUnique(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("update contact %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return tx.putGrant(ctx, c, false)
}

// grantColumns are the values of c's grant that are worked out: its end,
// its admin access and its billing scope.
func grantColumns(c *model.Contact) (expires any, adminAll bool, adminAreas any, scope string) {
	if c.Grant.ExpiresAt != nil {
		expires = c.Grant.ExpiresAt.Unix()
	}
	if c.Admin != nil {
		adminAll, adminAreas = c.Admin.All, strings.Join(c.Admin.Areas, " ")
	}
	scope = c.Grant.BillingScope
	if scope == "" {
		scope = model.BillingServices
	}
	return expires, adminAll, adminAreas, scope
}

func (tx *Tx) putGrant(ctx context.Context, c *model.Contact, fresh bool) error {
	expires, adminAll, adminAreas, scope := grantColumns(c)
	// A new end gives the grant a new length, counted from this change;
	// an unchanged end keeps its length (see SetGrantTerm for extensions).
	term := termDays(c)
	_, err := tx.q.ExecContext(ctx, `INSERT INTO grants (contact_id, preset, permissions, all_services, expires_at, admin_all, admin_areas, billing_scope, term_days)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (contact_id) DO UPDATE SET preset = excluded.preset, permissions = excluded.permissions,
			all_services = excluded.all_services, expires_at = excluded.expires_at,
			admin_all = excluded.admin_all, admin_areas = excluded.admin_areas, billing_scope = excluded.billing_scope,
			term_days = CASE WHEN grants.expires_at IS excluded.expires_at THEN grants.term_days ELSE excluded.term_days END`,
		c.ID, c.Grant.Preset, strings.Join(c.Grant.Permissions, " "), c.Grant.AllServices, expires, adminAll, adminAreas, scope, term)
	if err != nil {
		return fmt.Errorf("grant of contact %d: %w", c.ID, err)
	}
	if !fresh {
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM grant_services WHERE contact_id = ?`, c.ID); err != nil {
			return fmt.Errorf("grant services of contact %d: %w", c.ID, err)
		}
	}
	for _, sid := range c.Grant.ServiceIDs {
		if _, err := tx.q.ExecContext(ctx, `INSERT INTO grant_services (contact_id, service_id) VALUES (?, ?)`, c.ID, sid); err != nil {
			return fmt.Errorf("grant service %d of contact %d: %w", sid, c.ID, err)
		}
	}
	return nil
}

// termDays is the length of c's grant in days, from its last change to
// its end (nil: no end).
func termDays(c *model.Contact) any {
	if c.Grant.ExpiresAt == nil {
		return nil
	}
	return max(1, (c.Grant.ExpiresAt.Unix()-c.UpdatedAt.Unix()+43200)/86400)
}

// DeleteContact removes a contact and its grant.
func (tx *Tx) DeleteContact(ctx context.Context, id int64) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM contacts WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete contact %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Contact loads one contact with its grant, in one query.
func (q Q) Contact(ctx context.Context, id int64) (*model.Contact, error) {
	var svcs sql.NullString
	c, err := scanContact(scanWith{q.q.QueryRowContext(ctx, `SELECT `+contactCols+`, `+grantServiceList+contactFrom+` WHERE c.id = ?`, id), &svcs})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("contact %d: %w", id, err)
	}
	return c, parseServiceList(c, svcs.String)
}

// ContactByEmail finds a contact by address, case-insensitively, preferring
// the given account (0: any account, the most recently updated first).
func (q Q) ContactByEmail(ctx context.Context, email string, accountID int64) (*model.Contact, error) {
	c, err := scanContact(q.q.QueryRowContext(ctx, `SELECT `+contactCols+contactFrom+`
		WHERE c.email_key = ? ORDER BY c.account_id = ? DESC, c.updated_at DESC, c.id DESC LIMIT 1`,
		EmailKey(email), accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("contact by email: %w", err)
	}
	return c, q.loadServices(ctx, []*model.Contact{c})
}

// ContactsByEmail lists the contacts with an address in every account,
// case-insensitively, in account order.
func (q Q) ContactsByEmail(ctx context.Context, email string) ([]*model.Contact, error) {
	cs, err := collect(q, ctx, scanContact, `SELECT `+contactCols+contactFrom+` WHERE c.email_key = ? ORDER BY c.account_id, c.id`,
		EmailKey(email))
	if err != nil {
		return nil, fmt.Errorf("contacts by email: %w", err)
	}
	return cs, q.loadServices(ctx, cs)
}

// loadServices fills the selected services of the contacts' grants.
func (q Q) loadServices(ctx context.Context, cs []*model.Contact) error {
	byID := make(map[int64]*model.Contact, len(cs))
	var ids []int64
	for _, c := range cs {
		if !c.Grant.AllServices {
			byID[c.ID] = c
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.q.QueryContext(ctx, `SELECT contact_id, service_id FROM grant_services
		WHERE contact_id IN (SELECT value FROM json_each(?)) ORDER BY contact_id, service_id`, idList(ids))
	if err != nil {
		return fmt.Errorf("grant services: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, sid int64
		if err := rows.Scan(&cid, &sid); err != nil {
			return fmt.Errorf("grant services: %w", err)
		}
		c := byID[cid]
		c.Grant.ServiceIDs = append(c.Grant.ServiceIDs, sid)
	}
	return rows.Err()
}

// idList is ids as a JSON array, for json_each: one statement text for
// any number of ids, so it stays prepared.
func idList(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SetSuspendedBy records who suspended a contact (the audit actor).
func (tx *Tx) SetSuspendedBy(ctx context.Context, id int64, actor string) error {
	_, err := tx.q.ExecContext(ctx, `UPDATE contacts SET suspended_by = ? WHERE id = ?`, actor, id)
	if err != nil {
		return fmt.Errorf("suspension of contact %d: %w", id, err)
	}
	return nil
}

// SuspendedBy says who suspended a contact ("" when never).
func (q Q) SuspendedBy(ctx context.Context, id int64) (string, error) {
	var by string
	err := q.q.QueryRowContext(ctx, `SELECT suspended_by FROM contacts WHERE id = ?`, id).Scan(&by)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return by, err
}

// ContactsHolding lists an account's active contacts whose grant names
// perm: candidates only, each still to be decided by the evaluation.
func (q Q) ContactsHolding(ctx context.Context, accountID int64, perm string) ([]*model.Contact, error) {
	cs, err := collect(q, ctx, scanContact, `SELECT `+contactCols+contactFrom+`
		WHERE c.account_id = ? AND c.status = 'active' AND ' ' || g.permissions || ' ' LIKE ? ESCAPE '\'
		ORDER BY c.id`, accountID, "% "+escapeLike(perm)+" %")
	if err != nil {
		return nil, fmt.Errorf("contacts holding %s: %w", perm, err)
	}
	return cs, q.loadServices(ctx, cs)
}

// AccountContacts lists every contact of an account by name.
func (q Q) AccountContacts(ctx context.Context, accountID int64) ([]*model.Contact, error) {
	cs, err := collect(q, ctx, scanContact, `SELECT `+contactCols+contactFrom+` WHERE c.account_id = ?
		ORDER BY c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("contacts of account %d: %w", accountID, err)
	}
	return cs, q.loadServices(ctx, cs)
}
