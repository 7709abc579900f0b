// Command tsgen writes the TypeScript types of the API's bodies from the Go
// structs the API encodes and decodes, so the frontend's types have one
// source. Run by `go generate ./backend/web`; a test fails when the file in
// the frontend is stale.
//
//	go run ./backend/web/tsgen -o frontend/src/lib/api-types.ts
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"grantbook/backend/address"
	"grantbook/backend/core"
	"grantbook/backend/hub"
	"grantbook/backend/mail"
	"grantbook/backend/model"
	"grantbook/backend/permission"
	"grantbook/backend/publish"
	"grantbook/backend/servicekind"
)

// replies are the types the API answers with.
var replies = []any{
	model.Account{}, model.Service{}, model.Contact{}, model.AuditEntry{}, model.Invitation{},
	model.MailEvent{}, model.Invoice{}, model.Quote{}, model.SupportRequest{}, model.Session{},
	core.MailStatus{}, core.AccessRow{}, core.CheckResult{}, core.ImportProgress{}, core.PortalHome{},
	core.RestoreResult{}, core.TestResult{}, core.InvitationTemplate{}, core.Error{}, core.ClientArea{},
	mail.Settings{}, permission.Info{}, core.AreaView{}, core.PresetView{}, publish.Status{},
	core.PortalService{}, core.PortalInvoice{}, core.ManagedContact{}, core.Grantable{}, core.ReturnSite{},
	model.AccessRequest{}, model.AccessReview{}, core.Reviews{}, core.Attention{}, core.Factors{}, core.TOTPSetup{},
	core.LifecycleSettings{}, core.TimeZone{}, core.BulkResult{}, model.ContactInvitation{},
	// The owner's side of the client area and of the sites.
	core.ServiceRecord{}, core.InvoiceDetail{}, core.SupportThread{}, core.PaymentMethods{}, core.NoticeSettings{},
	model.Product{}, model.Order{}, model.Notice{}, servicekind.Kind{}, core.SitesView{}, core.NewOIDCClient{},
	// Sync with a hub (issue 18).
	hub.DesktopStatus{}, hub.HubStatus{}, hub.PairingCode{},
}

// requests are the bodies the API decodes; all their fields may be left out.
var requests = []any{
	core.ContactInput{}, core.ContactPatch{}, core.InvitationInput{}, core.ServiceInput{},
	core.InvoiceInput{}, core.QuoteInput{}, core.SupportInput{}, core.AccountPatch{},
	core.ProfileInput{}, core.AccessRequestInput{}, core.ExtendInput{}, core.ApproveInput{}, core.DeclineInput{},
	core.ReviewDecision{}, core.CodeInput{}, core.PasskeyInput{}, core.CancelInput{}, core.OrderInput{},
	core.PaymentReportInput{}, core.NoteInput{},
	core.ServicePatch{}, core.InvoicePatch{}, core.QuotePatch{}, core.SupportPatch{},
	core.ProductInput{}, core.AcceptInput{}, core.ConfirmInput{}, core.ReasonInput{}, core.ReplyInput{},
	core.SiteInput{}, core.OIDCClientInput{}, core.BulkInput{}, core.TemplatePreview{},
	hub.ConnectInput{},
}

// names renames types whose Go name says too little in the frontend.
var names = map[reflect.Type]string{
	reflect.TypeFor[core.Error]():           "ErrorDetail",
	reflect.TypeFor[permission.Info]():      "PermissionInfo",
	reflect.TypeFor[core.PresetView]():      "Preset",
	reflect.TypeFor[permission.Preset]():    "PresetInfo",
	reflect.TypeFor[mail.Settings]():        "MailSettings",
	reflect.TypeFor[mail.SMTP]():            "SmtpSettings",
	reflect.TypeFor[mail.IMAP]():            "ImapSettings",
	reflect.TypeFor[core.ImportProgress]():  "ImportJob",
	reflect.TypeFor[core.PortalHome]():      "PortalHome",
	reflect.TypeFor[model.Session]():        "PortalSession",
	reflect.TypeFor[core.SupportTargets]():  "SupportTargets",
	reflect.TypeFor[core.InvitationInput](): "InvitationInput",
	reflect.TypeFor[core.AreaView]():        "AdminArea",
	reflect.TypeFor[core.AdminArea]():       "PortalAdminArea",
	reflect.TypeFor[publish.Status]():       "PublishStatus",
	reflect.TypeFor[publish.Check]():        "SelfCheck",
	reflect.TypeFor[core.ServiceRecord]():   "ServiceDetail",
	reflect.TypeFor[servicekind.Kind]():     "ServiceKind",
	reflect.TypeFor[servicekind.Field]():    "ServiceField",
	reflect.TypeFor[servicekind.Action]():   "ServiceAction",
	reflect.TypeFor[core.FieldView]():       "ServiceFieldView",
	reflect.TypeFor[core.Catalog]():         "Catalog",
	reflect.TypeFor[hub.DesktopStatus]():    "DesktopSync",
	reflect.TypeFor[hub.HubStatus]():        "HubSync",
	reflect.TypeFor[hub.PeerStatus]():       "SyncPeer",
	reflect.TypeFor[hub.Status]():           "SyncStatus",
	reflect.TypeFor[hub.RejectedNote]():     "SyncRejected",
}

