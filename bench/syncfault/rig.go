package main

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"grantbook/backend/changelog"
	"grantbook/backend/core"
	"grantbook/backend/hub"
	"grantbook/backend/hub/hubtest"
	"grantbook/backend/model"
	"grantbook/backend/web"
)

// rig is a desktop and a hub in this process, each on its own real store,
// the hub behind serve's web.Server; the desktop's leaf dials the hub
// through a TCP proxy the program cuts.
type rig struct {
	ctx      context.Context
	tmp      string
	hub      *core.App
	desk     *core.App
	hs       *hub.HubSide
	ds       *hub.DesktopSide
	srv      *httptest.Server
	proxy    *hubtest.CutProxy
	settle   time.Duration
	progress bool       // -progress
	mu       sync.Mutex // fails, counted from the writers' goroutines too
	fails    int

	// What the desktop made before pairing: the account the hub's
	// contact acts in, its service, and that contact.
	acme *model.Account
	svc  *model.Service
	ada  *model.Contact
}

func openRig(ctx context.Context, settle time.Duration) (*rig, error) {
	tmp, err := os.MkdirTemp("", "bench-syncfault-")
	if err != nil {
		return nil, err
	}
	r := &rig{ctx: ctx, tmp: tmp, settle: settle}
	var hapi, dapi *web.API
	if r.hub, hapi, err = openSide(ctx, tmp+"/hub"); err != nil {
		return nil, err
	}
	if r.desk, dapi, err = openSide(ctx, tmp+"/desk"); err != nil {
		return nil, err
	}
	if r.hs, err = hapi.StartHubSync(); err != nil {
		return nil, err
	}
	if r.ds, err = dapi.StartDesktopSync(); err != nil {
		return nil, err
	}
	r.srv = httptest.NewServer(web.NewServer(hapi, fstest.MapFS{"index.html": {Data: []byte("x")}}, "bench-owner-token-0123456789abcdefghijkl"))
	u, _ := url.Parse(r.srv.URL)
	if r.proxy, err = hubtest.StartCutProxy(u.Host); err != nil {
		return nil, err
	}
	return r, nil
}

