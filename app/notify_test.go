package app

import (
	"context"
	"testing"
	"time"

	"grantbook/backend/core"
)

// The window's notification follows Needs your attention as the core
// computes it: what grows is told once, what shrinks is not, and what
// waited when the window opened is no news.
func TestAttentionNotifiesWhatGrew(t *testing.T) {
	_, c, _ := newApp(t)
	ctx := context.Background()
	var sent []string
	w := &attentionWatch{attention: c.Attention, notify: func(body string) { sent = append(sent, body) }}

	acc, err := c.CreateAccount(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	soon := &core.Expiry{Time: time.Now().Add(3 * 24 * time.Hour).UTC().Truncate(time.Second)}
	add := func(first, email string) int64 {
		ct, err := c.CreateContact(ctx, core.ContactInput{AccountID: acc.ID, FirstName: first, LastName: "Tester", Email: email, Preset: "billing", ExpiresAt: soon})
		if err != nil {
			t.Fatal(err)
		}
		return ct.ID
	}
	add("Ann", "ann@example.test")
	if err := w.look(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 0 {
		t.Fatalf("the first look notified %q; what waited already is no news", sent)
	}

	bob := add("Bob", "bob@example.test")
	add("Cy", "cy@example.test")
	if _, err := c.OpenReview(ctx); err != nil {
		t.Fatal(err)
	}
	w.look(ctx)
	want := "2 grants ending within 7 days, an access review is open."
	if len(sent) != 1 || sent[0] != want {
		t.Fatalf("after two grants ending and a review: %q, want [%q]", sent, want)
	}

	// An extension takes Bob out of the list: fewer is no news.
	if _, err := c.ExtendGrant(ctx, bob, core.ExtendInput{}); err != nil {
		t.Fatal(err)
	}
	w.look(ctx)
	w.look(ctx)
	if len(sent) != 1 {
		t.Fatalf("an extension and a look without change notified: %q", sent[1:])
	}
}

func TestAttentionNoticeWords(t *testing.T) {
	for _, tc := range []struct {
		prev, cur attentionCounts
		want      string
	}{
		{attentionCounts{}, attentionCounts{requests: 1}, "1 new access request."},
		{attentionCounts{requests: 1}, attentionCounts{requests: 3, awaiting: 1}, "2 new access requests, 1 reply to confirm."},
		{attentionCounts{invitations: 2, review: true}, attentionCounts{invitations: 3, review: true}, "1 invitation about to expire."},
		{attentionCounts{requests: 2, ending: 1}, attentionCounts{requests: 1}, ""},
	} {
		if got := attentionNotice(tc.prev, tc.cur); got != tc.want {
			t.Errorf("%+v → %+v: %q, want %q", tc.prev, tc.cur, got, tc.want)
		}
	}
}
