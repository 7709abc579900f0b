package web_test

import (
	"strings"
	"testing"
)

func TestSupportConversation(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "tech@example.com", map[string]any{"preset": "technical"})
	e.addContact(d, "peer@example.com", map[string]any{"preset": "technical"})
	e.addContact(d, "reader@example.com", map[string]any{"preset": "custom", "permissions": []string{"support.view"}})
	e.addContact(d, "bill@example.com", map[string]any{"preset": "billing"})
	tech, peer, reader := e.signIn("tech@example.com"), e.signIn("peer@example.com"), e.signIn("reader@example.com")

	req := id(t, want(t, tech.send("POST", "/api/portal/support", map[string]any{"service_id": d.svc2, "subject": "Backups?",
		"body": "Where are the backups?"}), 201))
	thread := "/api/portal/support/" + ftoa(req)

	// The owner answers: answered, and the opener is mailed.
	e.ok(201, "POST", "/api/support/"+ftoa(req)+"/replies", map[string]any{"body": "Nightly, kept 30 days."})
	if got := e.mailed(d.acc, "support.reply"); len(got) != 1 || got[0] != "client: tech@example.com" {
		t.Errorf("reply mails %v", got)
	}
	// A colleague reads it and replies: open again, the owner is mailed;
	// nobody's address is shown to a contact.
	var v struct {
		Request struct {
			Status       string
			OpenedBy     string `json:"opened_by"`
			OpenedByName string `json:"opened_by_name"`
		}
		Replies []struct {
			AuthorName string `json:"author_name"`
			FromOwner  bool   `json:"from_owner"`
		}
		CanReply bool `json:"can_reply"`
	}
	r := want(t, peer.get(thread), 200)
	r.into(t, &v)
	if v.Request.Status != "answered" || v.Request.OpenedByName != "C tech@example.com" || v.Request.OpenedBy != "" ||
		len(v.Replies) != 1 || !v.Replies[0].FromOwner || !v.CanReply {
		t.Errorf("thread for a colleague: %+v", v)
	}
	r = want(t, peer.send("POST", thread+"/replies", map[string]any{"body": "And restores?"}), 201)
	r.into(t, &v)
	if v.Request.Status != "open" || len(v.Replies) != 2 || v.Replies[1].AuthorName != "C peer@example.com" {
		t.Errorf("after the colleague's reply: %+v", v)
	}
	if strings.Contains(string(r.body), `"opened_by":"tech@`) {
		t.Errorf("an address shown: %s", r.body)
	}
	if got := e.mailed(d.acc, "support.reply"); len(got) != 2 || got[1] != "owner: owner@example.test" {
		t.Errorf("reply mails %v", got)
	}
	want(t, peer.send("POST", thread+"/replies", map[string]any{"body": "  "}), 422)

	// The owner's next reply reaches both contacts in the conversation.
	e.ok(201, "POST", "/api/support/"+ftoa(req)+"/replies", map[string]any{"body": "Ask us any time."})
	if got := e.mailed(d.acc, "support.reply"); len(got) != 3 || got[2] != "client: peer@example.com,tech@example.com" {
		t.Errorf("second owner reply mails %v", got)
	}

	// support.view alone reads but does not write; billing does not read.
	want(t, reader.get(thread), 200).into(t, &v)
	if v.CanReply {
		t.Error("a reader may reply")
	}
	refused(t, reader.send("POST", thread+"/replies", map[string]any{"body": "me too"}), "denied: grant is Custom; support.open not included")
	refused(t, reader.send("POST", thread+"/close", nil), "denied: grant is Custom; support.open not included")
	refused(t, e.signIn("bill@example.com").get(thread), "denied: grant is Billing; support.view not included")

	want(t, tech.send("POST", thread+"/close", nil), 200).into(t, &v)
	if v.Request.Status != "closed" {
		t.Errorf("closed: %q", v.Request.Status)
	}
	e.ok(200, "POST", "/api/support/"+ftoa(req)+"/status", map[string]any{"status": "open"})
	if r := e.do("POST", "/api/support/"+ftoa(req)+"/status", map[string]any{"status": "answered"}); r.status != 422 {
		t.Errorf("owner sets answered: %d", r.status)
	}
	var owner struct {
		Request struct {
			OpenedBy string `json:"opened_by"`
		}
		Replies []struct{ Body string }
	}
	e.ok(200, "GET", "/api/support/"+ftoa(req), nil).into(t, &owner)
	if owner.Request.OpenedBy != "tech@example.com" || len(owner.Replies) != 3 {
		t.Errorf("owner's thread %+v", owner)
	}
	if !e.audited("contact peer@example.com", `reply to support request "Backups?"`) {
		t.Error("reply not audited with the contact as actor")
	}
}

func TestQuotesAccept(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	acc := "/api/accounts/" + ftoa(d.acc)
	e.addContact(d, "full@example.com", map[string]any{"preset": "full"})
	e.addContact(d, "bill@example.com", map[string]any{"preset": "billing"})
	if r := e.do("POST", "/api/contacts", map[string]any{"account_id": d.acc, "first_name": "Q", "last_name": "A", "email": "qa@example.com",
		"preset": "custom", "permissions": []string{"quotes.accept"}}); r.status != 422 {
		t.Errorf("quotes.accept without quotes.view: %d %s", r.status, r.body)
	}
	q1 := id(t, e.ok(201, "POST", acc+"/quotes", map[string]any{"number": "Q-2", "title": "Shop", "amount_cents": 5000}))
	q2 := id(t, e.ok(201, "POST", acc+"/quotes", map[string]any{"number": "Q-3", "title": "Logo", "amount_cents": 900}))
	full, bill := e.signIn("full@example.com"), e.signIn("bill@example.com")
	for p, want := range map[*portal]map[string]bool{
		full: {"orders": true, "emails": true, "contacts": true, "quotes": true},
		bill: {"orders": false, "emails": true, "contacts": false, "quotes": true},
	} {
		var me struct{ Sections map[string]bool }
		p.get("/api/portal/me").into(t, &me)
		for k, v := range want {
			if me.Sections[k] != v {
				t.Errorf("section %s = %v, want %v", k, me.Sections[k], v)
			}
		}
	}

	refused(t, bill.send("POST", "/api/portal/quotes/"+ftoa(q1)+"/accept", nil), "denied: grant is Billing; quotes.accept not included")
	var q struct{ Status, DecidedBy, DecisionNote string }
	want(t, full.send("POST", "/api/portal/quotes/"+ftoa(q1)+"/accept", map[string]any{"note": "Go ahead"}), 200).into(t, &q)
	if q.Status != "accepted" {
		t.Errorf("accepted quote %+v", q)
	}
	want(t, full.send("POST", "/api/portal/quotes/"+ftoa(q1)+"/decline", nil), 409)
	want(t, full.send("POST", "/api/portal/quotes/"+ftoa(q2)+"/decline", nil), 200)
	want(t, full.send("POST", "/api/portal/quotes/9999/accept", nil), 404)
	var list struct {
		Quotes []struct {
			Number, Status string
			DecidedBy      string `json:"decided_by"`
		} `json:"quotes"`
	}
	want(t, bill.get("/api/portal/quotes"), 200).into(t, &list)
	if len(list.Quotes) != 3 || list.Quotes[0].Status != "declined" || list.Quotes[1].DecidedBy != "C full@example.com" {
		t.Errorf("quotes %+v", list.Quotes)
	}
	if got := e.mailed(d.acc, "quote.accepted"); len(got) != 1 || got[0] != "owner: owner@example.test" {
		t.Errorf("quote mails %v", got)
	}
}
