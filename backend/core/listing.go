package core

import (
	"bufio"
	"encoding/json"
	"slices"
)

// A Listing is a client-area list as it answers: the items, and each
// one's JSON, made once when the account's list was loaded (cached lists
// never change), so an answer does not encode its items again: encoding
// them was most of a client-area GET.
type Listing[T any] struct {
	Items []T
	json  [][]byte
}

// AppendJSON appends the items as a JSON array, as encoding/json writes
// them.
func (l Listing[T]) AppendJSON(b []byte) []byte {
	// Grown once to the answer's length: growing by appending copied and
	// zeroed a 13,000-invoice answer (~5 MB) about twice over, the most of
	// a client-area GET's CPU and garbage (docs/benchmarks.md, wave 9).
	b = slices.Grow(b, l.JSONLen()+16) // and room for what a caller closes it with
	b = append(b, '[')
	for i, j := range l.json {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, j...)
	}
	return append(b, ']')
}

// JSONLen is the length of the array AppendJSON appends.
func (l Listing[T]) JSONLen() int {
	n := 2 + max(len(l.json)-1, 0)
	for _, j := range l.json {
		n += len(j)
	}
	return n
}

// WriteJSON writes the array AppendJSON appends to w, a piece at a time:
// a long list (13,000 invoices, about 5 MB) is never held whole, which
// made each such GET allocate, copy and collect its whole answer.
func (l Listing[T]) WriteJSON(w *bufio.Writer) error {
	w.WriteByte('[')
	for i, j := range l.json {
		if i > 0 {
			w.WriteByte(',')
		}
		w.Write(j)
	}
	return w.WriteByte(']')
}

// MarshalJSON is AppendJSON for any other encoder.
func (l Listing[T]) MarshalJSON() ([]byte, error) { return l.AppendJSON(nil), nil }

// filter is the items keep keeps; l itself when it keeps them all (the
// usual case: nothing is copied).
func (l Listing[T]) filter(keep func(T) bool) Listing[T] {
	var out *Listing[T] // made at the first item left out
	for i, it := range l.Items {
		switch ok := keep(it); {
		case !ok && out == nil:
			out = &Listing[T]{Items: append(make([]T, 0, len(l.Items)), l.Items[:i]...),
				json: append(make([][]byte, 0, len(l.Items)), l.json[:i]...)}
		case ok && out != nil:
			out.Items, out.json = append(out.Items, it), append(out.json, l.json[i])
		}
	}
	if out == nil {
		return l
	}
	return *out
}

// encoded is items with their JSON.
func encoded[T any](items []T, err error) (Listing[T], error) {
	if err != nil {
		return Listing[T]{}, err
	}
	if items == nil {
		items = []T{}
	}
	l := Listing[T]{Items: items, json: make([][]byte, len(items))}
	for i, it := range items {
		if l.json[i], err = json.Marshal(it); err != nil {
			return Listing[T]{}, err
		}
	}
	return l, nil
}
