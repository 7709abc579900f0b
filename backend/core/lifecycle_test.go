package core_test

import (
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/model"
)

// reminderTo is the reminder the contact received, parsed.
func (r *invRig) reminderTo(email string) *invParsed {
	r.t.Helper()
	var got *invParsed
	for _, m := range r.smtp.Messages() {
		if p := invParse(r.t, m.Data); m.To[0] == email && strings.Contains(p.text, "please extend") {
			got = p
		}
	}
	if got == nil {
		r.t.Fatalf("no reminder to %s", email)
	}
	return got
}

func (r *invRig) requests(state string) []*model.AccessRequest {
	r.t.Helper()
	rs, _, err := r.app.AccessRequests(invCtx, core.RequestFilter{State: state})
	if err != nil {
		r.t.Fatal(err)
	}
	return rs
}

func TestPleaseExtendReplyBecomesARequest(t *testing.T) {
	r := newInvRig(t, true, true)
	c := r.lifeContact("tem@client.test", 5*24*time.Hour)
	r.remind(2)
	rem := r.reminderTo(c.Email)
	plus := strings.Trim(rem.header.Get("Reply-To")[strings.IndexByte(rem.header.Get("Reply-To"), '<'):], "<>")
	reply := func(body string, verified bool) invReply {
		m := invReply{from: "Tem Porary <" + c.Email + ">", to: plus, inReplyTo: rem.messageID, references: rem.messageID,
			body: body + "\n\nOn Mon, 1 Jun 2026, Acme Support wrote:\n> reply to this email with \"please extend\"\n"}
		if verified {
			m.extra = []string{invPass(c.Email)}
		}
		return m
	}
	r.process(reply("Thanks for the reminder.", true).bytes())
	r.process(reply("Please extend, the project runs until autumn.", false).bytes())
	if rs := r.requests(""); len(rs) != 0 {
		t.Fatalf("a reply without the words, or from an unverified sender, made requests: %+v", rs)
	}
	evs, _ := r.app.MailEvents(invCtx, 0, 10)
	if len(evs) < 2 || evs[0].Verdict != "extend_unverified" || evs[1].Verdict != "ignore" {
		t.Fatalf("mail events: %+v", evs)
	}
	r.process(reply("Please extend, the project runs until autumn.", true).bytes())
	r.process(reply("please extend!", true).bytes()) // the same request again coalesces
	rs := r.requests(model.RequestPending)
	if len(rs) != 1 || rs[0].Kind != model.RequestExtend || rs[0].Source != "mail" || rs[0].ContactID != c.ID {
		t.Fatalf("requests: %+v", rs)
	}
	if want := "Extend access (ends " + c.Grant.ExpiresAt.In(time.Local).Format("2 January 2006 15:04 MST") + ")"; rs[0].Label != want {
		t.Errorf("label %q, want %q", rs[0].Label, want)
	}
	if got := r.contact(c.ID); !got.Grant.ExpiresAt.Equal(*c.Grant.ExpiresAt) {
		t.Fatalf("a reply extended the grant by itself: %v", got.Grant.ExpiresAt)
	}
	n := len(r.smtp.Messages())
	r.flush(1) // the owner is told of the request
	ap, err := r.app.ApproveRequest(invCtx, rs[0].ID, core.ApproveInput{})
	if err != nil || ap.State != model.RequestApproved {
		t.Fatalf("approve: %+v, %v", ap, err)
	}
	if got := r.contact(c.ID); !got.Grant.ExpiresAt.Equal(c.Grant.ExpiresAt.AddDate(0, 0, 5)) {
		t.Fatalf("approved extension: %v", got.Grant.ExpiresAt)
	}
	r.flush(1)
	if p := invParse(t, r.smtp.Messages()[n+1].Data); !strings.Contains(p.text, "approved") {
		t.Errorf("decision mail: %s", p.text)
	}
	if _, err := r.app.ApproveRequest(invCtx, rs[0].ID, core.ApproveInput{}); asCoreError(t, err).Code != core.CodeConflict {
		t.Fatalf("approving twice: %v", err)
	}
}

func TestAccessRequestsExpireAfter30Days(t *testing.T) {
	r := newInvRig(t, true, true)
	c := r.lifeContact("tem@client.test", 5*24*time.Hour)
	r.remind(2)
	rem := r.reminderTo(c.Email)
	r.process(invReply{from: c.Email, to: "owner@example.test", inReplyTo: rem.messageID, body: "Please extend",
		extra: []string{invPass(c.Email)}}.bytes())
	if len(r.requests(model.RequestPending)) != 1 {
		t.Fatal("no request")
	}
	r.advance(29 * 24 * time.Hour)
	if err := r.app.ExpireAccessRequests(invCtx); err != nil || len(r.requests(model.RequestPending)) != 1 {
		t.Fatalf("expired early: %v", err)
	}
	r.advance(2 * 24 * time.Hour)
	if err := r.app.ExpireAccessRequests(invCtx); err != nil || len(r.requests(model.RequestExpired)) != 1 {
		t.Fatalf("not expired after 30 days: %v", err)
	}
}

