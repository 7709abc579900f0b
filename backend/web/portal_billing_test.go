package web_test

import (
	"slices"
	"strings"
	"testing"
)

func TestInvoicesPay(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.addContact(d, "bill@example.com", map[string]any{"preset": "billing"})
	e.addContact(d, "look@example.com", map[string]any{"preset": "custom", "permissions": []string{"invoices.view"}})
	bill, look := e.signIn("bill@example.com"), e.signIn("look@example.com")
	inv2 := "/api/portal/invoices/" + ftoa(d.invSvc2)

	// Nothing set up yet: the contact is told there is no way to pay.
	if r := bill.post("POST", inv2+"/payment-report", payReport); r.status != 422 || !strings.Contains(message(t, r), "not set up a way to pay") {
		t.Errorf("report without payment methods: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"http://pay.example.com/{number}", "https://{number}.example.com/", "https://pay.example.com/{id}",
		"https://user:pw@pay.example.com/", "https://pay.example.com/ x"} {
		r := e.do("PUT", "/api/settings/payments", map[string]any{"payment_link": map[string]any{"enabled": true, "url_template": bad}})
		if _, f := r.errorOf(t); r.status != 422 || f != "payment_link.url_template" {
			t.Errorf("template %q: %d %s", bad, r.status, r.body)
		}
	}
	e.ok(200, "PUT", "/api/settings/payments", map[string]any{
		"bank_transfer": map[string]any{"enabled": true, "details": "Acme Ltd\nIBAN DE02 1203 0000 0000 2020 51"},
		"payment_link":  map[string]any{"enabled": true, "url_template": "https://pay.example.com/i/{number}?amount={amount}&cur={currency}"}})
	var pm struct {
		Link struct {
			Enabled     bool
			URLTemplate string `json:"url_template"`
		} `json:"payment_link"`
	}
	e.ok(200, "GET", "/api/settings/payments", nil).into(t, &pm)
	if !pm.Link.Enabled || !strings.HasPrefix(pm.Link.URLTemplate, "https://pay.example.com/i/") {
		t.Errorf("payment methods read back as %+v", pm)
	}
	e.ok(200, "PATCH", "/api/invoices/"+ftoa(d.invSvc2), map[string]any{"number": "INV 2/x&y"})

	var v struct {
		Invoice struct{ Status string }
		CanPay  bool   `json:"can_pay"`
		Reason  string `json:"pay_reason"`
		Pay     *struct {
			BankTransfer struct{ Details, Reference string } `json:"bank_transfer"`
			PaymentLink  string                              `json:"payment_link"`
			Methods      []string
		} `json:"how_to_pay"`
	}
	want(t, bill.get(inv2), 200).into(t, &v)
	if !v.CanPay || v.Pay == nil || v.Pay.BankTransfer.Reference != "INV 2/x&y" ||
		v.Pay.PaymentLink != "https://pay.example.com/i/INV%202%2Fx&y?amount=50.00&cur=EUR" || len(v.Pay.Methods) != 2 {
		t.Errorf("how to pay: %+v %+v", v, v.Pay)
	}
	want(t, look.get(inv2), 200).into(t, &v)
	if v.CanPay || v.Pay != nil || v.Reason != "denied: grant is Custom; invoices.pay not included" {
		t.Errorf("view-only contact: can_pay %v %q %+v", v.CanPay, v.Reason, v.Pay)
	}
	refused(t, look.post("POST", inv2+"/payment-report", payReport), "denied: grant is Custom; invoices.pay not included")

	// The report needs a known method, a real day, and the confirmation.
	for body, field := range map[string]string{
		`{"method":"cash","paid_on":"2026-06-01","confirm":true}`:                                 "method",
		`{"method":"bank_transfer","paid_on":"2026-02-30","confirm":true}`:                        "paid_on",
		`{"method":"bank_transfer","paid_on":"2026-06-09","confirm":true}`:                        "paid_on",
		`{"method":"bank_transfer","paid_on":"1999-12-31","confirm":true}`:                        "paid_on",
		`{"method":"bank_transfer","paid_on":"2026-06-01","reference":"a\u0000b","confirm":true}`: "reference",
		`{"method":"bank_transfer","paid_on":"2026-06-01"}`:                                       "confirm",
	} {
		r := bill.post("POST", inv2+"/payment-report", body)
		if _, f := r.errorOf(t); r.status != 422 || f != field {
			t.Errorf("%s: %d %s, want 422 on %s", body, r.status, r.body, field)
		}
	}
	want(t, bill.post("POST", inv2+"/payment-report", payReport), 201).into(t, &v)
	if v.Invoice.Status != "reported" {
		t.Errorf("after the report: %q", v.Invoice.Status)
	}
	want(t, bill.post("POST", inv2+"/payment-report", payReport), 409)
	if got := e.mailed(d.acc, "payment.reported"); len(got) != 1 || got[0] != "owner: owner@example.test" {
		t.Errorf("report mails %v", got)
	}

	// Rejected: unpaid again, the contact told why; reported again and
	// confirmed: paid, a receipt to the contact; undone by the owner.
	e.ok(200, "POST", "/api/invoices/"+ftoa(d.invSvc2)+"/reject-payment", map[string]any{"reason": "Nothing arrived yet"})
	e.ok(409, "POST", "/api/invoices/"+ftoa(d.invSvc2)+"/reject-payment", nil)
	want(t, bill.get(inv2), 200).into(t, &v)
	if v.Invoice.Status != "unpaid" {
		t.Errorf("after rejecting: %q", v.Invoice.Status)
	}
	if got := e.mailed(d.acc, "payment.rejected"); len(got) != 1 || got[0] != "client: bill@example.com" {
		t.Errorf("rejection mails %v", got)
	}
	want(t, bill.post("POST", inv2+"/payment-report", payReport), 201)
	var owner struct {
		Invoice struct {
			Status string
			PaidBy string `json:"paid_by"`
		} `json:"invoice"`
		Reports []struct{ State, Note string } `json:"payment_reports"`
	}
	e.ok(200, "POST", "/api/invoices/"+ftoa(d.invSvc2)+"/confirm-payment", nil).into(t, &owner)
	if owner.Invoice.Status != "paid" || owner.Invoice.PaidBy != "bill@example.com" || len(owner.Reports) != 2 ||
		owner.Reports[0].State != "confirmed" || owner.Reports[1].Note != "Nothing arrived yet" {
		t.Errorf("after confirming: %+v", owner)
	}
	if got := e.mailed(d.acc, "invoice.paid"); len(got) != 1 || got[0] != "client: bill@example.com" {
		t.Errorf("receipt mails %v", got)
	}
	want(t, bill.post("POST", inv2+"/payment-report", payReport), 409)
	e.ok(200, "POST", "/api/invoices/"+ftoa(d.invSvc2)+"/mark-unpaid", nil)
	e.ok(409, "POST", "/api/invoices/"+ftoa(d.invSvc2)+"/mark-unpaid", nil)
	e.ok(200, "POST", "/api/invoices/"+ftoa(d.invSvc2)+"/mark-paid", nil).into(t, &owner)
	if owner.Invoice.PaidBy != "owner" {
		t.Errorf("marked paid by %q", owner.Invoice.PaidBy)
	}

	// The owner corrects and deletes invoices, audited.
	if r := e.do("PATCH", "/api/invoices/"+ftoa(d.inv), map[string]any{"amount_cents": -5}); r.status != 422 {
		t.Errorf("negative amount: %d", r.status)
	}
	e.ok(200, "PATCH", "/api/invoices/"+ftoa(d.inv), map[string]any{"amount_cents": 250, "due_at": "2026-07-01"})
	e.ok(204, "DELETE", "/api/invoices/"+ftoa(d.inv), nil)
	want(t, bill.get("/api/portal/invoices/"+ftoa(d.inv)), 404)
	if !e.audited("owner (web)", "Deleted invoice INV-3") || !e.audited("contact bill@example.com", "report a payment of invoice INV 2/x&y") {
		t.Error("invoice changes not audited")
	}
}

func TestBillingScope(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	svc := map[string]any{"preset": "billing", "service_ids": []float64{d.svc1}}
	e.addContact(d, "follows@example.com", svc)
	wide := e.addContact(d, "wide@example.com", map[string]any{"preset": "billing", "service_ids": []float64{d.svc1}, "billing_scope": "account"})
	if r := e.do("POST", "/api/contacts", map[string]any{"account_id": d.acc, "first_name": "X", "last_name": "Y",
		"email": "x@example.com", "preset": "billing", "billing_scope": "everything"}); r.status != 422 {
		t.Errorf("unknown billing scope: %d", r.status)
	}
	if got := listNames(t, e.signIn("follows@example.com").get("/api/portal/invoices"), "invoices", "number"); !slices.Equal(got, []string{"INV-1"}) {
		t.Errorf("billing that follows the selection sees %v", got)
	}
	if got := listNames(t, e.signIn("wide@example.com").get("/api/portal/invoices"), "invoices", "number"); len(got) != 3 {
		t.Errorf("billing of the whole account sees %v", got)
	}
	var c struct {
		Grant struct {
			BillingScope string `json:"billing_scope"`
		}
	}
	e.ok(200, "GET", "/api/contacts/"+ftoa(wide), nil).into(t, &c)
	if c.Grant.BillingScope != "account" {
		t.Errorf("billing scope served as %q", c.Grant.BillingScope)
	}
	var rows struct {
		Rows []struct {
			Permission, Reason, Does string
			Allowed                  bool
		} `json:"rows"`
	}
	e.ok(200, "GET", "/api/contacts/"+ftoa(wide)+"/access?service_id="+ftoa(d.svc2), nil).into(t, &rows)
	got := map[string]string{}
	for _, r := range rows.Rows {
		got[r.Permission] = r.Reason
		if !strings.HasPrefix(r.Permission, "admin.") && r.Does == "" {
			t.Errorf("row %s says nothing of what it allows", r.Permission)
		}
	}
	for perm, reason := range map[string]string{
		"invoices.pay":    "allowed: grant is Billing; invoices.pay on the whole account (billing is not limited to the selected services)",
		"quotes.accept":   "denied: grant is Billing; quotes.accept not included",
		"services.modify": "denied: grant is Billing; services.modify not included",
		"contacts.manage": "denied: grant is Billing; contacts.manage not included",
	} {
		if got[perm] != reason {
			t.Errorf("%s: %q, want %q", perm, got[perm], reason)
		}
	}
	// Switched back by the owner: billing follows the selection again.
	e.ok(200, "PATCH", "/api/contacts/"+ftoa(wide), map[string]any{"billing_scope": "services"})
	if got := listNames(t, e.signIn("wide@example.com").get("/api/portal/invoices"), "invoices", "number"); len(got) != 1 {
		t.Errorf("after the switch back: %v", got)
	}
}
