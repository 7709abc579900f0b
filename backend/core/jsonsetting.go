package core

import (
	"context"
	"encoding/json"
	"fmt"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// jsonSetting reads a setting stored as JSON; unset is T's zero value.
func jsonSetting[T any](a *App, ctx context.Context, key, what string) (T, error) {
	var v T
	raw, ok, err := a.store.Setting(ctx, key)
	if err != nil || !ok {
		return v, err
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		var zero T
		return zero, fmt.Errorf("%s are damaged: %w", what, err)
	}
	return v, nil
}

// putJSONSetting saves a checked setting as JSON, audited with its value
// before and after.
func putJSONSetting[T any](a *App, ctx context.Context, key, what, action string, v T) (T, error) {
	before, err := jsonSetting[T](a, ctx, key, what)
	if err != nil {
		return v, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return v, err
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.Summary, e.Before, e.After = action, "settings", "Changed the "+what, before, v
		return tx.PutSetting(ctx, key, string(raw))
	})
	return v, err
}
