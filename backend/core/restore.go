package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// RestoreResult tells what a restore did. SafetyCopy is relative to the
// data folder.
type RestoreResult struct {
	Contacts   int    `json:"contacts"`
	SafetyCopy string `json:"safety_copy"`
}

// Restore replaces the data with a backup file. The file is never trusted:
// its schema must be exactly the one this build's migrations create for
// its data version (no other table, index, trigger or view), it must pass
// integrity_check, and its rows are copied into a database freshly built
// from the migrations, where every constraint applies, then migrated
// forward. Only then is the current data saved as a safety copy and
// replaced, in one step. One restore runs at a time.
func (a *App) Restore(ctx context.Context, src io.Reader) (*RestoreResult, error) {
	dir, err := os.MkdirTemp(a.dataDir, "restore-")
	if err != nil {
		return nil, fmt.Errorf("restore: staging folder: %w", err)
	}
	defer os.RemoveAll(dir)
	candidate := filepath.Join(dir, "candidate.db")
	if err := stageBackup(src, candidate); err != nil {
		return nil, err
	}
	a.restoreMu.Lock()
	defer a.restoreMu.Unlock()
	fresh, contacts, err := rebuildBackup(ctx, candidate, filepath.Join(dir, "rebuilt.db"))
	if err != nil {
		return nil, err
	}
	defer fresh.Close()
	a.views.flush() // the safety copy keeps the views up to now
	safety, err := a.safetyCopy(ctx)
	if err != nil {
		return nil, err
	}
	// The audit row goes in with the restored data: both or neither.
	err = fresh.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertAudit(ctx, &model.AuditEntry{At: a.now().UTC(), Actor: actor(ctx), Action: "backup.restore", Entity: "database",
			Summary: fmt.Sprintf("Restored a backup with %d contacts; the previous data is in %s", contacts, safety)})
	})
	if err != nil {
		return nil, fmt.Errorf("restore: audit: %w", err)
	}
	if err := a.store.ReplaceWith(ctx, fresh); err != nil {
		return nil, fmt.Errorf("restore: replace the data: %w", err)
	}
	a.area.host.Store(nil) // the backup has its own client area settings
	a.emit(Event{Kind: EventClientArea})
	if err := pruneSafetyCopies(filepath.Join(a.dataDir, safetyDir)); err != nil {
		a.log.Warn("restore: pruning safety copies", "err", err)
	}
	a.afterInvitationChange()
	a.kickSearchIndex()
	return &RestoreResult{Contacts: contacts, SafetyCopy: safety}, nil
}

// stageBackup copies an upload to file, refusing at once what is not SQLite.
func stageBackup(src io.Reader, file string) error {
	head := make([]byte, 16)
	n, _ := io.ReadFull(src, head)
	if string(head[:n]) != "SQLite format 3\x00" {
		return invalid("file", "this file is not a Grantbook backup (not a SQLite database)")
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("restore: stage: %w", err)
	}
	_, err = f.Write(head)
	if err == nil {
		_, err = io.Copy(f, src)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore: read the backup: %w", err)
	}
	return nil
}

// rebuildBackup checks the backup in candidate and builds, in file, the
// database it stands for from this build's migrations and its rows.
func rebuildBackup(ctx context.Context, candidate, file string) (*store.Store, int, error) {
	u, err := store.OpenUntrusted(ctx, candidate)
	if err != nil {
		return nil, 0, damaged(err)
	}
	defer u.Close()
	got, err := u.Schema(ctx)
	if err != nil {
		return nil, 0, damaged(err)
	}
	version, err := backupVersion(ctx, u, got)
	if err != nil {
		return nil, 0, err
	}
	fresh, err := store.Create(ctx, file, version)
	if err != nil {
		return nil, 0, fmt.Errorf("restore: build the new database: %w", err)
	}
	contacts, err := fillFresh(ctx, u, got, fresh)
	if err != nil {
		fresh.Close()
		return nil, 0, err
	}
	return fresh, contacts, nil
}

// fillFresh compares the backup's schema with fresh's (same version),
// checks the file, copies the rows and migrates fresh forward.
func fillFresh(ctx context.Context, u *store.Untrusted, got []store.SchemaObject, fresh *store.Store) (int, error) {
	want, err := fresh.Schema(ctx)
	if err != nil {
		return 0, fmt.Errorf("restore: %w", err)
	}
	if diffs := schemaDiff(want, got); len(diffs) > 0 {
		return 0, invalid("file", "this file is not a backup Grantbook made, or it was changed since: %s", joinFirst(diffs, 3))
	}
	problems, err := u.IntegrityCheck(ctx)
	if err != nil {
		return 0, damaged(err)
	}
	if len(problems) > 0 {
		return 0, invalid("file", "this backup is damaged: %s", problems[0])
	}
	if err := fresh.CopyRows(ctx, u.Q, dataTables(want)); err != nil {
		var ce *store.CopyError
		if errors.As(err, &ce) {
			return 0, invalid("file", "this backup holds data Grantbook cannot accept: %s", ce.Error())
		}
		return 0, fmt.Errorf("restore: copy the rows: %w", err)
	}
	if err := fresh.Migrate(ctx); err != nil {
		if m := store.SQLiteMessage(err); m != "" {
			return 0, invalid("file", "this backup cannot be brought up to date: %s", m)
		}
		return 0, fmt.Errorf("restore: migrate: %w", err)
	}
	var n int
	if err := fresh.DB().QueryRowContext(ctx, `SELECT count(*) FROM contacts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("restore: count contacts: %w", err)
	}
	return n, nil
}

// backupVersion reads the data version a backup was written at.
func backupVersion(ctx context.Context, u *store.Untrusted, got []store.SchemaObject) (int, error) {
	notOurs := invalid("file", "this is not a Grantbook backup: it has no Grantbook data version")
	if !hasMigrationsTable(got) {
		return 0, notOurs
	}
	v, err := u.SchemaVersion(ctx)
	if err != nil {
		return 0, damaged(err)
	}
	steps, err := store.Migrations()
	if err != nil {
		return 0, err
	}
	switch {
	case v <= 0:
		return 0, notOurs
	case v > steps[len(steps)-1].Version:
		return 0, invalid("file", "this backup comes from a newer Grantbook (data version %d; this one reads up to %d): update Grantbook, then restore it", v, steps[len(steps)-1].Version)
	}
	return v, nil
}

// damaged words an error reading the file.
func damaged(err error) error {
	if m := store.SQLiteMessage(err); m != "" {
		return invalid("file", "this backup is damaged or is not a Grantbook backup (%s)", m)
	}
	return invalid("file", "this backup is damaged or is not a Grantbook backup")
}
