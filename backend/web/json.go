package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"grantbook/backend/core"
)

// reply writes v with status, or the error in the API's error shape.
func (a *API) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err == nil {
		writeJSON(w, status, v)
		return
	}
	if e, ok := core.AsError(err); ok {
		writeError(w, statusOf(e.Code), e)
		return
	}
	a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, &core.Error{Code: core.CodeInternal, Message: "something went wrong; nothing was changed (details are in the log)"})
}

// statusOf is the HTTP status of an error code.
func statusOf(code string) int {
	switch code {
	case core.CodeNotFound:
		return http.StatusNotFound
	case core.CodeConflict, core.CodeChooseAccount:
		return http.StatusConflict
	case core.CodeBadJSON, core.CodeBadRequest:
		return http.StatusBadRequest
	case core.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case core.CodeUnauthorized:
		return http.StatusUnauthorized
	case core.CodeForbidden, core.CodeCSRF, core.CodeSecondFactor, core.CodeSecondFactorSetup:
		return http.StatusForbidden
	case core.CodeRateLimited:
		return http.StatusTooManyRequests
	case core.CodeLocked:
		return http.StatusLocked
	case core.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case core.CodeMisdirected:
		return http.StatusMisdirectedRequest
	case core.CodeInternal:
		return http.StatusInternalServerError
	}
	return http.StatusUnprocessableEntity
}

// Shared header values of every JSON answer (see securityHeaders).
var (
	jsonType = []string{"application/json; charset=utf-8"}
	noStore  = []string{"no-store"}
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"], h["Cache-Control"] = jsonType, noStore
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// jsonAppender is an answer that holds its JSON already (core.Listing).
type jsonAppender interface{ AppendJSON([]byte) []byte }

var answers = sync.Pool{New: func() any { return new([]byte) }}

// jsonStreamer is an answer that can also write its JSON a piece at a
// time, and knows its length (core.Listing).
type jsonStreamer interface {
	JSONLen() int
	WriteJSON(*bufio.Writer) error
}

// streamAbove is the length beyond which an answer is written a piece at a
// time instead of built whole in one buffer.
const streamAbove = 64 << 10

var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

// writeAppended writes {key: l} (l alone: key nil) as writeJSON would,
// from l's own JSON.
func writeAppended(w http.ResponseWriter, key []byte, l jsonAppender) {
	if s, ok := l.(jsonStreamer); ok {
		if n := s.JSONLen(); n > streamAbove {
			writeStreamed(w, key, s, n)
			return
		}
	}
	writeBuilt(w, func(b []byte) []byte {
		if key == nil {
			return l.AppendJSON(b)
		}
		b = append(append(append(b, '{'), key...), ':')
		return append(l.AppendJSON(b), '}')
	})
}

// writeStreamed is writeAppended for an answer of n bytes (before key and
// newline) written a piece at a time, with its length.
func writeStreamed(w http.ResponseWriter, key []byte, s jsonStreamer, n int) {
	if key != nil {
		n += len(key) + 3 // {key:...}
	}
	h := w.Header()
	h["Content-Type"], h["Cache-Control"] = jsonType, noStore
	h["Content-Length"] = []string{strconv.Itoa(n + 1)}
	w.WriteHeader(http.StatusOK)
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	if key != nil {
		bw.WriteByte('{')
		bw.Write(key)
		bw.WriteByte(':')
	}
	s.WriteJSON(bw)
	if key != nil {
		bw.WriteByte('}')
	}
	bw.WriteByte('\n')
	bw.Flush()
	bw.Reset(nil)
	writers.Put(bw)
}

// writeBuilt writes the JSON value build appends as writeJSON would, with
// status 200 and no encoder. An answer longer than net/http buffers gets
// its length (it is not chunked); net/http gives the others theirs.
func writeBuilt(w http.ResponseWriter, build func([]byte) []byte) {
	buf := answers.Get().(*[]byte)
	b := append(build((*buf)[:0]), '\n')
	h := w.Header()
	h["Content-Type"], h["Cache-Control"] = jsonType, noStore
	if len(b) > 2048 {
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	if cap(b) <= 1<<16 {
		*buf = b
		answers.Put(buf)
	}
}

func writeError(w http.ResponseWriter, status int, e *core.Error) {
	writeJSON(w, status, map[string]any{"error": e})
}

// decode reads one JSON object into v, refusing unknown fields, trailing
// data and oversized bodies. It answers the error itself and reports false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return true
	}
	if e, ok := core.AsError(err); ok {
		writeError(w, statusOf(e.Code), e)
		return false
	}
	writeError(w, http.StatusBadRequest, &core.Error{Code: core.CodeBadJSON, Message: jsonMessage(err)})
	return false
}

func jsonMessage(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return "request body is empty; send a JSON object"
	case errors.As(err, &syn):
		return fmt.Sprintf("request body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s", typ.Field, typ.Type.String())
	case errors.As(err, &big):
		return "request body is too large"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "request body is not valid JSON: " + err.Error()
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, &core.Error{Code: core.CodeNotFound, Message: "no such id: " + r.PathValue("id")})
		return 0, false
	}
	return id, true
}

// paging reads limit and offset; core applies defaults and bounds.
func paging(w http.ResponseWriter, q url.Values) (limit, offset int, ok bool) {
	lim, ok := queryInt(w, q.Get("limit"), "limit")
	if !ok {
		return 0, 0, false
	}
	off, ok := queryInt(w, q.Get("offset"), "offset")
	return int(lim), int(off), ok
}

// query is a request's raw query read as url.Values reads it, without
// building the map (a check's four parameters then cost no allocation);
// a long query is left to url.ParseQuery and its limits.
type query string

func (q query) Get(key string) string {
	s := string(q)
	if len(s) > 2048 {
		v, _ := url.ParseQuery(s)
		return v.Get(key)
	}
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if kv == "" || strings.Contains(kv, ";") {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if k != key && strings.IndexByte(k, '%') < 0 && strings.IndexByte(k, '+') < 0 {
			continue // another key, as it stands
		}
		k, err := url.QueryUnescape(k)
		if err != nil || k != key {
			continue
		}
		if v, err = url.QueryUnescape(v); err == nil {
			return v
		}
	}
	return ""
}

// queryInt parses an optional non-negative integer parameter ("" is 0).
func queryInt(w http.ResponseWriter, s, name string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		writeError(w, http.StatusUnprocessableEntity, &core.Error{Code: core.CodeInvalid, Field: name, Message: name + " must be a non-negative whole number"})
		return 0, false
	}
	return n, true
}
