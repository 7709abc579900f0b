package classify

import (
	"fmt"
	"strings"
	"time"
)

// Invitation is what the classifier needs to know about one invitation.
type Invitation struct {
	Token     string
	Email     string // invitee address
	MessageID string // Message-ID of the invitation email, without <>
	State     string // "queued","sent","accepted","declined","expired","revoked","bounced","voided"
	ExpiresAt time.Time
}

// Lookup finds invitations. Implementations must not fail on unknown input;
// they return false when nothing matches.
type Lookup interface {
	ByToken(token string) (*Invitation, bool)  // includes voided/old tokens
	ByMessageID(id string) (*Invitation, bool) // id without angle brackets
}

// Config parameterises Classify.
type Config struct {
	// AuthServID is the authserv-id (RFC 8601) of OUR receiving server.
	// Only Authentication-Results fields carrying it are trusted; "" trusts
	// none.
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
	Ignore  Verdict = "ignore"
	// Reject: related to an invitation but must not grant: spoofed,
	// auto-reply, expired, revoked, voided, DMARC fail, already answered.
	Reject Verdict = "reject"
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
}

// recoverPanics is switched off by the fuzz test so that panics surface.
var recoverPanics = true

// Classify decides what raw (an RFC 5322 message) means for an invitation.
// See the package documentation for the rules. It never panics.
func Classify(raw []byte, l Lookup, cfg Config) (res Result) {
	if recoverPanics {
		defer func() {
			if r := recover(); r != nil {
				res = Result{Verdict: Ignore, Reason: fmt.Sprintf("internal error: %v", r)}
			}
		}()
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	c := &classifier{lookup: l, cfg: cfg}
	return c.run(raw)
}

// maxLookups bounds the number of Lookup calls for one message.
const maxLookups = 64

type classifier struct {
	lookup  Lookup
	cfg     Config
	lookups int
}

func (c *classifier) byToken(tok string) *Invitation {
	tok = strings.ToLower(strings.TrimSpace(tok))
	if c.lookup == nil || !isToken(tok) || c.lookups >= maxLookups {
		return nil
	}
	c.lookups++
	inv, ok := c.lookup.ByToken(tok)
	if !ok || inv == nil {
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
	if c.lookup == nil || id == "" || c.lookups >= maxLookups {
		return nil
	}
	c.lookups++
	inv, ok := c.lookup.ByMessageID(id)
	if ok && inv != nil {
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

	// Rule 2: delivery status notifications.
	if m.isDSN() {
		return c.classifyDSN(m, res)
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
	if r := authFailure(m.header, c.cfg.AuthServID); r != "" {
		return reject(r)
	}
	if r := stateProblem(inv, c.cfg.Now); r != "" {
		return reject(r)
	}

	// Rule 5: accept unless the new text says no.
	text := newText(m.replyText())
	if lang, word, ok := declineMatch(text); ok {
		res.Verdict = Decline
		res.Reason = fmt.Sprintf("decline word %q (%s) in reply", word, lang)
		return res
	}
	res.Verdict = Accept
	res.Reason = "reply from the invitee (invitation found by " + how + ")"
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
	case "sent", "queued":
	case "accepted":
		return "already accepted"
	case "declined":
		return "already declined"
	case "revoked":
		return "invitation revoked"
	case "voided":
		return "token voided by a newer invitation"
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
