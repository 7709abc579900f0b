package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

func TestSitesKeepTheEightAreasAsTheFirstSite(t *testing.T) {
	s, _ := openStore(t)
	sites, err := s.Sites(ctx)
	if err != nil || len(sites) != 1 {
		t.Fatalf("Sites = %v, %v; want the first site", sites, err)
	}
	first := sites[0]
	var names []string
	for _, a := range first.Areas {
		names = append(names, a.Name)
	}
	want := []string{"dashboard", "content", "orders", "customers", "products", "reports", "settings", "users"}
	if first.ID != 1 || first.BaseURL != "" || first.Unlisted != model.UnlistedAnyAdmin || !slices.Equal(names, want) ||
		!slices.Equal(first.Areas[2].Prefixes, []string{"/admin/orders"}) {
		t.Errorf("first site %+v", first)
	}

	// Area keys are unique across sites; a second site with its own keys is kept.
	dup := &model.Site{Name: "Blog", Unlisted: model.UnlistedAllAreas, CreatedAt: t0, UpdatedAt: t0,
		Areas: []model.SiteArea{{Name: "orders", Label: "Orders", Prefixes: []string{"/x"}}}}
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertSite(ctx, dup) }); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("second site reusing key orders: %v, want ErrDuplicate", err)
	}
	blog := &model.Site{Name: "Blog", Unlisted: model.UnlistedAllAreas, CreatedAt: t0, UpdatedAt: t0,
		Areas: []model.SiteArea{{Name: "posts", Label: "Posts", Prefixes: []string{"/wp-admin/edit.php", "/wp-admin/post.php"}}}}
	if err := s.Tx(ctx, func(tx *store.Tx) error { return tx.InsertSite(ctx, blog) }); err != nil {
		t.Fatal(err)
	}
	got, err := s.Site(ctx, blog.ID)
	if err != nil || got.Name != "Blog" || len(got.Areas) != 1 || !slices.Equal(got.Areas[0].Prefixes, blog.Areas[0].Prefixes) {
		t.Fatalf("Site(blog) = %+v, %v", got, err)
	}

	// Grants name areas; access to everything names none.
	acc := addAccount(t, s, "Acme")
	c := newContact(acc.ID, "Ada", "L", "ada@example.com")
	c.Admin = &model.AdminAccess{Areas: []string{"orders", "posts"}}
	all := newContact(acc.ID, "Al", "L", "al@example.com")
	all.Admin = &model.AdminAccess{All: true, Areas: []string{"orders"}}
	for _, x := range []*model.Contact{c, all} {
		if err := insertContact(s, x); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.AreaHolders(ctx, []string{"orders", "posts", "users"})
	if err != nil || n["orders"] != 1 || n["posts"] != 1 || n["users"] != 0 {
		t.Errorf("AreaHolders = %v, %v", n, err)
	}
}

func TestSiteTicketWorksOnce(t *testing.T) {
	s, _ := openStore(t)
	acc := addAccount(t, s, "Acme")
	c := newContact(acc.ID, "Ada", "L", "ada@example.com")
	if err := insertContact(s, c); err != nil {
		t.Fatal(err)
	}
	sess := &model.Session{EmailKey: "ada@example.com", CSRFToken: "x", CreatedAt: t0, LastSeen: t0, ExpiresAt: t0.Add(8 * time.Hour)}
	tk := &store.SiteTicket{SiteID: 1, StateHash: []byte("state"), ReturnURL: "https://shop.example/admin"}
	err := s.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertSession(ctx, sess, []byte("token"), []int64{c.ID}); err != nil {
			return err
		}
		tk.SessionID = sess.ID
		return tx.InsertSiteTicket(ctx, []byte("ticket"), tk, t0.Add(time.Minute))
	})
	if err != nil {
		t.Fatal(err)
	}
	use := func(at int64) (*store.SiteTicket, error) {
		var got *store.SiteTicket
		err := s.Tx(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.UseSiteTicket(ctx, []byte("ticket"), t0.Add(time.Duration(at)*time.Second))
			return err
		})
		return got, err
	}
	if _, err := use(61); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired ticket: %v", err)
	}
	got, err := use(10)
	if err != nil || got.SessionID != sess.ID || got.ReturnURL != tk.ReturnURL || string(got.StateHash) != "state" {
		t.Fatalf("UseSiteTicket = %+v, %v", got, err)
	}
	if _, err := use(11); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second use: %v, want ErrNotFound", err)
	}
}
