package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"

	"grantbook/backend/address"
)

// MaxRendered bounds a filled-in template, subject and body each.
const MaxRendered = 64 << 10

var errTooLarge = fmt.Errorf("the filled-in text would be larger than %d KiB", MaxRendered>>10)

// boundedBuffer refuses writes past max: a template stops as soon as its
// output is too large, whatever it repeats.
type boundedBuffer struct {
	bytes.Buffer
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errTooLarge
	}
	return b.Buffer.Write(p)
}

type invitationFields struct {
	FirstName, LastName, FromName, AccountName, Access, Note, Expires, Token string
	// SignInLink is the client area's sign-in page, "" until its address is set.
	SignInLink string
}

// parseInvitation parses one part of the template. Loops and nested
// templates are refused: they can run for minutes while writing nothing,
// which no output bound stops, and an invitation needs neither.
func parseInvitation(src string) (*template.Template, error) {
	tpl, err := template.New("t").Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, err
	}
	if len(tpl.Templates()) > 1 {
		return nil, errors.New("define and block are not available in an invitation")
	}
	if tpl.Tree == nil {
		return tpl, nil
	}
	return tpl, vetNode(tpl.Tree.Root)
}

func vetNode(n parse.Node) error {
	switch n := n.(type) {
	case *parse.RangeNode:
		return errors.New("range is not available in an invitation")
	case *parse.TemplateNode:
		return errors.New("template is not available in an invitation")
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := vetNode(c); err != nil {
				return err
			}
		}
	case *parse.IfNode:
		return vetBranch(&n.BranchNode)
	case *parse.WithNode:
		return vetBranch(&n.BranchNode)
	}
	return nil
}

func vetBranch(b *parse.BranchNode) error {
	if err := vetNode(b.List); err != nil {
		return err
	}
	return vetNode(b.ElseList)
}

func renderInvitation(t InvitationTemplate, f invitationFields) (InvitationTemplate, error) {
	var out InvitationTemplate
	var err error
	if out.Subject, err = renderPart(t.Subject, f); err != nil {
		return out, fmt.Errorf("subject: %w", err)
	}
	if out.Body, err = renderPart(t.Body, f); err != nil {
		return out, fmt.Errorf("body: %w", err)
	}
	out.Subject = strings.Join(strings.Fields(out.Subject), " ") // one line, always
	return out, nil
}

func renderPart(src string, f invitationFields) (string, error) {
	tpl, err := parseInvitation(src)
	if err != nil {
		return "", err
	}
	buf := &boundedBuffer{max: MaxRendered}
	if err := tpl.Execute(buf, f); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// sampleToken stands for the invitation code when a template is checked.
const sampleToken = "sampletoken"

// templateSamples fill a template in when it is saved: short values, and
// every field at its longest (names and account 200 characters, a 2000
// character note) with and without a note. A template whose conditions
// test other values may still overflow when sent: the invitation then
// goes out with the built-in template (queueInvitation).
var templateSamples = []invitationFields{
	{Token: sampleToken, FirstName: "Ada", FromName: "Owner", AccountName: "Acme", Access: "Billing", Expires: "1 January 2030",
		SignInLink: "https://portal.example.com/portal"},
	{Token: sampleToken, FirstName: "Ada", FromName: "Owner", AccountName: "Acme", Access: "Billing", Expires: "1 January 2030"},
	longestSample(strings.Repeat("N", 2000)),
	longestSample(""),
}

func longestSample(note string) invitationFields {
	return invitationFields{Token: sampleToken, FirstName: strings.Repeat("F", 200), LastName: strings.Repeat("L", 200),
		FromName: strings.Repeat("O", 200), AccountName: strings.Repeat("A", 200), Access: "Technical",
		Note: note, Expires: "30 September 2030", SignInLink: longestLink}
}

// longestLink is the longest sign-in link an address can make.
var longestLink = "https://" + strings.Repeat("p", address.MaxLength-len("https://")) + address.PortalPath

// withSignIn adds the sign-in line to an invitation whose template leaves
// the link out (one written before there was a link): every mail about a
// contact's access says where to go once it is known.
func withSignIn(body, link string) string {
	if link == "" || strings.Contains(body, link) {
		return body
	}
	return strings.TrimRight(body, "\n") + "\n\nAfter you accept, sign in at " + link + " with this email address.\n"
}

// checkTemplate fills t in with every sample and says, per field, what
// keeps it from being used.
func checkTemplate(t InvitationTemplate) error {
	for _, p := range []struct{ field, src string }{{"subject", t.Subject}, {"body", t.Body}} {
		if _, err := parseInvitation(p.src); err != nil {
			return invalid(p.field, "the %s template cannot be used: %v", p.field, err)
		}
		for _, f := range templateSamples {
			out, err := renderPart(p.src, f)
			if errors.Is(err, errTooLarge) {
				return invalid(p.field, "the %s would be larger than %d KiB once filled in (with the longest names and note): shorten it", p.field, MaxRendered>>10)
			}
			if err != nil {
				return invalid(p.field, "the %s template cannot be filled in: %v", p.field, err)
			}
			if p.field == "body" && !containsToken(out, sampleToken) {
				return invalid("body", "the body must keep {{.Token}}: replies are matched by the invitation code")
			}
		}
	}
	return nil
}

func containsToken(body, token string) bool { return strings.Contains(body, token) }

// TemplatePreview asks for a template filled in for a sample contact: the
// account's name (the first account's when none is given), the sender name
// and the invitation length as set, dates in the owner's time zone.
type TemplatePreview struct {
	InvitationTemplate
	AccountID int64 `json:"account_id"`
	// Note fills in a sample personal message, to see a {{if .Note}} part.
	Note bool `json:"note"`
}

// PreviewTemplate fills in t as an invitation to a sample contact would be,
// through the same bounded rendering, after the checks saving makes.
func (a *App) PreviewTemplate(ctx context.Context, t TemplatePreview) (InvitationTemplate, error) {
	if err := checkTemplate(t.InvitationTemplate); err != nil {
		return InvitationTemplate{}, err
	}
	st, err := a.mailSettings(ctx, false)
	if err != nil {
		return InvitationTemplate{}, err
	}
	account := "Acme Ltd"
	if accs, err := a.store.Accounts(ctx); err == nil && len(accs) > 0 {
		account = accs[0].Name
		for _, acc := range accs {
			if acc.ID == t.AccountID {
				account = acc.Name
			}
		}
	}
	f := invitationFields{FirstName: "Ada", LastName: "Lovelace", FromName: orDefault(st.SMTP.FromName, account), AccountName: account,
		Access: presetLabel("billing"), Token: "k7q2m9x4w3r8t5v6b2n4c7z3ya",
		Expires: a.now().In(a.zone(ctx)).AddDate(0, 0, st.InvitationExpiryDays).Format("2 January 2006")}
	if t.Note {
		f.Note = "Hi Ada, could you look after our invoices from next month?"
	}
	return renderInvitation(t.InvitationTemplate, f)
}
