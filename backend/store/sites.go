package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"

	"grantbook/backend/model"
)

// Sites lists the owner's sites with their areas, oldest first.
func (q Q) Sites(ctx context.Context) ([]*model.Site, error) {
	sites, err := collect(q, ctx, scanSite, `SELECT id, name, base_url, unlisted, created_at, updated_at FROM sites ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sites: %w", err)
	}
	rows, err := q.q.QueryContext(ctx, `SELECT site_id, name, label, prefixes FROM site_areas ORDER BY site_id, position`)
	if err != nil {
		return nil, fmt.Errorf("site areas: %w", err)
	}
	defer rows.Close()
	byID := map[int64]*model.Site{}
	for _, s := range sites {
		byID[s.ID] = s
	}
	for rows.Next() {
		var id int64
		var a model.SiteArea
		var prefixes string
		if err := rows.Scan(&id, &a.Name, &a.Label, &prefixes); err != nil {
			return nil, fmt.Errorf("site areas: %w", err)
		}
		a.Prefixes = strings.Fields(prefixes)
		if s := byID[id]; s != nil {
			s.Areas = append(s.Areas, a)
		}
	}
	return sites, rows.Err()
}

func scanSite(sc interface{ Scan(...any) error }) (*model.Site, error) {
	s := &model.Site{Areas: []model.SiteArea{}}
	var created, updated int64
	if err := sc.Scan(&s.ID, &s.Name, &s.BaseURL, &s.Unlisted, &created, &updated); err != nil {
		return nil, err
	}
	s.CreatedAt, s.UpdatedAt = unix(created), unix(updated)
	return s, nil
}

// Site finds one site with its areas.
func (q Q) Site(ctx context.Context, id int64) (*model.Site, error) {
	sites, err := q.Sites(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range sites {
		if s.ID == id {
			return s, nil
		}
	}
	return nil, ErrNotFound
}

// InsertSite stores a new site and its areas and sets its ID. An area key
// another site has gives ErrDuplicate.
func (tx *Tx) InsertSite(ctx context.Context, s *model.Site) error {
	var err error
	s.ID, err = tx.insert(ctx, "site", `INSERT INTO sites (name, base_url, unlisted, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		s.Name, s.BaseURL, s.Unlisted, s.CreatedAt.Unix(), s.UpdatedAt.Unix())
	if err != nil {
		return err
	}
	return tx.putAreas(ctx, s)
}

// UpdateSite writes a site and replaces its areas.
func (tx *Tx) UpdateSite(ctx context.Context, s *model.Site) error {
	what := fmt.Sprintf("update site %d", s.ID)
	if err := tx.execOne(ctx, what, `UPDATE sites SET name = ?, base_url = ?, unlisted = ?, updated_at = ? WHERE id = ?`,
		s.Name, s.BaseURL, s.Unlisted, s.UpdatedAt.Unix(), s.ID); err != nil {
		return err
	}
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM site_areas WHERE site_id = ?`, s.ID); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return tx.putAreas(ctx, s)
}

func (tx *Tx) putAreas(ctx context.Context, s *model.Site) error {
	for i, a := range s.Areas {
		_, err := tx.q.ExecContext(ctx, `INSERT INTO site_areas (site_id, name, label, prefixes, position) VALUES (?, ?, ?, ?, ?)`,
			s.ID, a.Name, a.Label, strings.Join(a.Prefixes, "\n"), i)
		if isUnique(err) || isPrimaryKey(err) {
			return fmt.Errorf("area %s: %w", a.Name, ErrDuplicate)
		}
		if err != nil {
			return fmt.Errorf("site %d area %s: %w", s.ID, a.Name, err)
		}
	}
	return nil
}

// DeleteSite removes a site, its areas, clients and site sessions.
func (tx *Tx) DeleteSite(ctx context.Context, id int64) error {
	return tx.execOne(ctx, fmt.Sprintf("delete site %d", id), `DELETE FROM sites WHERE id = ?`, id)
}

// AreaHolders counts, for each area key given, the contacts whose admin
// access names it (access to everything names none).
func (q Q) AreaHolders(ctx context.Context, names []string) (map[string]int, error) {
	out := map[string]int{}
	if len(names) == 0 {
		return out, nil
	}
	rows, err := q.q.QueryContext(ctx, `SELECT admin_areas FROM grants WHERE admin_areas IS NOT NULL AND admin_all = 0`)
	if err != nil {
		return nil, fmt.Errorf("area holders: %w", err)
	}
	defer rows.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for rows.Next() {
		var areas string
		if err := rows.Scan(&areas); err != nil {
			return nil, err
		}
		for _, a := range strings.Fields(areas) {
			if want[a] {
				out[a]++
			}
		}
	}
	return out, rows.Err()
}

func isPrimaryKey(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
}
