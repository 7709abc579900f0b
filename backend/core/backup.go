package core

import (
	"context"
	"io"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to dest (a new file).
func (a *App) Backup(ctx context.Context, dest string) error {
	a.views.flush()
	return a.store.BackupTo(ctx, dest)
}

// BackupStream streams a consistent copy of the database to w.
func (a *App) BackupStream(ctx context.Context, w io.Writer) error {
	dir, err := os.MkdirTemp("", "grantbook-backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "grantbook.db")
	if err := a.Backup(ctx, file); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// IntegrityCheck checks the live database.
func (a *App) IntegrityCheck(ctx context.Context) ([]string, error) {
	return a.store.IntegrityCheck(ctx)
}
