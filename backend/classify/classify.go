package classify

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Invitation is what the classifier needs to know about one invitation.
type Invitation struct {
	Token     string
	Email     string // invitee address
	MessageID string // Message-ID of the invitation email, without <>
	// State is the invitation's state, or "superseded" for a token a newer
	// invitation message replaced.
	State     string
	ExpiresAt time.Time
	// ReturnTag is the tag Grantbook put in the envelope sender of
	// MessageID (see [ReturnTags]); "" when unknown.
	ReturnTag string
	// Kind is "" for an invitation, KindReminder for a reminder that a
	// grant ends: a reply to one asks for an extension or says nothing.
	Kind string
}

// KindReminder marks a reminder before a grant ends.
const KindReminder = "reminder"

// Lookup finds invitations. Unknown input is not an error: it returns nil,
// nil. An error (the database failed) aborts the classification.
type Lookup interface {
	ByToken(ctx context.Context, token string) (*Invitation, error)  // includes voided/old tokens
	ByMessageID(ctx context.Context, id string) (*Invitation, error) // id without angle brackets
}

// Config parameterises Classify.
type Config struct {
	// AuthServID is the authserv-id (RFC 8601) of OUR receiving server.
	// Only Authentication-Results fields carrying exactly it are read; ""
	// trusts none, so no reply is verified.
	AuthServID string
	// Now is the time against which ExpiresAt is checked; zero means
	// time.Now().
	Now time.Time
}

// Verdict is the classifier's decision.
type Verdict string

const (
	Accept  Verdict = "accept"
	Decline Verdict = "decline"
	Bounce  Verdict = "bounce"
	// Delayed: a delivery report says the invitation is not delivered yet.
	Delayed Verdict = "delayed"
	Ignore  Verdict = "ignore"
	// Reject: related to an invitation but must not grant: spoofed,
	// auto-reply, expired, revoked, voided, already answered.
	Reject Verdict = "reject"
	// Extend: a reply to a grant reminder asks to extend the access (an
	// access request for the owner, never an extension by itself).
	Extend Verdict = "extend"
)

// Result is the outcome of Classify.
type Result struct {
	Verdict    Verdict
	Token      string // invitation concerned, "" if none
	Reason     string // human, e.g. "auto-reply (Auto-Submitted: auto-replied)"
	Diagnostic string // bounce diagnostic e.g. "550 5.1.1 user unknown"
	From       string // From addr-spec (or the raw field if unparseable)
	MessageID  string // Message-ID of the classified message, without <>
	Subject    string // decoded, reply prefixes removed; display only
	// Authenticated (Accept, Decline): the trusted receiving server
	// vouches for the sender; Auth says why or why not.
	Authenticated bool
	Auth          string
	// ReturnPath (Bounce, Delayed): the report reached the return path
	// Grantbook gave the invitation message, so it is genuine.
	ReturnPath bool
}

// Grants reports whether the result may change an invitation by itself: a
// reply whose sender our own server authenticated.
func (r Result) Grants() bool {
	return (r.Verdict == Accept || r.Verdict == Decline) && r.Authenticated
}

// recoverPanics is switched off by the fuzz test so that panics surface.
var recoverPanics = true

