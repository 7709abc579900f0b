package web

import (
	"context"
	"encoding/json"
	"net/http"

	"grantbook/backend/core"
)

// The adapters below turn core operations into handlers, so each route is
// one line: parse the id and the body, call, reply. key, when not empty,
// wraps the result in an object ({"services": [...]}).

func wrap(key string, v any) any {
	if key == "" {
		return v
	}
	return map[string]any{key: v}
}

// plain serves f(ctx).
func plain[R any](a *API, key string, f func(context.Context) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r.Context())
		a.reply(w, r, http.StatusOK, wrap(key, v), err)
	}
}

// with serves f(ctx, body).
func with[T, R any](a *API, status int, f func(context.Context, T) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in T
		if !decode(w, r, &in) {
			return
		}
		v, err := f(r.Context(), in)
		a.reply(w, r, status, v, err)
	}
}

// byID serves f(ctx, {id}).
func byID[R any](a *API, status int, key string, f func(context.Context, int64) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		v, err := f(r.Context(), id)
		a.reply(w, r, status, wrap(key, v), err)
	}
}

// byIDWith serves f(ctx, {id}, body).
func byIDWith[T, R any](a *API, status int, f func(context.Context, int64, T) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		var in T
		if !decode(w, r, &in) {
			return
		}
		v, err := f(r.Context(), id, in)
		a.reply(w, r, status, v, err)
	}
}

// asContact serves f(ctx, the signed-in contact).
func asContact[R any](a *API, key string, f func(context.Context, *core.Principal) (R, error)) http.HandlerFunc {
	open, _ := json.Marshal(key) // {"key": as encoding/json writes a map's key
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r.Context(), principal(r))
		if l, ok := any(v).(jsonAppender); ok && err == nil && key != "" {
			writeAppended(w, open, l)
			return
		}
		a.reply(w, r, http.StatusOK, wrap(key, v), err)
	}
}

// asContactWith serves f(ctx, the signed-in contact, body).
func asContactWith[T, R any](a *API, status int, f func(context.Context, *core.Principal, T) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in T
		if !decode(w, r, &in) {
			return
		}
		v, err := f(r.Context(), principal(r), in)
		a.reply(w, r, status, v, err)
	}
}

// asContactByID serves f(ctx, the signed-in contact, {id}).
func asContactByID[R any](a *API, f func(context.Context, *core.Principal, int64) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		v, err := f(r.Context(), principal(r), id)
		a.reply(w, r, http.StatusOK, v, err)
	}
}