func TestConfirmBeforeHighPrivilegeBecomesActive(t *testing.T) {
	r := newInvRig(t, true, true)
	st := core.DefaultLifecycle()
	st.ConfirmHighPrivilege = true
	if _, err := r.app.PutLifecycle(invCtx, st); err != nil {
		t.Fatal(err)
	}
	in := r.input("Fay", "Full", "fay@client.test")
	in.Preset = "full"
	full := must(r.app.Invite(invCtx, in))
	low := r.invite("Bill", "Ing", "bill@client.test") // billing pays invoices: high too
	in = r.input("Tex", "Nical", "tex@client.test")
	in.Preset = "technical"
	tech := must(r.app.Invite(invCtx, in))
	r.flush(3)
	for _, inv := range []*model.Invitation{full, low, tech} {
		r.process(invAnswer(r.invitation(inv.ID), "Yes, thanks").bytes())
	}
	if got := r.invitation(tech.ID); got.State != model.InvAccepted {
		t.Fatalf("technical access waited: %s", got.State)
	}
	for _, inv := range []*model.Invitation{full, low} {
		got := r.invitation(inv.ID)
		if got.State != model.InvAwaiting || got.AwaitingReason != "high_privilege" || r.contact(inv.ContactID).Status != model.StatusInvited {
			t.Fatalf("%s: %s %q (%s)", inv.Email, got.State, got.AwaitingReason, got.Detail)
		}
	}
	if d := r.invitation(full.ID).Detail; !strings.Contains(d, "Full access") {
		t.Errorf("the reason: %s", d)
	}
	r.flush(3) // both are told it waits; technical access is welcomed
	if _, err := r.app.ConfirmReply(invCtx, full.ID); err != nil {
		t.Fatal(err)
	}
	if r.contact(full.ContactID).Status != model.StatusActive {
		t.Fatal("confirmed contact is not active")
	}
	if _, err := r.app.RejectReply(invCtx, low.ID); err != nil {
		t.Fatal(err)
	}
	if got := r.invitation(low.ID); got.State != model.InvRevoked || r.contact(low.ContactID).Status != model.StatusInvited {
		t.Fatalf("rejected: %s", got.State)
	}
	r.flush(2) // the welcome mail and "not confirmed"
	// One mail on acceptance, the welcome mail, whether the reply or the
	// owner's confirmation made the access active.
	var toFay []string
	for _, m := range r.smtp.Messages() {
		if m.To[0] == "fay@client.test" {
			toFay = append(toFay, invParse(t, m.Data).header.Get("Subject"))
		}
	}
	if len(toFay) != 3 || !strings.Contains(toFay[2], "is ready") {
		t.Errorf("mails to the confirmed contact (invitation, waits, welcome): %q", toFay)
	}
}

