package core_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"grantbook/backend/core"
	"grantbook/backend/store"
)

// A template is refused at save time when its filled-in text could pass
// 64 KiB, or when it could run without bound.
func TestTemplateOutputIsBounded(t *testing.T) {
	r := newInvRig(t, true, true)
	for name, body := range map[string]string{
		"repeats the note":   strings.Repeat("{{.Note}}", 40) + "{{.Token}}",
		"long text":          strings.Repeat("x", 70<<10) + "{{.Token}}",
		"loops":              "{{range 100000000}}{{end}}{{.Token}}",
		"loops with output":  "{{range 100000000}}xxxxxxxx{{end}}{{.Token}}",
		"recurses":           `{{define "a"}}aa{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}{{.Token}}`,
		"printf with width":  `{{printf "%0900000d" 1}}{{.Token}}`,
		"only in else":       "{{if .Note}}{{.Token}}{{else}}" + strings.Repeat("{{.FirstName}}", 400) + "{{.Token}}{{end}}",
		"subject is checked": "",
	} {
		t.Run(name, func(t *testing.T) {
			tpl := core.InvitationTemplate{Subject: "Hello", Body: body}
			if body == "" {
				tpl = core.InvitationTemplate{Subject: strings.Repeat("{{.Note}}", 40), Body: "{{.Token}}"}
			}
			_, err := r.app.PutTemplate(invCtx, tpl)
			e, ok := core.AsError(err)
			if !ok || e.Code != core.CodeInvalid {
				t.Fatalf("PutTemplate: %v, want a refusal", err)
			}
		})
	}
	// A template well inside the bound is kept.
	ok := core.InvitationTemplate{Subject: "Access to {{.AccountName}}", Body: strings.Repeat("{{.Note}}", 3) + " {{.Token}}"}
	if _, err := r.app.PutTemplate(invCtx, ok); err != nil {
		t.Fatalf("PutTemplate: %v", err)
	}
}

// A stored template that cannot be filled in within the bound (saved by an
// older version, or restored) never makes a huge mail: the invitation goes
// out with the built-in template.
func TestOversizedStoredTemplateFallsBackAtSendTime(t *testing.T) {
	r := newInvRig(t, true, true)
	raw, _ := json.Marshal(core.InvitationTemplate{Subject: "Hi", Body: strings.Repeat("{{.Note}}", 40) + "{{.Token}}"})
	err := r.app.StoreForTest().Tx(invCtx, func(tx *store.Tx) error {
		return tx.PutSetting(invCtx, "mail.invitation_template", string(raw))
	})
	if err != nil {
		t.Fatal(err)
	}
	in := r.input("Ada", "Lovelace", "ada@"+invInviteeAt)
	in.Note = strings.Repeat("n", 2000)
	inv, err := r.app.Invite(invCtx, in)
	if err != nil {
		t.Fatalf("Invite: %v", err)
	}
	var mail []byte
	if err := r.app.StoreForTest().DB().QueryRow(`SELECT raw FROM outbox WHERE message_id = ?`, inv.MessageID).Scan(&mail); err != nil {
		t.Fatal(err)
	}
	if len(mail) > 32<<10 {
		t.Errorf("the invitation mail is %d bytes", len(mail))
	}
	if !bytes.Contains(mail, []byte("To accept, simply reply")) || !bytes.Contains(mail, []byte(inv.Token)) {
		t.Errorf("the mail is not the built-in invitation with the code:\n%.600s", mail)
	}
}

// The owner's template can place the sign-in link; one that leaves it out
// still says where to sign in; the link counts toward the 64 KiB bound.
func TestTemplateSignInLink(t *testing.T) {
	r := newInvRig(t, true, true)
	r.setArea("https://portal.example.com", "")
	if _, err := r.app.PutTemplate(invCtx, core.InvitationTemplate{Subject: "Hi",
		Body: "{{.Token}}" + strings.Repeat("{{.SignInLink}}", 320)}); err == nil {
		t.Error("a template that repeats the link past 64 KiB was saved")
	}
	for i, c := range []struct{ body, want string }{
		{"Reply to accept. Then go to <{{.SignInLink}}>. Code {{.Token}}", "Then go to <" + areaLink + ">. Code "},
		{"Reply to accept.{{if not .SignInLink}} No link yet.{{end}} Code {{.Token}}\n\n--\n", "--\n\nAfter you accept, sign in at " + areaLink + " with this email address.\n"},
	} {
		body, want := c.body, c.want
		if _, err := r.app.PutTemplate(invCtx, core.InvitationTemplate{Subject: "Hi {{.FirstName}}", Body: body}); err != nil {
			t.Fatalf("PutTemplate(%q): %v", body, err)
		}
		inv := r.invite("Tia", "Template", fmt.Sprintf("tia%d@client.test", i))
		r.flush(1)
		_, p := r.sentWithID(inv.MessageID)
		text := strings.ReplaceAll(p.text, "\r\n", "\n")
		if !strings.Contains(text, want) || strings.Count(text, areaLink) != 1 {
			t.Errorf("template %q gave:\n%s", body, text)
		}
	}
}
