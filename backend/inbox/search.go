package inbox

import (
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// candidates narrows a search to messages that can concern an invitation,
// by their headers only: a reply names the invitation in In-Reply-To or
// References, or goes to the plus address; a bounce is a report or comes
// from the mail system. Header searches spare the server reading every
// body (bench/inbox: 4× faster catch-up than a full-text search). A reply
// stripped of all of these is still found by its sender (fromInvitees).
func candidates() []imap.SearchCriteria {
	header := func(key, value string) imap.SearchCriteria {
		return imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: key, Value: value}}}
	}
	return []imap.SearchCriteria{
		header("In-Reply-To", "grantbook"),
		header("References", "grantbook"),
		header("To", "+"),
		header("Cc", "+"),
		header("Delivered-To", "+"),
		header("Content-Type", "report"),
		header("From", "mailer-daemon"),
		header("From", "postmaster"),
	}
}

// CandidateCriteria is the watcher's SEARCH for messages worth reading
// (benchmarks time it on its own).
func CandidateCriteria() imap.SearchCriteria { return orAll(candidates()) }

// FromBatch is how many invitee addresses go into one SEARCH: a few KiB of
// command, well within servers' line limits (Dovecot's is 64 KiB).
const FromBatch = 100

// Searches are the watcher's SEARCH commands for a catch-up: the header
// candidates together with the first invitees' FROM (one pass over the
// mailbox), then the remaining invitees, FromBatch at a time.
func Searches(invitees []string) []imap.SearchCriteria {
	first := candidates()
	n := min(len(invitees), FromBatch)
	first = append(first, fromAny(invitees[:n])...)
	out := []imap.SearchCriteria{orAll(first)}
	for rest := invitees[n:]; len(rest) > 0; rest = rest[min(len(rest), FromBatch):] {
		out = append(out, orAll(fromAny(rest[:min(len(rest), FromBatch)])))
	}
	return out
}

func fromAny(addrs []string) []imap.SearchCriteria {
	out := make([]imap.SearchCriteria, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: a}}})
	}
	return out
}

// orAll joins criteria with OR, as a balanced tree: its depth grows with
// the log of their number.
func orAll(cs []imap.SearchCriteria) imap.SearchCriteria {
	if len(cs) == 1 {
		return cs[0]
	}
	mid := len(cs) / 2
	return imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{orAll(cs[:mid]), orAll(cs[mid:])}}}
}

// search returns the UIDs in (last, top] worth reading, in order.
func (w *Watcher) search(ctx context.Context, c *imapclient.Client, last, top uint32) ([]imap.UID, error) {
	invitees, err := w.Processor.Invitees(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[imap.UID]bool{}
	var uids []imap.UID
	for _, crit := range Searches(invitees) {
		crit.UID = []imap.UIDSet{{imap.UIDRange{Start: imap.UID(last + 1), Stop: imap.UID(top)}}}
		found, err := c.UIDSearch(&crit, nil).Wait()
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		for _, u := range found.AllUIDs() {
			if uint32(u) > last && uint32(u) <= top && !seen[u] {
				seen[u] = true
				uids = append(uids, u)
			}
		}
	}
	slices.Sort(uids)
	return uids, nil
}
