package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"grantbook/backend/model"
	"grantbook/backend/secret"
	"grantbook/backend/store"
)

// An authenticator app (TOTP, RFC 6238) is the second factor for devices
// without passkeys. The secret is sealed by the vault (keyring or key
// file), never stored in clear; a code works once; wrong codes are limited.

const (
	totpPeriod   = 30
	totpFailures = 5                // wrong codes before a pause
	totpPause    = 15 * time.Minute // the pause, and the window wrong codes count in
)

// errTOTPElsewhere: the app's secret was sealed on another computer (the
// data came from a backup): no code can be checked here.
var errTOTPElsewhere = &Error{Code: CodeConflict, Message: "your authenticator app was set up when Grantbook ran on another " +
	"computer, and its secret did not come with the restored data, so its codes cannot be checked here: sign in with a " +
	"passkey if you have one, or ask the owner to reset your sign-in factors; then set up the authenticator app again"}

var errWrongTOTP = &Error{Code: CodeInvalidCode, Field: "code", Message: "this code is wrong or was used already: wait for the next one"}

func totpName(emailKey string) string {
	s := sha256.Sum256([]byte(emailKey))
	return "totp." + hex.EncodeToString(s[:8])
}

// TOTPSetup is what the person adds to their app: the secret, as text, as
// an otpauth:// address and as a QR code (PNG, base64).
type TOTPSetup struct {
	Secret string `json:"secret"`
	URL    string `json:"url"`
	QRPNG  string `json:"qr_png"`
}

// BeginTOTP makes a new secret for the person; it counts once confirmed
// with a first code (ConfirmTOTP).
func (a *App) BeginTOTP(ctx context.Context, p *Principal) (*TOTPSetup, error) {
	if err := a.mayChangeFactors(ctx, p); err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Grantbook", AccountName: p.Session.EmailKey, Period: totpPeriod})
	if err != nil {
		return nil, err
	}
	ref, err := a.vault.Seal(totpName(p.Session.EmailKey), key.Secret())
	if err != nil {
		return nil, err
	}
	err = a.change(asPerson(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.EntityID, e.Summary = "factor.totp.begin", "contact", personContact(p), "Started setting up an authenticator app"
		return tx.PutTOTP(ctx, p.Session.EmailKey, ref, a.now().UTC())
	})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return &TOTPSetup{Secret: key.Secret(), URL: key.URL(), QRPNG: base64.StdEncoding.EncodeToString(b.Bytes())}, nil
}

// CodeInput is a code from the authenticator app.
type CodeInput struct {
	Code string `json:"code"`
}

// ConfirmTOTP checks the first code of a new authenticator app: the app
// counts from now on, and the session has proved it.
func (a *App) ConfirmTOTP(ctx context.Context, p *Principal, in CodeInput) (*Factors, error) {
	return a.checkTOTP(ctx, p, in.Code, true)
}

// VerifyTOTP proves a session's second factor with a code.
func (a *App) VerifyTOTP(ctx context.Context, p *Principal, in CodeInput) (*Factors, error) {
	return a.checkTOTP(ctx, p, in.Code, false)
}

func (a *App) checkTOTP(ctx context.Context, p *Principal, code string, confirm bool) (*Factors, error) {
	key := p.Session.EmailKey
	t, err := a.store.TOTPOf(ctx, key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && confirm != (t.ConfirmedAt == nil)) {
		if confirm {
			return nil, invalid("code", "start setting up an authenticator app first")
		}
		return nil, invalid("code", "you have no authenticator app set up")
	}
	if err != nil {
		return nil, err
	}
	now := a.now().UTC()
	if t.Failures >= totpFailures && t.FailedAt != nil && now.Sub(*t.FailedAt) < totpPause {
		return nil, &Error{Code: CodeRateLimited, RetryAfter: int((totpPause - now.Sub(*t.FailedAt)).Seconds()) + 1,
			Message: "too many wrong codes: wait 15 minutes and try again"}
	}
	seed, err := a.vault.Open(totpName(key), t.SecretRef)
	if errors.Is(err, secret.ErrUnavailable) {
		return nil, errTOTPElsewhere
	}
	if err != nil {
		return nil, err
	}
	step := matchStep(seed, strings.TrimSpace(code), now)
	what := "confirm with the authenticator app"
	if step == 0 || step <= t.LastStep {
		err := a.change(asPerson(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
			e.Action, e.Entity, e.EntityID, e.Summary = "portal.factor", "contact", personContact(p), what+" — denied: wrong or used code"
			return tx.FailTOTP(ctx, key, totpPause, now)
		})
		if err != nil {
			return nil, err
		}
		return nil, errWrongTOTP
	}
	summary := "Confirmed the sign-in with the authenticator app"
	if confirm {
		summary = "Set up an authenticator app"
	}
	err = a.change(asPerson(ctx, p), func(tx *store.Tx, e *model.AuditEntry) error {
		if err := once(tx.UseTOTPStep(ctx, key, step, now)); err != nil {
			return errWrongTOTP // the same code, used at the same moment elsewhere
		}
		e.Action, e.Entity, e.EntityID, e.Summary = "portal.factor", "contact", personContact(p), summary
		if confirm {
			e.Action = "factor.totp.add"
			if err := a.tellPerson(ctx, tx, p, "An authenticator app was added", "an authenticator app now confirms your "+
				"sign-ins to the client area. If this was not you, tell the owner at once."); err != nil {
				return err
			}
		}
		return proved(ctx, tx, p, "totp")
	})
	if err != nil {
		return nil, err
	}
	a.wake()
	return a.PortalFactors(ctx, p)
}

// matchStep is the time step (of the previous, current or next 30
// seconds: clocks drift) whose code is code; 0 when none.
func matchStep(secret, code string, now time.Time) int64 {
	if len(code) != 6 {
		return 0
	}
	step := now.Unix() / totpPeriod
	for _, s := range []int64{step - 1, step, step + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{Period: totpPeriod,
			Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s
		}
	}
	return 0
}

// RemoveTOTP removes the person's authenticator app.
func (a *App) RemoveTOTP(ctx context.Context, p *Principal) (*Factors, error) {
	return a.removeFactor(ctx, p, "Removed the authenticator app", func(tx *store.Tx) error {
		return tx.DeleteTOTP(ctx, p.Session.EmailKey)
	})
}
