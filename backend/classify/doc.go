// Package classify decides what an incoming email means for a pending
// Grantbook invitation.
//
// Grantbook invites a person by email and the invitee accepts by replying.
// Every invitation message carries the invitation token (26 characters of
// lower-case base32, [a-z2-7]) three times: in its Message-ID
// (<grantbook.TOKEN@HOST>), in its Reply-To plus address
// (LOCAL+TOKEN@DOMAIN) and in a body line "Invitation code: TOKEN". An IMAP
// watcher hands each new message, as raw RFC 5322 bytes, to [Classify].
// The package never touches the database: invitations are found through the
// [Lookup] interface, and the caller acts on the returned [Result].
//
// # Rules
//
// The rules are applied in this order; the first one that decides wins.
//
//  1. Parse. A leading mbox "From " line is skipped. If the header cannot be
//     parsed (any malformed header line) or there is no header field at all,
//     the verdict is [Ignore]. A message whose own Message-ID is the
//     Message-ID of an invitation (our own invitation, e.g. a copy that
//     landed in the watched mailbox) is [Ignore] too.
//
//  2. Delivery status notifications. A top-level
//     multipart/report; report-type=delivery-status (RFC 6522, RFC 3464; the
//     RFC 6533 "global" variants are accepted too) is a DSN. The invitation
//     is found through the Message-ID of the returned message
//     (message/rfc822 or text/rfc822-headers part), else through a token
//     anywhere in the report (grantbook.TOKEN@, +TOKEN@, "Invitation code:
//     TOKEN"), else through the plus token of the DSN's own To/Cc/
//     Delivered-To/X-Original-To. The per-recipient blocks decide:
//     Action: failed with a 5.x.x (or missing) Status is a [Bounce], with
//     Diagnostic taken from Diagnostic-Code (its "smtp;" type stripped) or
//     else the Status; the block whose Final-Recipient/Original-Recipient is
//     the invitee is preferred. Action: delayed, or a 4.x.x Status, is
//     [Ignore] ("delivery delayed"); any other report is [Ignore]. A DSN not
//     related to an invitation is [Ignore]. A bounce is reported whatever
//     the invitation's state: the caller decides what it means. Messages from
//     MAILER-DAEMON or postmaster that are not DSNs go through rules 3 and 4
//     and are therefore [Reject] if related, [Ignore] otherwise, never
//     [Accept].
//
//  3. Find the invitation. (a) Each id of In-Reply-To, then of References
//     (last to first), angle brackets stripped, via Lookup.ByMessageID; an id
//     of the form grantbook.TOKEN@HOST that ByMessageID does not know is
//     tried as Lookup.ByToken(TOKEN). (b) Else the plus token of any
//     To, Cc, Delivered-To or X-Original-To address (local+TOKEN@domain) via
//     Lookup.ByToken. (c) Else a token in the text of the message (every
//     text part, quoted text included): a 26-character [a-z2-7] word (case
//     folded) with the string "code" at most 64 bytes before it, e.g.
//     "Invitation code: TOKEN". Nothing found: [Ignore] ("not a reply to an
//     invitation").
//
//  4. Related but must not grant: [Reject], checked in this order.
//     Automatic messages (RFC 3834): Auto-Submitted with a value other than
//     "no", X-Autoreply, X-Autorespond, Precedence bulk/junk/list, List-Id,
//     a null Return-Path (<>), a From of MAILER-DAEMON or postmaster, any
//     other multipart/report (e.g. read receipts). X-Auto-Response-Suppress
//     is not an auto-reply signal. Then the sender: more than one From field
//     or address, an unparseable From, or a From addr-spec that differs
//     from the invitee's address (ASCII case-insensitive, exact otherwise;
//     display names are ignored) is rejected. Then Authentication-Results
//     (RFC 8601): only fields whose authserv-id equals Config.AuthServID
//     (ASCII case-insensitive; an empty AuthServID trusts nothing) are read,
//     all others are ignored because anybody can add them; dmarc=fail, or
//     dkim=fail with no dkim=pass, or spf=fail with no dmarc=pass rejects.
//     Finally the invitation's state: accepted/declined ("already
//     accepted"/"already declined"), revoked, voided ("token voided by a
//     newer invitation"), expired, bounced, any unknown state, or
//     Config.Now after a non-zero ExpiresAt ("invitation expired"). The
//     states "sent" and "queued" may be answered.
//
//  5. Otherwise the reply is an [Accept], unless its new text says no, which
//     makes it a [Decline]. The new text is the first text/plain part (else
//     the first text/html part with tags and blockquotes removed), transfer
//     encoding and charset decoded, without lines starting with ">", without
//     an attribution line ("On ... wrote:", "Le ... a écrit :", "Am ...
//     schrieb ...:", "El ... escribió:", "Il ... ha scritto:", "Op ...
//     schreef ...:") that introduces quoted lines, and cut at an
//     attribution line followed by unquoted text, at a separator such as
//     "-----Original Message-----" or a line of underscores, at an Outlook
//     "From:/Sent:" block, and at a "-- " signature delimiter. The first
//     non-empty line of the new text is lower-cased, whitespace collapsed,
//     leading punctuation dropped, and compared with [DeclineWords]: a
//     phrase matches when the line starts with it and the phrase is
//     followed by the end of the line or by a character that is not a letter
//     or digit. The short words in [StrictDeclineWords] ("no", "non",
//     "nein", "nee") are stricter: they must be the whole line or be
//     followed (after optional spaces) by punctuation other than a hyphen or
//     apostrophe, so "No." and "No, thanks" decline while "No problem, happy
//     to help!" and "No-brainer" accept. A decline word later in the text
//     (after a greeting, or in the quoted original) does not count. Anything
//     else, an empty body included, is an [Accept].
//
// Result.Subject is the RFC 2047-decoded Subject with stacked, localised
// reply prefixes removed (Re, AW, SV, VS, Antw, REF, 回复, 回覆, each with an
// optional [n] or (n) counter and an ASCII or full-width colon); it is for
// display only and plays no part in the decision.
//
// Classify never panics: a panic inside it (including one raised by the
// Lookup) is turned into [Ignore] with an "internal error" reason.
package classify
