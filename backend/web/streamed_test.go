package web

import (
	"bufio"
	"bytes"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// chunks is an answer that holds its JSON (an array of numbers), as
// core.Listing does.
type chunks []string

func (c chunks) AppendJSON(b []byte) []byte { return append(b, "["+strings.Join(c, ",")+"]"...) }
func (c chunks) JSONLen() int               { return len(c.AppendJSON(nil)) }
func (c chunks) WriteJSON(w *bufio.Writer) error {
	_, err := w.Write(c.AppendJSON(nil))
	return err
}

// An answer too long to build whole is written a piece at a time with the
// same bytes and headers as a built one, and its exact length.
func TestLongAnswersAreStreamedAsTheyAreBuilt(t *testing.T) {
	for _, n := range []int{10, 40000} {
		var c chunks
		for i := range n {
			c = append(c, strconv.Itoa(i))
		}
		for _, key := range [][]byte{nil, []byte(`"items"`)} {
			got := httptest.NewRecorder()
			writeAppended(got, key, c)
			want := httptest.NewRecorder()
			writeBuilt(want, func(b []byte) []byte {
				if key == nil {
					return c.AppendJSON(b)
				}
				return append(c.AppendJSON(append(append(append(b, '{'), key...), ':')), '}')
			})
			if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) || got.Code != 200 ||
				got.Header().Get("Content-Type") != want.Header().Get("Content-Type") || got.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("%d items, key %q: the answer differs from the built one", n, key)
			}
			if l := got.Header().Get("Content-Length"); n > 10 && l != strconv.Itoa(got.Body.Len()) {
				t.Errorf("%d items, key %q: Content-Length %s for %d bytes", n, key, l, got.Body.Len())
			}
		}
	}
}
