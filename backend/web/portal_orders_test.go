package web_test

import (
	"slices"
	"testing"
)

func TestOrdersPlace(t *testing.T) {
	e := newEnv(t)
	d := e.seedPortal()
	e.ok(200, "PATCH", "/api/accounts/"+ftoa(d.acc), map[string]any{"email": "billing@acme.test"})
	// The catalogue: the owner's, checked.
	for _, bad := range []map[string]any{
		{"name": "", "kind": "hosting", "price_cents": 100},
		{"name": "X", "kind": "boat", "price_cents": 100},
		{"name": "X", "kind": "hosting", "price_cents": -1},
		{"name": "X", "kind": "hosting", "price_cents": 100, "billing_cycle": "weekly"},
		{"name": "X", "kind": "hosting", "price_cents": 100, "currency": "eur"},
	} {
		if r := e.do("POST", "/api/products", bad); r.status != 422 {
			t.Errorf("product %v: %d %s", bad, r.status, r.body)
		}
	}
	hosting := id(t, e.ok(201, "POST", "/api/products", map[string]any{"name": "Business hosting", "kind": "hosting",
		"price_cents": 1500, "billing_cycle": "monthly"}))
	bigger := id(t, e.ok(201, "POST", "/api/products", map[string]any{"name": "Hosting XL", "kind": "hosting", "price_cents": 4000}))
	old := id(t, e.ok(201, "POST", "/api/products", map[string]any{"name": "Old plan", "kind": "hosting", "price_cents": 900}))
	e.ok(200, "PATCH", "/api/products/"+ftoa(old), map[string]any{"active": false})
	gone := id(t, e.ok(201, "POST", "/api/products", map[string]any{"name": "Gone", "kind": "other", "price_cents": 1}))
	e.ok(204, "DELETE", "/api/products/"+ftoa(gone), nil)
	if got := listNames(t, e.ok(200, "GET", "/api/products", nil), "products", "name"); !slices.Equal(got, []string{"Business hosting", "Hosting XL", "Old plan"}) {
		t.Errorf("owner's catalogue %v", got)
	}

	buyerID := e.addContact(d, "buyer@example.com", map[string]any{"preset": "custom",
		"permissions": []string{"orders.place", "services.view"}, "service_ids": []float64{d.svc2}})
	e.addContact(d, "bill@example.com", map[string]any{"preset": "billing"})
	buyer, bill := e.signIn("buyer@example.com"), e.signIn("bill@example.com")

	if got := listNames(t, buyer.get("/api/portal/products"), "products", "name"); !slices.Equal(got, []string{"Business hosting", "Hosting XL"}) {
		t.Errorf("catalogue shown %v (active only)", got)
	}
	refused(t, bill.get("/api/portal/products"), "denied: grant is Billing; orders.place not included")
	refused(t, bill.send("POST", "/api/portal/orders", map[string]any{"product_id": hosting}), "denied: grant is Billing; orders.place not included")
	want(t, buyer.send("POST", "/api/portal/orders", map[string]any{"product_id": old}), 422)
	want(t, buyer.send("POST", "/api/portal/orders", map[string]any{"product_id": bigger, "upgrade_of": d.svc1}), 403)
	want(t, buyer.send("POST", "/api/portal/orders", map[string]any{"product_id": hosting, "upgrade_of": 999}), 404)

	// A new service: accepted, it is created with its invoice and joins the
	// buyer's selection (their grant is limited to selected services).
	order := id(t, want(t, buyer.send("POST", "/api/portal/orders", map[string]any{"product_id": hosting, "label": "shop.acme.test",
		"note": "As soon as possible"}), 201))
	var o struct {
		State     string
		ServiceID float64 `json:"service_id"`
		InvoiceID float64 `json:"invoice_id"`
	}
	e.ok(200, "POST", "/api/orders/"+ftoa(order)+"/accept", map[string]any{"invoice_number": "INV-77", "due_at": "2026-06-15"}).into(t, &o)
	if o.State != "accepted" || o.ServiceID == 0 || o.InvoiceID == 0 {
		t.Fatalf("accepted order %+v", o)
	}
	var inv struct {
		Invoice struct {
			Number      string
			AmountCents float64 `json:"amount_cents"`
			ServiceID   float64 `json:"service_id"`
		}
	}
	e.ok(200, "GET", "/api/invoices/"+ftoa(o.InvoiceID), nil).into(t, &inv)
	if inv.Invoice.Number != "INV-77" || inv.Invoice.AmountCents != 1500 || inv.Invoice.ServiceID != o.ServiceID {
		t.Errorf("invoice of the order %+v", inv.Invoice)
	}
	var c struct {
		Grant struct {
			ServiceIDs []float64 `json:"service_ids"`
		}
	}
	e.ok(200, "GET", "/api/contacts/"+ftoa(buyerID), nil).into(t, &c)
	if !slices.Contains(c.Grant.ServiceIDs, o.ServiceID) || !slices.Contains(c.Grant.ServiceIDs, d.svc2) {
		t.Errorf("buyer's selection %v, want the new service %v added", c.Grant.ServiceIDs, o.ServiceID)
	}
	if got := listNames(t, buyer.get("/api/portal/services"), "services", "name"); !slices.Contains(got, "shop.acme.test") {
		t.Errorf("buyer sees services %v", got)
	}
	if got := e.mailed(d.acc, "order.accepted"); len(got) != 1 || got[0] != "client: billing@acme.test,buyer@example.com" {
		t.Errorf("acceptance mails %v", got)
	}
	e.ok(409, "POST", "/api/orders/"+ftoa(order)+"/accept", nil)

	// An upgrade of a service the buyer sees: accepted, the service takes
	// the new product, no new service.
	up := id(t, want(t, buyer.send("POST", "/api/portal/orders", map[string]any{"product_id": bigger, "upgrade_of": d.svc2}), 201))
	e.ok(200, "POST", "/api/orders/"+ftoa(up)+"/accept", nil).into(t, &o)
	var svc struct {
		Service struct {
			ProductID float64 `json:"product_id"`
		}
	}
	e.ok(200, "GET", "/api/services/"+ftoa(d.svc2), nil).into(t, &svc)
	if o.ServiceID != d.svc2 || svc.Service.ProductID != bigger {
		t.Errorf("upgrade: order %+v, service product %v", o, svc.Service.ProductID)
	}

	// Withdrawn before a decision; declined with a reason.
	w := id(t, want(t, buyer.send("POST", "/api/portal/orders", map[string]any{"product_id": hosting}), 201))
	want(t, buyer.send("POST", "/api/portal/orders/"+ftoa(w)+"/withdraw", nil), 200)
	e.ok(409, "POST", "/api/orders/"+ftoa(w)+"/accept", nil)
	dec := id(t, want(t, buyer.send("POST", "/api/portal/orders", map[string]any{"product_id": hosting}), 201))
	e.ok(200, "POST", "/api/orders/"+ftoa(dec)+"/decline", map[string]any{"reason": "Out of stock"})
	var orders struct {
		Orders []struct{ State, Reason string } `json:"orders"`
	}
	want(t, buyer.get("/api/portal/orders"), 200).into(t, &orders)
	if len(orders.Orders) != 4 || orders.Orders[0].State != "declined" || orders.Orders[0].Reason != "Out of stock" || orders.Orders[1].State != "withdrawn" {
		t.Errorf("orders %+v", orders.Orders)
	}
	if got := listNames(t, e.ok(200, "GET", "/api/accounts/"+ftoa(d.acc)+"/orders", nil), "orders", "state"); len(got) != 4 || got[3] != "accepted" {
		t.Errorf("owner's orders %v", got)
	}
	if got := e.mailed(d.acc, "order.placed"); len(got) != 8 { // owner and buyer for each of four
		t.Errorf("order mails %v", got)
	}
	if !e.audited("contact buyer@example.com", "order Business hosting") {
		t.Error("order not audited with the contact as actor")
	}
}