func openSide(ctx context.Context, dir string) (*core.App, *web.API, error) {
	app, err := core.Open(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	return app, web.NewAPI(app, nil), nil
}

func (r *rig) close() {
	r.proxy.Close()
	r.srv.Close()
	r.desk.Close()
	r.hub.Close()
	os.RemoveAll(r.tmp)
}

// seedAndPair gives the desktop an account with a service, a way to pay,
// invoices and a contact with Full access, pairs it with the hub and waits
// for the hub to have all of it.
func (r *rig) seedAndPair(invoices int) error {
	ctx := r.ctx
	var err error
	if r.acme, err = r.desk.CreateAccount(ctx, "Acme Ltd"); err != nil {
		return err
	}
	if r.svc, err = r.desk.CreateService(ctx, r.acme.ID, core.ServiceInput{Name: "Hosting", Kind: "hosting"}); err != nil {
		return err
	}
	var pm core.PaymentMethods
	pm.BankTransfer.Enabled, pm.BankTransfer.Details = true, "IBAN XX00 0000 0000"
	if _, err := r.desk.PutPaymentMethods(ctx, pm); err != nil {
		return err
	}
	if r.ada, err = r.desk.CreateContact(ctx, core.ContactInput{AccountID: r.acme.ID, FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@example.com", Preset: "full", BillingScope: "account"}); err != nil {
		return err
	}
	for i := range invoices {
		if _, err := r.desk.CreateInvoice(ctx, r.acme.ID, core.InvoiceInput{ServiceID: r.svc.ID,
			Number: fmt.Sprintf("SEED-%d", i), AmountCents: 1000, Currency: "EUR"}); err != nil {
			return err
		}
	}
	code, _ := r.hs.Codes.New()
	if err := r.ds.Connect(ctx, "http://"+r.proxy.Addr(), code); err != nil {
		return err
	}
	_, err = r.converge("the snapshot on the hub")
	return err
}

// lastSeq is the newest sequence number l's device has signed in its epoch.
func lastSeq(ctx context.Context, app *core.App, l *changelog.Log) uint64 {
	var n uint64
	_ = app.Store().QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM change_log WHERE origin = ? AND epoch = ?`,
		l.Origin(), l.Epoch()).Scan(&n)
	return n
}

// marks: each side's last own sequence number and the other's high-water
// mark for it.
type marks struct{ deskLast, hubHasDesk, hubLast, deskHasHub uint64 }

func (r *rig) marks() marks {
	ctx := r.ctx
	dl, hl := r.ds.Log, r.hs.Log
	m := marks{deskLast: lastSeq(ctx, r.desk, dl), hubLast: lastSeq(ctx, r.hub, hl)}
	m.hubHasDesk, _ = hl.Applied(ctx, dl.Origin(), dl.Epoch())
	m.deskHasHub, _ = dl.Applied(ctx, hl.Origin(), hl.Epoch())
	return m
}

func (m marks) inStep() bool { return m.deskLast == m.hubHasDesk && m.hubLast == m.deskHasHub }

func (m marks) String() string {
	return fmt.Sprintf("desktop wrote %d, hub has %d; hub wrote %d, desktop has %d", m.deskLast, m.hubHasDesk, m.hubLast, m.deskHasHub)
}

// converge polls (a condition, no fixed wait) until both high-water marks
// equal the other side's last sequence, the desktop says connected and the
// table digests are equal; it gives up after r.settle.
func (r *rig) converge(what string) (time.Duration, error) {
	t0 := time.Now()
	deadline := t0.Add(r.settle)
	nextNote := t0.Add(3 * time.Second)
	for {
		m := r.marks()
		if time.Now().After(nextNote) {
			nextNote = time.Now().Add(3 * time.Second)
			fmt.Printf("    (still waiting, %s: %s; %s)\n", time.Since(t0).Round(time.Second), m, r.statusLine())
		}
		if m.inStep() && r.hs.Node.LeafConnected() {
			if st := r.ds.Status(r.ctx); st.State == hub.StateConnected {
				if diff := r.digestDiff(); diff == "" && r.marks().inStep() {
					return time.Since(t0), nil
				}
			}
		}
		if time.Now().After(deadline) {
			return time.Since(t0), fmt.Errorf("%s: not in step after %s: %s; desktop %q; digests differ: %s",
				what, r.settle, m, r.ds.Status(r.ctx).State, r.digestDiff())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// statusLine is what each side's sync status says.
func (r *rig) statusLine() string {
	d := r.ds.Status(r.ctx)
	s := fmt.Sprintf("desktop %s pending %d %q", d.State, d.Pending, d.Error)
	for _, p := range r.hs.Status(r.ctx).Peers {
		s += fmt.Sprintf("; hub %s pending %d %q", p.State, p.Pending, p.Error)
	}
	s += "; desktop's " + mirrorLine(r.ctx, r.ds.Node(), r.hs.Node, r.hs.Log) + "; hub's " + mirrorLine(r.ctx, r.hs.Node, r.ds.Node(), r.ds.Log)
	return s
}

// sourceConsumers describes the consumers on l's own stream, on l's side:
// the other side's mirror reads through them.
func sourceConsumers(ctx context.Context, self *hub.Node, l *changelog.Log) string {
	if self == nil {
		return "no node"
	}
	st, err := self.JS.Stream(ctx, hub.StreamName(l.Origin(), l.Epoch()))
	if err != nil {
		return err.Error()
	}
	out := ""
	for ci := range st.ListConsumers(ctx).Info() {
		out += fmt.Sprintf("[%s delivered %d acked %d ack-pending %d pending %d push-bound %v fc %v] ", ci.Name, ci.Delivered.Stream,
			ci.AckFloor.Stream, ci.NumAckPending, ci.NumPending, ci.PushBound, ci.Config.FlowControl)
	}
	return out
}

// mirrorLine: the mirror on node of l's stream, and its applier's consumer.
func mirrorLine(ctx context.Context, node, source *hub.Node, l *changelog.Log) string {
	if node == nil {
		return "no node"
	}
	st, err := node.JS.Stream(ctx, hub.StreamName(l.Origin(), l.Epoch()))
	if err != nil {
		return "mirror: " + err.Error()
	}
	info, err := st.Info(ctx)
	if err != nil {
		return "mirror: " + err.Error()
	}
	out := fmt.Sprintf("mirror last %d", info.State.LastSeq)
	if m := info.Mirror; m != nil {
		out += fmt.Sprintf(" lag %d active %s", m.Lag, m.Active.Round(time.Millisecond))
		if m.Error != nil {
			out += " error " + m.Error.Description
		}
	}
	out += "; source consumers: " + sourceConsumers(ctx, source, l)
	if c, err := st.Consumer(ctx, "apply"); err == nil {
		if ci, err := c.Info(ctx); err == nil {
			out += fmt.Sprintf(", consumer delivered %d acked %d ack-pending %d pending %d waiting %d redelivered %d",
				ci.Delivered.Stream, ci.AckFloor.Stream, ci.NumAckPending, ci.NumPending, ci.NumWaiting, ci.NumRedelivered)
		}
	}
	return out
}

// digestDiff names the replicated tables whose digests differ ("" none).
func (r *rig) digestDiff() string {
	d, err1 := r.ds.Log.TableDigests(r.ctx)
	h, err2 := r.hs.Log.TableDigests(r.ctx)
	if err1 != nil || err2 != nil {
		return fmt.Sprint("digest errors: ", err1, err2)
	}
	if maps.Equal(d, h) {
		return ""
	}
	var out []string
	for _, t := range slices.Sorted(maps.Keys(d)) {
		if d[t] != h[t] {
			out = append(out, t)
		}
	}
	return strings.Join(out, ", ")
}

// rejected counts what each side's log has refused (change_rejected).
func (r *rig) rejected() (desk, hub int, reasons []string) {
	dr, _ := r.ds.Log.Rejected(r.ctx, 1000)
	hr, _ := r.hs.Log.Rejected(r.ctx, 1000)
	for _, x := range append(dr, hr...) {
		reasons = append(reasons, x.Reason)
	}
	return len(dr), len(hr), reasons
}

// count is one SQL count on a side's store.
func count(ctx context.Context, app *core.App, q string, args ...any) int {
	var n int
	if err := app.Store().QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return -1
	}
	return n
}

// check prints an assertion's verdict and remembers a failure.
func (r *rig) check(ok bool, format string, args ...any) {
	v := "PASS"
	if !ok {
		r.mu.Lock()
		v, r.fails = "FAIL", r.fails+1
		r.mu.Unlock()
	}
	fmt.Printf("  %s %s\n", v, fmt.Sprintf(format, args...))
}

func (r *rig) fail(err error) { r.check(false, "%v", err) }

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100].Round(100 * time.Microsecond)
}