// enums are string fields whose values are a fixed set, named by Go values.
var enums = map[string][]string{
	"Contact.account_type": {"individual", "company"},
	"Contact.status":       {model.StatusActive, model.StatusInvited, model.StatusSuspended},
	"Contact.effective_status": {model.StatusActive, model.StatusExpired, model.StatusInvited, model.StatusSuspended,
		model.StatusDeclined, model.StatusInvitationExpired, model.StatusBounced, model.StatusRevoked},
	"RowChange.action":          {"create", "update", "unchanged"},
	"Service.kind":              model.ServiceKinds,
	"Service.status":            model.ServiceStatuses,
	"ImportJob.state":           {core.ImportRunning, core.ImportDone, core.ImportFailed},
	"Server.security":           {mail.SecurityTLS, mail.SecurityStartTLS, mail.SecurityPlain},
	"ClientArea.certificate":    {"", core.CertAutomatic, core.CertFiles},
	"ClientArea.network":        {"", string(address.Loopback), string(address.LAN), string(address.Public)},
	"PublishStatus.network":     {"", string(address.Loopback), string(address.LAN), string(address.Public)},
	"PublishStatus.certificate": {"", core.CertAutomatic, core.CertFiles},
	"SelfCheck.step":            {"", "dns", "connect", "tls", "answer"},
	"SyncStatus.state":          hub.States,
	"Product.billing_cycle":     model.BillingCycles,
	"Order.state":               {model.OrderPending, model.OrderAccepted, model.OrderDeclined, model.OrderWithdrawn},
	"Cancellation.state":        {model.CancelRequested, model.CancelConfirmed, model.CancelDeclined, model.CancelWithdrawn},
	"Cancellation.timing":       {model.CancelNow, model.CancelEndOfTerm},
	"Site.unlisted":             {model.UnlistedAnyAdmin, model.UnlistedAllAreas},
	"Quote.status":              {"open", "accepted", "declined"},
	"Order.billing_cycle":       model.BillingCycles,
	"PaymentReport.state":       {model.ReportReported, model.ReportConfirmed, model.ReportRejected},
	"PaymentReport.method":      {model.MethodBankTransfer, model.MethodPaymentLink},
	"ServiceField.type":         {servicekind.Text, servicekind.LongText, servicekind.Bool, servicekind.Nameservers, servicekind.Email, servicekind.Count},
}

// typed are fields with a TypeScript type of their own.
var typed = map[string]string{"ErrorDetail.code": "ErrorCode", "PasskeyInput.credential": "unknown"}

// asString are types that encode as a JSON string.
var asString = []reflect.Type{reflect.TypeFor[time.Time](), reflect.TypeFor[core.Expiry]()}

// asUnknown are types that hold any JSON value (a setting's value before
// and after a change).
var asUnknown = []reflect.Type{reflect.TypeFor[json.RawMessage]()}

type gen struct {
	out     bytes.Buffer
	starts  []int                   // where each declaration begins in out
	taken   map[string]reflect.Type // TypeScript names given so far
	done    map[reflect.Type]bool
	pending []reflect.Type
	input   map[reflect.Type]bool
	output  map[reflect.Type]bool // reached from a reply
}

