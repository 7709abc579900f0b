package web

import "net/http"

// portalActionRoutes are the client area's actions: each core call asks the
// evaluation for the signed-in contact and audits the decision.
func (a *API) portalActionRoutes() []Route {
	return []Route{
		{"GET /api/portal/services/{id}", Contact, asContactByID(a, a.app.PortalServiceDetail)},
		{"PATCH /api/portal/services/{id}/settings", Contact, asContactByIDWith(a, http.StatusOK, a.app.ModifyService)},
		{"POST /api/portal/services/{id}/requests/{action}", Contact, a.serviceRequest},
		{"POST /api/portal/services/{id}/cancellation", Contact, asContactByIDWith(a, http.StatusCreated, a.app.RequestCancellation)},
		{"POST /api/portal/services/{id}/cancellation/withdraw", Contact, asContactByID(a, a.app.WithdrawCancellation)},
		{"GET /api/portal/products", Contact, asContact(a, "products", a.app.PortalProducts)},
		{"GET /api/portal/orders", Contact, asContact(a, "orders", a.app.PortalOrders)},
		{"POST /api/portal/orders", Contact, asContactWith(a, http.StatusCreated, a.app.PlaceOrder)},
		{"POST /api/portal/orders/{id}/withdraw", Contact, asContactByID(a, a.app.WithdrawOrder)},
		{"GET /api/portal/emails", Contact, a.portalEmails},
		{"GET /api/portal/contacts", Contact, asContact(a, "contacts", a.app.PortalContacts)},
		{"POST /api/portal/contacts", Contact, asContactWith(a, http.StatusCreated, a.app.PortalAddContact)},
		{"PATCH /api/portal/contacts/{id}", Contact, asContactByIDWith(a, http.StatusOK, a.app.PortalUpdateContact)},
		{"DELETE /api/portal/contacts/{id}", Contact, a.portalDeleteContact},
		{"POST /api/portal/invitations", Contact, asContactWith(a, http.StatusCreated, a.app.PortalInvite)},
		{"GET /api/portal/invoices/{id}", Contact, asContactByID(a, a.app.PortalInvoiceDetail)},
		{"POST /api/portal/invoices/{id}/payment-report", Contact, asContactByIDWith(a, http.StatusCreated, a.app.ReportPayment)},
		{"GET /api/portal/support/{id}", Contact, asContactByID(a, a.app.PortalSupportThread)},
		{"POST /api/portal/support/{id}/replies", Contact, asContactByIDWith(a, http.StatusCreated, a.app.ReplySupport)},
		{"POST /api/portal/support/{id}/close", Contact, asContactByID(a, a.app.CloseSupport)},
		{"POST /api/portal/quotes/{id}/accept", Contact, asContactByIDWith(a, http.StatusOK, a.app.AcceptQuote)},
		{"POST /api/portal/quotes/{id}/decline", Contact, asContactByIDWith(a, http.StatusOK, a.app.DeclineQuote)},
	}
}

// ownerClientRoutes are the owner's side of the client area: catalogue,
// decisions on contacts' requests, corrections, settings and mail history.
func (a *API) ownerClientRoutes() []Route {
	return []Route{
		{"GET /api/service-kinds", Owner, plain(a, "kinds", a.app.ServiceKinds)},
		{"GET /api/services/{id}", Owner, byID(a, http.StatusOK, "", a.app.ServiceDetail)},
		{"PATCH /api/services/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateService)},
		{"DELETE /api/services/{id}", Owner, deleted(a, a.app.DeleteService)},
		{"POST /api/service-changes/{id}/revert", Owner, byID(a, http.StatusOK, "", a.app.RevertChange)},
		{"GET /api/accounts/{id}/cancellations", Owner, byID(a, http.StatusOK, "cancellations", a.app.AccountCancellations)},
		{"POST /api/cancellations/{id}/confirm", Owner, byIDOptional(a, http.StatusOK, a.app.ConfirmCancellation)},
		{"POST /api/cancellations/{id}/decline", Owner, byIDOptional(a, http.StatusOK, a.app.DeclineCancellation)},
		{"GET /api/products", Owner, plain(a, "products", a.app.Products)},
		{"POST /api/products", Owner, with(a, http.StatusCreated, a.app.CreateProduct)},
		{"PATCH /api/products/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateProduct)},
		{"DELETE /api/products/{id}", Owner, deleted(a, a.app.DeleteProduct)},
		{"GET /api/accounts/{id}/orders", Owner, byID(a, http.StatusOK, "orders", a.app.AccountOrders)},
		{"POST /api/orders/{id}/accept", Owner, byIDOptional(a, http.StatusOK, a.app.AcceptOrder)},
		{"POST /api/orders/{id}/decline", Owner, byIDOptional(a, http.StatusOK, a.app.DeclineOrder)},
		{"GET /api/invoices/{id}", Owner, byID(a, http.StatusOK, "", a.app.InvoiceWithReports)},
		{"PATCH /api/invoices/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateInvoice)},
		{"DELETE /api/invoices/{id}", Owner, deleted(a, a.app.DeleteInvoice)},
		{"POST /api/invoices/{id}/mark-paid", Owner, byID(a, http.StatusOK, "", a.app.MarkPaid)},
		{"POST /api/invoices/{id}/mark-unpaid", Owner, byID(a, http.StatusOK, "", a.app.MarkUnpaid)},
		{"POST /api/invoices/{id}/confirm-payment", Owner, byID(a, http.StatusOK, "", a.app.ConfirmPayment)},
		{"POST /api/invoices/{id}/reject-payment", Owner, byIDOptional(a, http.StatusOK, a.app.RejectPayment)},
		{"GET /api/accounts/{id}/emails", Owner, a.accountEmails},
		{"GET /api/support/{id}", Owner, byID(a, http.StatusOK, "", a.app.SupportThread)},
		{"POST /api/support/{id}/replies", Owner, byIDWith(a, http.StatusCreated, a.app.OwnerReply)},
		{"POST /api/support/{id}/status", Owner, byIDWith(a, http.StatusOK, a.app.SetSupportStatus)},
		{"PATCH /api/support/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateSupport)},
		{"DELETE /api/support/{id}", Owner, deleted(a, a.app.DeleteSupport)},
		{"PATCH /api/quotes/{id}", Owner, byIDWith(a, http.StatusOK, a.app.UpdateQuote)},
		{"DELETE /api/quotes/{id}", Owner, deleted(a, a.app.DeleteQuote)},
		{"GET /api/settings/payments", Owner, plain(a, "", a.app.PaymentMethods)},
		{"PUT /api/settings/payments", Owner, with(a, http.StatusOK, a.app.PutPaymentMethods)},
		{"GET /api/settings/notices", Owner, plain(a, "", a.app.NoticeSettings)},
		{"PUT /api/settings/notices", Owner, with(a, http.StatusOK, a.app.PutNoticeSettings)},
	}
}
