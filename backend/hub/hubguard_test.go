package hub_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"grantbook/backend/core"
	"grantbook/backend/hub/hubtest"
	"grantbook/backend/mailtest"
)

// ownerCall sends an owner request to the hub; it returns the status and body.
func ownerCall(t *testing.T, hubURL, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, hubURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+ownerToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Once paired, the hub's owner API leaves the owner's records to the
// desktop (a contact made on the hub showed as active there, granted
// nothing and was refused by the desktop), but still takes an emergency
// suspension, which reaches the desktop.
func TestPairedHubLeavesOwnerChangesToTheDesktop(t *testing.T) {
	ctx := context.Background()
	h, d, hubURL, proxy := hubAndDesktop(t)
	acc, c := d.withAda()
	// Before pairing, the hub is an ordinary server.
	if st, body := ownerCall(t, hubURL, "POST", "/api/accounts", `{"name":"Before pairing"}`); st != http.StatusCreated && st != http.StatusOK {
		t.Fatalf("unpaired hub: %d %s", st, body)
	}
	pair(t, h, d, proxy)
	hubtest.WaitFor(t, 15*time.Second, "the contact on the hub", func() bool {
		ok, _ := check(t, hubURL, c.ID, "support.open")
		return ok
	})
	id := strconv.FormatInt(c.ID, 10)
	for _, w := range []struct{ method, path, body string }{
		{"POST", "/api/contacts", `{"account_id":` + strconv.FormatInt(acc.ID, 10) + `,"first_name":"Eve","last_name":"Hub","email":"eve@example.com","preset":"full"}`},
		{"PATCH", "/api/contacts/" + id, `{"preset":"billing"}`},
		{"PATCH", "/api/contacts/" + id, `{"status":"suspended","preset":"full"}`},
		{"POST", "/api/accounts", `{"name":"Hub Ltd"}`},
		{"POST", "/api/invitations", `{"account_id":1,"first_name":"I","last_name":"V","email":"iv@example.com","preset":"full"}`},
	} {
		st, body := ownerCall(t, hubURL, w.method, w.path, w.body)
		if st != http.StatusConflict || !strings.Contains(body, "make this change there") {
			t.Errorf("%s %s on a paired hub: %d %s", w.method, w.path, st, body)
		}
	}
	if st, body := ownerCall(t, hubURL, "PATCH", "/api/contacts/"+id, `{"status":"suspended"}`); st != http.StatusOK {
		t.Fatalf("suspending on the hub: %d %s", st, body)
	}
	if ok, _ := check(t, hubURL, c.ID, "support.open"); ok {
		t.Fatal("suspended on the hub, still allowed there")
	}
	hubtest.WaitFor(t, 10*time.Second, "the suspension on the desktop", func() bool {
		got, err := d.app.Contact(ctx, c.ID)
		return err == nil && got.Status == "suspended"
	})
}

// On a paired hub a contact with contacts.manage cannot add, invite,
// change or remove people (grants only the owner's desktop makes), but
// may still suspend someone; and the owner's timed jobs are the desktop's.
func TestPairedHubClientAreaLeavesPeopleToTheOwner(t *testing.T) {
	ctx := context.Background()
	h, d, hubURL, proxy := hubAndDesktop(t)
	acc, ada := d.withAda()
	bob, err := d.app.CreateContact(ctx, core.ContactInput{AccountID: acc.ID, FirstName: "Bob", LastName: "Builder",
		Email: "bob@example.com", Preset: "technical"})
	if err != nil {
		t.Fatal(err)
	}
	pair(t, h, d, proxy)
	hubtest.WaitFor(t, 15*time.Second, "the contacts on the hub", func() bool {
		ok, _ := check(t, hubURL, bob.ID, "services.view")
		return ok
	})
	smtp := mailtest.NewSMTP(t)
	if st, body := ownerCall(t, hubURL, "PUT", "/api/settings/mail",
		`{"smtp":{"host":"`+smtp.Host+`","port":`+strconv.Itoa(smtp.Port)+`,"security":"plain","from_email":"hub@example.test"}}`); st != http.StatusOK {
		t.Fatalf("the hub's own mail settings: %d %s", st, body)
	}
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	h.app.Start(runCtx)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	csrf := ""
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, hubURL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	before := len(smtp.Messages())
	if st, body := call("POST", "/api/portal/signin", `{"email":"`+ada.Email+`"}`); st != http.StatusAccepted {
		t.Fatalf("signin: %d %s", st, body)
	}
	code := smtp.WaitCode(ada.Email, before, 10*time.Second)
	st, body := call("POST", "/api/portal/verify", `{"email":"`+ada.Email+`","code":"`+code+`"}`)
	var v struct {
		CSRF string `json:"csrf_token"`
	}
	if json.Unmarshal([]byte(body), &v); st != http.StatusOK || v.CSRF == "" {
		t.Fatalf("verify: %d %s", st, body)
	}
	csrf = v.CSRF
	bobID := strconv.FormatInt(bob.ID, 10)
	for _, w := range []struct{ method, path, body string }{
		{"POST", "/api/portal/contacts", `{"first_name":"Eve","last_name":"New","email":"eve@example.com","preset":"billing"}`},
		{"PATCH", "/api/portal/contacts/" + bobID, `{"preset":"full"}`},
		{"DELETE", "/api/portal/contacts/" + bobID, ``},
	} {
		if st, body := call(w.method, w.path, w.body); st != http.StatusConflict || !strings.Contains(body, "managed by its owner") {
			t.Errorf("%s %s in a paired hub's client area: %d %s", w.method, w.path, st, body)
		}
	}
	if st, body := call("PATCH", "/api/portal/contacts/"+bobID, `{"status":"suspended"}`); st != http.StatusOK {
		t.Fatalf("suspending in the client area: %d %s", st, body)
	}
	hubtest.WaitFor(t, 10*time.Second, "the suspension on the desktop", func() bool {
		got, err := d.app.Contact(ctx, bob.ID)
		return err == nil && got.Status == "suspended"
	})
}