// Classify decides what raw (an RFC 5322 message) means for an invitation.
// See the package documentation for the rules. It never panics; its only
// error is the Lookup's, and then the message is not decided at all.
func Classify(ctx context.Context, raw []byte, l Lookup, cfg Config) (res Result, err error) {
	if recoverPanics {
		defer func() {
			if r := recover(); r != nil {
				res, err = Result{Verdict: Ignore, Reason: fmt.Sprintf("internal error: %v", r)}, nil
			}
		}()
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	c := &classifier{ctx: ctx, lookup: l, cfg: cfg}
	res = c.run(raw)
	if c.err != nil {
		return Result{}, fmt.Errorf("classify: look up the invitation: %w", c.err)
	}
	return res, nil
}

// maxLookups bounds the number of Lookup calls for one message.
const maxLookups = 64

type classifier struct {
	ctx     context.Context
	lookup  Lookup
	cfg     Config
	lookups int
	err     error // the first Lookup error: nothing is found after it
}

// usable reports whether another lookup may be made.
func (c *classifier) usable() bool {
	return c.lookup != nil && c.err == nil && c.lookups < maxLookups
}

func (c *classifier) byToken(tok string) *Invitation {
	tok = strings.ToLower(strings.TrimSpace(tok))
	if !isToken(tok) || !c.usable() {
		return nil
	}
	c.lookups++
	inv, err := c.lookup.ByToken(c.ctx, tok)
	if err != nil {
		c.err = err
		return nil
	}
	if inv == nil {
		return nil
	}
	if inv.Token == "" {
		cp := *inv
		cp.Token = tok
		inv = &cp
	}
	return inv
}

func (c *classifier) byMessageID(id string) *Invitation {
	if id == "" || !c.usable() {
		return nil
	}
	c.lookups++
	inv, err := c.lookup.ByMessageID(c.ctx, id)
	if err != nil {
		c.err = err
		return nil
	}
	if inv != nil {
		if inv.Token == "" {
			if tok := tokenFromMessageID(id); tok != "" {
				cp := *inv
				cp.Token = tok
				inv = &cp
			}
		}
		return inv
	}
	if tok := tokenFromMessageID(id); tok != "" {
		return c.byToken(tok)
	}
	return nil
}

// byIDs tries each id in order.
func (c *classifier) byIDs(ids []string) *Invitation {
	for _, id := range ids {
		if inv := c.byMessageID(id); inv != nil {
			return inv
		}
	}
	return nil
}

func (c *classifier) byTokens(toks []string) *Invitation {
	for _, t := range toks {
		if inv := c.byToken(t); inv != nil {
			return inv
		}
	}
	return nil
}

func (c *classifier) run(raw []byte) Result {
	m, err := parseMessage(raw)
	if err != nil {
		return Result{Verdict: Ignore, Reason: "unparseable message: " + clip(err.Error())}
	}
	res := Result{
		From:      m.fromDisplay(),
		MessageID: m.messageID,
		Subject:   m.subject,
	}
	ignore := func(reason string) Result {
		res.Verdict, res.Reason = Ignore, reason
		return res
	}

	// Rule 1b: our own invitation message.
	if m.messageID != "" {
		if inv := c.byMessageID(m.messageID); inv != nil {
			res.Token = inv.Token
			return ignore("own invitation message (Message-ID " + m.messageID + ")")
		}
	}

	// Rule 2: delivery reports, standard or plain text.
	if m.isDSN() {
		return c.classifyDSN(m, res)
	}
	if m.isFailureNotice() {
		return c.classifyNotice(m, res)
	}

	// Rule 3: find the invitation.
	inv, how := c.findInvitation(m)
	if inv == nil {
		return ignore("not a reply to an invitation")
	}
	res.Token = inv.Token
	reject := func(reason string) Result {
		res.Verdict, res.Reason = Reject, reason
		return res
	}

	// Rule 4: related but must not grant.
	if r := m.autoReason(); r != "" {
		return reject(r)
	}
	if r := m.senderProblem(inv.Email); r != "" {
		return reject(r)
	}
	if r := stateProblem(inv, c.cfg.Now); r != "" {
		return reject(r)
	}

	// Rule 5: accept unless the new text says no; a reply to a reminder
	// asks to extend, or nothing.
	text := newText(m.replyText())
	if inv.Kind == KindReminder {
		phrase, ok := ExtendRequested(text)
		if !ok {
			return ignore("reply to a reminder that does not ask to extend")
		}
		res.Verdict, res.Reason = Extend, fmt.Sprintf("asks to extend (%q in reply)", phrase)
	} else if lang, word, ok := declineMatch(text); ok {
		res.Verdict = Decline
		res.Reason = fmt.Sprintf("decline word %q (%s) in reply", word, lang)
	} else {
		res.Verdict = Accept
		res.Reason = "reply from the invitee (invitation found by " + how + ")"
	}

	// Rule 6: only our own receiving server can vouch for the sender.
	res.Authenticated, res.Auth = senderAuth(m.header, c.cfg.AuthServID, domainOf(inv.Email))
	return res
}

// findInvitation applies rule 3 and says how the invitation was found.
func (c *classifier) findInvitation(m *parsedMessage) (*Invitation, string) {
	if inv := c.byIDs(msgIDs(m.header.Values("In-Reply-To"))); inv != nil {
		return inv, "In-Reply-To"
	}
	refs := msgIDs(m.header.Values("References"))
	for i, j := 0, len(refs)-1; i < j; i, j = i+1, j-1 {
		refs[i], refs[j] = refs[j], refs[i]
	}
	if inv := c.byIDs(refs); inv != nil {
		return inv, "References"
	}
	if inv := c.byTokens(m.plusTokens()); inv != nil {
		return inv, "plus address"
	}
	if inv := c.byTokens(codeTokens(m.allText())); inv != nil {
		return inv, "code in body"
	}
	return nil, ""
}

// stateProblem reports why an invitation in this state cannot be answered.
func stateProblem(inv *Invitation, now time.Time) string {
	switch strings.ToLower(strings.TrimSpace(inv.State)) {
	case "sent", "queued", "awaiting":
	case "accepted":
		return "already accepted"
	case "declined":
		return "already declined"
	case "revoked":
		return "invitation revoked"
	case "superseded":
		return "token voided by a newer invitation"
	case "voided":
		return "invitation voided (the contact was suspended or removed)"
	case "expired":
		return "invitation expired"
	case "bounced":
		return "invitation bounced"
	default:
		return fmt.Sprintf("invitation in unknown state %q", inv.State)
	}
	if !inv.ExpiresAt.IsZero() && now.After(inv.ExpiresAt) {
		return "invitation expired"
	}
	return ""
}
