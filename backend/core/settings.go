package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"grantbook/backend/mail"
	"grantbook/backend/model"
	"grantbook/backend/store"
)

const (
	keyMailSettings = "mail.settings"
	keySMTPPassword = "mail.smtp.password"
	keyIMAPPassword = "mail.imap.password"
	keyTemplate     = "mail.invitation_template"
)

// MailSettings returns the settings with passwords left out (password_set
// says whether one is stored).
func (a *App) MailSettings(ctx context.Context) (mail.Settings, error) {
	st, err := a.mailSettings(ctx, false)
	return st, err
}

// mailSettings loads the settings, with the passwords when withSecrets.
func (a *App) mailSettings(ctx context.Context, withSecrets bool) (mail.Settings, error) {
	var st mail.Settings
	raw, ok, err := a.store.Setting(ctx, keyMailSettings)
	if err != nil {
		return st, err
	}
	if ok {
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			return st, fmt.Errorf("mail settings are damaged: %w", err)
		}
	}
	st.Normalise()
	for _, p := range []struct {
		key string
		srv *mail.Server
	}{{keySMTPPassword, &st.SMTP.Server}, {keyIMAPPassword, &st.IMAP.Server}} {
		ref, ok, err := a.store.Setting(ctx, p.key)
		if err != nil {
			return st, err
		}
		p.srv.PasswordSet, p.srv.Password = ok, ""
		if ok && withSecrets {
			if p.srv.Password, err = a.vault.Open(p.key, ref); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// PutMailSettings validates and saves the settings. An empty password keeps
// the stored one; ClearPassword fields are not needed: a server without a
// host drops its password.
func (a *App) PutMailSettings(ctx context.Context, st mail.Settings) (mail.Settings, error) {
	if err := st.Normalise(); err != nil {
		var fe *mail.FieldError
		if errors.As(err, &fe) {
			return st, invalid(fe.Field, "%s", fe.Message)
		}
		return st, err
	}
	before, err := a.MailSettings(ctx)
	if err != nil {
		return st, err
	}
	// Seal new passwords before the transaction: the keyring is outside it.
	refs := map[string]string{}
	for key, srv := range map[string]*mail.Server{keySMTPPassword: &st.SMTP.Server, keyIMAPPassword: &st.IMAP.Server} {
		if srv.Password != "" && srv.Configured() {
			ref, err := a.vault.Seal(key, srv.Password)
			if err != nil {
				return st, err
			}
			refs[key] = ref
		}
		if !srv.Configured() {
			refs[key] = ""
		}
		srv.Password = ""
	}
	stored := st
	stored.SMTP.PasswordSet, stored.IMAP.PasswordSet = false, false
	raw, err := json.Marshal(stored)
	if err != nil {
		return st, err
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		if err := tx.PutSetting(ctx, keyMailSettings, string(raw)); err != nil {
			return err
		}
		for key, ref := range refs {
			var err error
			if ref == "" {
				err = tx.DeleteSetting(ctx, key)
			} else {
				err = tx.PutSetting(ctx, key, ref)
			}
			if err != nil {
				return err
			}
		}
		e.Action, e.Entity, e.Summary, e.Before, e.After = "settings.mail", "settings", "Changed mail settings", before, stored
		return nil
	})
	if err != nil {
		return st, err
	}
	if a.outbox != nil {
		a.outbox.Wake()
	}
	if a.inbox != nil {
		a.inbox.Restart()
	}
	return a.MailSettings(ctx)
}

// TestResult answers a connection test. AuthServID (IMAP only) is the
// authserv-id seen on the newest message: a suggestion for the setting.
type TestResult struct {
	OK         bool   `json:"ok"`
	Message    string `json:"message"`
	AuthServID string `json:"authserv_id,omitempty"`
}

// TestMail tries the SMTP or IMAP server with the saved settings.
func (a *App) TestMail(ctx context.Context, which string) (TestResult, error) {
	st, err := a.mailSettings(ctx, true)
	if err != nil {
		return TestResult{}, err
	}
	switch which {
	case "smtp":
		if !st.SMTP.Configured() {
			return TestResult{Message: "No SMTP server is set up yet."}, nil
		}
		if err := mail.TestSMTP(st.SMTP); err != nil {
			return TestResult{Message: err.Error()}, nil
		}
		return TestResult{OK: true, Message: "Connected to " + st.SMTP.Addr() + " and logged in."}, nil
	case "imap":
		if !st.IMAP.Configured() {
			return TestResult{Message: "No IMAP server is set up yet."}, nil
		}
		msg, id, err := mail.TestIMAP(st.IMAP)
		if err != nil {
			return TestResult{Message: err.Error()}, nil
		}
		res := TestResult{OK: true, Message: "Connected to " + st.IMAP.Addr() + ": " + msg + ".", AuthServID: id}
		switch {
		case id != "" && id == st.IMAP.TrustedAuthServID:
			res.Message += " The newest message was checked by " + id + ", your trusted receiving server."
		case id != "":
			res.Message += " The newest message was checked by \"" + id + "\": if that is your mail provider's receiving server, enter it as the trusted authserv-id."
		default:
			res.Message += " The newest message carries no Authentication-Results header: replies cannot be verified, you will confirm each one."
		}
		return res, nil
	}
	return TestResult{}, invalid("which", "which must be smtp or imap")
}

// InvitationTemplate is the editable invitation email.
type InvitationTemplate struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// DefaultTemplate is used until the owner edits it. Fields: .FirstName,
// .LastName, .FromName, .AccountName, .Access, .Note, .Expires, .Token,
// .SignInLink (empty until the client area's address is set).
var DefaultTemplate = InvitationTemplate{
	Subject: `{{.FromName}} invites you to access {{.AccountName}}`,
	Body: `Hello {{.FirstName}},

{{.FromName}} would like to give you {{.Access}} access to the account "{{.AccountName}}".
{{if .Note}}
{{.Note}}
{{end}}
To accept, simply reply to this email: any reply will do.
To decline, reply with "no".
{{if .SignInLink}}
After you accept, sign in at {{.SignInLink}} with this email address.
{{end}}
This invitation expires on {{.Expires}}.

Invitation code: {{.Token}}
(sent with Grantbook)
`,
}

// Template returns the invitation template in use.
func (a *App) Template(ctx context.Context) (InvitationTemplate, error) {
	raw, ok, err := a.store.Setting(ctx, keyTemplate)
	if err != nil || !ok {
		return DefaultTemplate, err
	}
	var t InvitationTemplate
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return DefaultTemplate, nil
	}
	return t, nil
}

// PutTemplate checks and saves the invitation template. It must keep the
// invitation code (replies are matched by it when other clues are lost),
// and fill in within MaxRendered.
func (a *App) PutTemplate(ctx context.Context, t InvitationTemplate) (InvitationTemplate, error) {
	if err := checkTemplate(t); err != nil {
		return t, err
	}
	before, _ := a.Template(ctx)
	raw, _ := json.Marshal(t)
	err := a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.Summary, e.Before, e.After = "settings.template", "settings", "Changed the invitation email", before, t
		return tx.PutSetting(ctx, keyTemplate, string(raw))
	})
	return t, err
}
