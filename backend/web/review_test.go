package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"grantbook/backend/mail"
	"grantbook/backend/mailtest"
	"grantbook/backend/model"
)

// invitation is an invitation as the API serves it.
type apiInvitation struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	MessageID string `json:"message_id"`
	State     string `json:"state"`
	Review    string `json:"review"`
	Detail    string `json:"detail"`
	Notice    string `json:"notice"`
}

// The owner confirms or rejects what mail could not decide by itself.
func TestReviewEndpoints(t *testing.T) {
	e := newEnv(t)
	smtp := mailtest.NewSMTP(t)
	if _, err := e.app.PutMailSettings(context.Background(), mail.Settings{SMTP: smtp.Settings("owner@example.test")}); err != nil {
		t.Fatal(err)
	}
	acc := e.do("POST", "/api/accounts", map[string]any{"name": "Acme"}).json(t)
	invite := func(email string) apiInvitation {
		var inv apiInvitation
		r := e.do("POST", "/api/invitations", map[string]any{"account_id": acc["id"], "first_name": "Ann", "last_name": "Lee", "email": email, "preset": "billing"})
		if r.status != http.StatusCreated {
			t.Fatalf("invite: %d %s", r.status, r.body)
		}
		r.into(t, &inv)
		return inv
	}
	uid := uint32(0)
	process := func(raw string) {
		uid++
		if err := e.app.Process(context.Background(), "INBOX", 1, uid, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	reply := func(inv apiInvitation) string {
		return fmt.Sprintf("From: %s\r\nTo: owner@example.test\r\nSubject: Re: invited\r\nMessage-ID: <r%d@client.test>\r\nIn-Reply-To: <%s>\r\n\r\nYes\r\n", inv.Email, inv.ID, inv.MessageID)
	}
	post := func(path string) (apiInvitation, int) {
		var inv apiInvitation
		r := e.do("POST", path, nil)
		if r.status == http.StatusOK {
			r.into(t, &inv)
		}
		return inv, r.status
	}

	ann := invite("ann@client.test")
	process(reply(ann))
	var got struct{ Invitation apiInvitation }
	e.do("GET", fmt.Sprintf("/api/invitations/%d", ann.ID), nil).into(t, &got)
	if got.Invitation.State != model.InvAwaiting || got.Invitation.Review != "accept" || got.Invitation.Detail == "" {
		t.Fatalf("after an unverified reply: %+v", got.Invitation)
	}
	if inv, st := post(fmt.Sprintf("/api/invitations/%d/confirm", ann.ID)); st != http.StatusOK || inv.State != model.InvAccepted {
		t.Fatalf("confirm: %d %+v", st, inv)
	}
	if _, st := post(fmt.Sprintf("/api/invitations/%d/confirm", ann.ID)); st != http.StatusUnprocessableEntity {
		t.Errorf("a second confirm: %d, want 422", st)
	}

	bob := invite("bob@client.test")
	process(reply(bob))
	if inv, st := post(fmt.Sprintf("/api/invitations/%d/reject", bob.ID)); st != http.StatusOK || inv.State != model.InvQueued {
		t.Fatalf("reject: %d %+v (not sent yet: back to queued)", st, inv)
	}

	cat := invite("cat@client.test")
	process(fmt.Sprintf("From: MAILER-DAEMON@mx.client.test\r\nTo: owner@example.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"+
		"Message-ID: <dsn%d@mx.client.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.client.test\r\n\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"+
		"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <%s>\r\n\r\n--B--\r\n", cat.ID, cat.Email, cat.MessageID))
	if _, st := post(fmt.Sprintf("/api/invitations/%d/confirm", cat.ID)); st != http.StatusUnprocessableEntity {
		t.Errorf("confirm without an awaiting reply: %d", st)
	}
	if inv, st := post(fmt.Sprintf("/api/invitations/%d/dismiss-notice", cat.ID)); st != http.StatusOK || inv.Notice != "" || inv.State != model.InvQueued {
		t.Fatalf("dismiss-notice: %d %+v", st, inv)
	}
	if _, st := post(fmt.Sprintf("/api/invitations/%d/confirm-bounce", cat.ID)); st != http.StatusUnprocessableEntity {
		t.Errorf("confirm-bounce after dismissing: %d", st)
	}
	if _, st := post("/api/invitations/999/confirm"); st != http.StatusNotFound {
		t.Errorf("unknown invitation: %d", st)
	}
}
