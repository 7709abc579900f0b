package core

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"grantbook/backend/model"
)

// TestListingAppendsItsAnswerInOneAllocation: a long list is written as
// encoding/json writes it, into a buffer grown once, with room for the
// closing brace and newline the web layer adds (growing by appending
// copied a 13,000-invoice answer about twice over).
func TestListingAppendsItsAnswerInOneAllocation(t *testing.T) {
	var items []*model.Invoice
	for i := range 2000 {
		items = append(items, &model.Invoice{ID: int64(i + 1), AccountID: 1, Number: "F-" + strconv.Itoa(i), AmountCents: 100, Currency: "EUR", Status: "unpaid"})
	}
	l, err := encoded(items, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(items)
	if got := l.AppendJSON([]byte("x")); !bytes.Equal(got[1:], want) {
		t.Fatalf("AppendJSON differs from encoding/json")
	}
	if n := testing.AllocsPerRun(5, func() {
		b := l.AppendJSON([]byte(`{"items":`))
		_ = append(b, '}', '\n')
	}); n != 1 {
		t.Errorf("AppendJSON of %d invoices, closed by the caller: %v allocations, want 1", len(items), n)
	}
}

// WriteJSON writes what AppendJSON appends, and JSONLen is its length,
// for a list, one item and none.
func TestListingWritesWhatItAppends(t *testing.T) {
	for _, n := range []int{0, 1, 3000} {
		var items []*model.Invoice
		for i := range n {
			items = append(items, &model.Invoice{ID: int64(i + 1), AccountID: 1, Number: "F-" + strconv.Itoa(i), AmountCents: 100, Currency: "EUR", Status: "unpaid"})
		}
		l, err := encoded(items, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		w := bufio.NewWriterSize(&out, 512)
		if err := l.WriteJSON(w); err != nil || w.Flush() != nil {
			t.Fatal(err)
		}
		want := l.AppendJSON(nil)
		if !bytes.Equal(out.Bytes(), want) || l.JSONLen() != len(want) {
			t.Errorf("%d items: WriteJSON wrote %d bytes, AppendJSON %d, JSONLen says %d", n, out.Len(), len(want), l.JSONLen())
		}
	}
}
