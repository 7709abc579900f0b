package inbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// candidates narrows a search to messages that can concern an invitation,
// by their headers only: a reply names the invitation in In-Reply-To or
// References, or goes to the plus address; a bounce is a report or comes
// from the mail system. Header searches spare the server reading every
// body (bench/inbox: 4× faster catch-up than a full-text search). A reply
// stripped of all of these is still found by its sender (FromSearches).
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

// FromSearches are the SEARCH commands for messages from the invitees,
// FromBatch addresses at a time. Servers match every address against every
// message searched: they run on recent mail only (see Candidates).
func FromSearches(invitees []string) []imap.SearchCriteria {
	var out []imap.SearchCriteria
	for rest := invitees; len(rest) > 0; rest = rest[min(len(rest), FromBatch):] {
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
	watch, err := w.Processor.Watch(ctx)
	if err != nil {
		return nil, err
	}
	return Candidates(c, watch, last, top)
}

// sinceMargin covers clocks and time zones: SEARCH SINCE has day precision.
const sinceMargin = 48 * time.Hour

// Candidates returns the UIDs in (last, top] of the selected mailbox worth
// reading, in order. Only mail that arrived since the first invitation
// (minus sinceMargin) can be a reply or a report: the server lists those
// first, from its index alone, and the header candidates and every message
// from an invitee are searched among them. An old mailbox is not read
// through for nothing, and the FROM searches stay cheap.
func Candidates(c *imapclient.Client, watch Watch, last, top uint32) ([]imap.UID, error) {
	if watch.Since.IsZero() {
		return nil, nil // no invitation yet: nothing can concern one
	}
	span := imap.UIDSet{imap.UIDRange{Start: imap.UID(last + 1), Stop: imap.UID(top)}}
	recent := map[imap.UID]bool{}
	crit := imap.SearchCriteria{Since: watch.Since.Add(-sinceMargin)}
	if err := searchInto(c, &crit, span, last, top, recent); err != nil || len(recent) == 0 {
		return nil, err
	}
	set := imap.UIDSetNum(keys(recent)...)
	found := map[imap.UID]bool{}
	searches := append([]imap.SearchCriteria{CandidateCriteria()}, FromSearches(watch.Invitees)...)
	for _, crit := range searches {
		if err := searchInto(c, &crit, set, last, top, found); err != nil {
			return nil, err
		}
	}
	return keys(found), nil
}

// searchInto adds to found the UIDs in (last, top] of set matching crit.
func searchInto(c *imapclient.Client, crit *imap.SearchCriteria, set imap.UIDSet, last, top uint32, found map[imap.UID]bool) error {
	crit.UID = []imap.UIDSet{set}
	res, err := c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	for _, u := range res.AllUIDs() {
		if uint32(u) > last && uint32(u) <= top {
			found[u] = true
		}
	}
	return nil
}

func keys(m map[imap.UID]bool) []imap.UID {
	out := make([]imap.UID, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}