func main() {
	out := flag.String("o", "", "the index file to write; its parts go to the folder of the same name")
	flag.Parse()
	files, err := generate()
	if err == nil && *out != "" {
		err = write(*out, files)
	} else if err == nil {
		for _, name := range slices.Sorted(maps.Keys(files)) {
			fmt.Printf("// %s\n%s", name, files[name])
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tsgen:", err)
		os.Exit(1)
	}
}

// generate returns the files to write, by path relative to the index's folder.
func generate() (map[string][]byte, error) {
	g := &gen{done: map[reflect.Type]bool{}, input: map[reflect.Type]bool{}, output: map[reflect.Type]bool{}, taken: map[string]reflect.Type{}}
	codes, err := consts("core/errors.go", "Code")
	if err != nil {
		return nil, err
	}
	// Invitation states and notices: every constant of its group in model.
	states, err := consts("model/model.go", "Inv")
	if err != nil {
		return nil, err
	}
	notices, err := consts("model/model.go", "Notice")
	if err != nil {
		return nil, err
	}
	enums["Invitation.state"] = states
	enums["Invitation.notice"] = append([]string{""}, notices...)
	g.starts = append(g.starts, g.out.Len())
	fmt.Fprintf(&g.out, "/** Every `code` of an API error (core.Code*). */\nexport type ErrorCode = %s;\n\n", quoted(codes))
	for _, v := range requests {
		g.input[reflect.TypeOf(v)] = true
	}
	for _, v := range append(slices.Clone(replies), requests...) {
		g.pending = append(g.pending, reflect.TypeOf(v))
	}
	for len(g.pending) > 0 {
		t := g.pending[0]
		g.pending = g.pending[1:]
		if !g.done[t] {
			g.done[t] = true
			g.emit(t)
		}
	}
	return g.split(), nil
}

func (g *gen) name(t reflect.Type) string {
	if n, ok := names[t]; ok {
		return n
	}
	if t.Name() == "Status" { // outbox.Status, inbox.Status
		pkg := filepath.Base(t.PkgPath())
		return strings.ToUpper(pkg[:1]) + pkg[1:] + "Status"
	}
	return t.Name()
}

// emit writes struct t as an interface; an embedded struct, whose fields
// encoding/json writes inline, becomes a type it extends.
func (g *gen) emit(t reflect.Type) {
	// Two Go types under one name would silently merge in TypeScript.
	if other, ok := g.taken[g.name(t)]; ok && other != t {
		panic(fmt.Sprintf("tsgen: %s and %s are both named %s: add one to names", other, t, g.name(t)))
	}
	g.taken[g.name(t)] = t
	var parents []string
	for f := range t.Fields() {
		if embedded(f) {
			parents = append(parents, g.ts(structOf(f.Type), g.input[t]))
		}
	}
	extends := ""
	if len(parents) > 0 {
		extends = " extends " + strings.Join(parents, ", ")
	}
	g.starts = append(g.starts, g.out.Len())
	fmt.Fprintf(&g.out, "export interface %s%s { // %s.%s\n", g.name(t), extends, filepath.Base(t.PkgPath()), t.Name())
	g.fields(t, t, g.input[t])
	g.out.WriteString("}\n\n")
}

// embedded: a struct, or a pointer to one, whose fields are written inline.
func embedded(f reflect.StructField) bool {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return f.Anonymous && name == "" && structOf(f.Type).Kind() == reflect.Struct
}

func structOf(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// fields writes the JSON fields of struct t but those of embedded structs.
func (g *gen) fields(owner, t reflect.Type, input bool) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() || embedded(f) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		optional := input || strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero") || isNullable(f.Type)
		ts := g.ts(f.Type, input)
		for _, key := range []string{t.Name() + "." + name, g.name(owner) + "." + name} {
			if vals, ok := enums[key]; ok {
				ts = quoted(vals)
			}
			if t, ok := typed[key]; ok {
				ts = t
			}
		}
		q := ""
		if optional {
			q = "?"
		}
		fmt.Fprintf(&g.out, "  %s%s: %s;\n", name, q, ts)
	}
}

func isNullable(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && strings.HasPrefix(t.Name(), "Nullable[")
}

func quoted(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, " | ")
}

// ts is the TypeScript type of a Go type as encoding/json writes it.
func (g *gen) ts(t reflect.Type, input bool) string {
	if slices.Contains(asString, t) {
		return "string"
	}
	if slices.Contains(asUnknown, t) {
		return "unknown"
	}
	if isNullable(t) { // core.Nullable[T]: absent, null or a T
		return g.ts(t.Field(1).Type.Elem(), input) + " | null"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Pointer:
		return strings.TrimSuffix(g.ts(t.Elem(), input), " | null") + " | null"
	case reflect.Slice:
		// A nil slice is encoded as null; the API's lists of pointers hold
		// no nil ones.
		et := t.Elem()
		if et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		elem := g.ts(et, input)
		if strings.Contains(elem, " ") {
			elem = "(" + elem + ")"
		}
		return elem + "[] | null"
	case reflect.Map:
		return "Record<string, " + g.ts(t.Elem(), input) + ">"
	case reflect.Interface:
		return "unknown"
	case reflect.Struct:
		if t.Name() == "" { // an anonymous struct: its fields inline
			var b strings.Builder
			for f := range t.Fields() {
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				q := ""
				if input {
					q = "?"
				}
				fmt.Fprintf(&b, " %s%s: %s;", name, q, g.ts(f.Type, input))
			}
			return "{" + b.String() + " }"
		}
		// A type the API also answers with keeps its fields required.
		if input && !g.output[t] {
			g.input[t] = true
		} else if !input {
			g.output[t] = true
		}
		if !g.done[t] {
			g.pending = append(g.pending, t)
		}
		return g.name(t)
	}
	panic("tsgen: no TypeScript for " + t.String())
}

// consts reads the values of the string constants named prefix* in file
// (below backend/), in their order there.
func consts(file, prefix string) ([]string, error) {
	_, self, _, _ := runtime.Caller(0)
	file = filepath.Join(filepath.Dir(self), "..", "..", file)
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.HasPrefix(n.Name, prefix) {
					v, _ := strconv.Unquote(lit.Value)
					codes = append(codes, v)
				}
			}
		}
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("no %s* constants in %s", prefix, file)
	}
	return codes, nil
}