func TestAccessReview(t *testing.T) {
	r := newInvRig(t, true, true)
	old := r.lifeContact("old@client.test", 400*24*time.Hour)
	full, err := r.app.CreateContact(invCtx, core.ContactInput{AccountID: r.acc.ID, FirstName: "Fay", LastName: "Full",
		Email: "fay@client.test", Preset: "full"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.app.OpenDueReview(invCtx); err != nil {
		t.Fatal(err)
	}
	if rv, _ := r.app.AccessReviews(invCtx); rv.Open != nil {
		t.Fatal("a review opened before its period")
	}
	r.advance(91 * 24 * time.Hour)
	if err := r.app.OpenDueReview(invCtx); err != nil {
		t.Fatal(err)
	}
	rv, err := r.app.AccessReviews(invCtx)
	if err != nil || rv.Open == nil || len(rv.Open.Items) != 2 || rv.LastFinishedAt != nil {
		t.Fatalf("reviews: %+v, %v", rv, err)
	}
	att, _ := r.app.Attention(invCtx)
	if att.Review == nil || att.Review.Undecided != 2 {
		t.Fatalf("attention review: %+v", att.Review)
	}
	byID := map[int64]model.ReviewItem{}
	for _, it := range rv.Open.Items {
		byID[it.ContactID] = it
	}
	if f := byID[full.ID].Flags; len(f) != 2 || f[0] != model.FlagUnused || f[1] != model.FlagHighPrivilege {
		t.Fatalf("flags of Full: %v", f)
	}
	id := rv.Open.ID
	pos := func(c *model.Contact) int { return byID[c.ID].Position }
	if _, err := r.app.FinishReview(invCtx, id); asCoreError(t, err).Code != core.CodeConflict {
		t.Fatalf("finishing undecided: %v", err)
	}
	if _, err := r.app.DecideReviewItem(invCtx, id, pos(old), core.ReviewDecision{Decision: "reduce"}); asCoreError(t, err).Code != core.CodeConflict {
		t.Fatalf("reduce before the grant changed: %v", err)
	}
	if _, err := r.app.UpdateContact(invCtx, old.ID, patch(t, `{"preset":"custom","permissions":["invoices.view"]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.DecideReviewItem(invCtx, id, pos(old), core.ReviewDecision{Decision: "reduce"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.DecideReviewItem(invCtx, id, pos(full), core.ReviewDecision{Decision: "revoke"}); err != nil {
		t.Fatal(err)
	}
	if got := r.contact(full.ID); got.Status != model.StatusSuspended {
		t.Fatalf("revoked contact is %s", got.Status)
	}
	done, err := r.app.FinishReview(invCtx, id)
	if err != nil || done.FinishedAt == nil {
		t.Fatalf("finish: %+v, %v", done, err)
	}
	e := lastAuditOf(t, r.app, "access_review.finish")
	if e == nil || !strings.Contains(e.Summary, "0 kept, 1 reduced, 1 revoked") {
		t.Fatalf("finish audit: %+v", e)
	}
	rv, _ = r.app.AccessReviews(invCtx)
	if rv.Open != nil || rv.LastFinishedAt == nil || rv.NextDueAt == nil || !rv.NextDueAt.Equal(rv.History[0].OpenedAt.Add(90*24*time.Hour)) {
		t.Fatalf("after finishing: %+v", rv)
	}
	if att, _ := r.app.Attention(invCtx); att.Review != nil || att.LastReviewAt == nil {
		t.Fatalf("attention after: %+v", att)
	}
}

func TestAttention(t *testing.T) {
	r := newInvRig(t, true, true)
	r.lifeContact("soon@client.test", 6*24*time.Hour)
	r.lifeContact("later@client.test", 20*24*time.Hour)
	inv := r.invite("Ivy", "Invitee", "ivy@client.test")
	r.flush(1)
	att, err := r.app.Attention(invCtx)
	if err != nil || att.Ending.Count != 1 || att.Invitations.Count != 0 || att.Total != 1 {
		t.Fatalf("attention: %+v, %v", att, err)
	}
	if _, err := r.app.PutOwnerTimeZone(invCtx, core.TimeZone{TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	r.now = inv.ExpiresAt.Add(-36 * time.Hour) // 21:00 two days before the 09:00 it ends
	att, _ = r.app.Attention(invCtx)
	if att.Invitations.Count != 1 || *att.Invitations.Items[0].ExpiresInDays != 2 || att.Ending.Count != 0 {
		t.Fatalf("attention later: %+v", att)
	}
	r.process(invReply{from: inv.Email, to: "owner+" + inv.Token + "@example.test", inReplyTo: inv.MessageID, body: "yes"}.bytes())
	if att, _ = r.app.Attention(invCtx); att.Awaiting.Count != 1 || att.Awaiting.Items[0].AwaitingReason != "unverified" {
		t.Fatalf("awaiting: %+v", att.Awaiting)
	}
}

// A review's snapshot gives a grant's end as the last day the owner entered,
// in their zone, not the instant after it in UTC (it read one day late).
func TestAccessReviewShowsTheLastDay(t *testing.T) {
	r := newInvRig(t, true, true)
	if _, err := r.app.PutOwnerTimeZone(invCtx, core.TimeZone{TimeZone: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.app.CreateContact(invCtx, core.ContactInput{AccountID: r.acc.ID, FirstName: "Dee", LastName: "Dated",
		Email: "dee@client.test", Preset: "billing", ExpiresAt: &core.Expiry{Day: "2027-06-30"}}); err != nil {
		t.Fatal(err)
	}
	r.advance(91 * 24 * time.Hour)
	if err := r.app.OpenDueReview(invCtx); err != nil {
		t.Fatal(err)
	}
	rv, err := r.app.AccessReviews(invCtx)
	if err != nil || rv.Open == nil || len(rv.Open.Items) != 1 {
		t.Fatalf("reviews: %+v, %v", rv, err)
	}
	if got := rv.Open.Items[0].Access; !strings.HasSuffix(got, "; last day 30 June 2027") {
		t.Errorf("a grant through 2027-06-30 in New York reads %q in a review", got)
	}
}
