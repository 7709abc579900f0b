package core

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"grantbook/backend/model"
	"grantbook/backend/store"
)

// Backup writes a consistent copy of the database to dest (a new file).
func (a *App) Backup(ctx context.Context, dest string) error {
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
	if err := a.store.BackupTo(ctx, file); err != nil {
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

// RestoreResult tells what a restore did.
type RestoreResult struct {
	Contacts   int    `json:"contacts"`
	SafetyCopy string `json:"safety_copy"`
}

// Restore replaces the data with a backup file after checking it: it must
// be a SQLite database that passes integrity_check and holds a Grantbook
// schema this build knows (older ones are migrated). The current data is
// first saved next to the database as a safety copy.
func (a *App) Restore(ctx context.Context, src io.Reader) (*RestoreResult, error) {
	dataDir := a.dataDir
	dir, err := os.MkdirTemp(dataDir, "restore-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	candidate := filepath.Join(dir, "candidate.db")
	f, err := os.Create(candidate)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 16)
	n, _ := io.ReadFull(src, head)
	if string(head[:n]) != "SQLite format 3\x00" {
		f.Close()
		return nil, invalid("file", "this file is not a Grantbook backup (not a SQLite database)")
	}
	f.Write(head)
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("read backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	contacts, err := checkBackup(ctx, candidate)
	if err != nil {
		return nil, err
	}
	backups := filepath.Join(dataDir, "backups")
	if err := os.MkdirAll(backups, 0o700); err != nil {
		return nil, err
	}
	safety := filepath.Join(backups, "before-restore-"+a.now().UTC().Format("20060102-150405")+".db")
	for i := 2; fileExists(safety); i++ { // two restores within a second
		safety = filepath.Join(backups, fmt.Sprintf("before-restore-%s-%d.db", a.now().UTC().Format("20060102-150405"), i))
	}
	if err := a.store.BackupTo(ctx, safety); err != nil {
		return nil, fmt.Errorf("safety copy: %w", err)
	}
	if err := a.store.RestoreFrom(ctx, candidate); err != nil {
		return nil, fmt.Errorf("restore: %w (the previous data is in %s)", err, safety)
	}
	err = a.change(ctx, func(tx *store.Tx, e *model.AuditEntry) error {
		e.Action, e.Entity, e.Summary = "backup.restore", "database", fmt.Sprintf("Restored a backup with %d contacts; the previous data is in %s", contacts, safety)
		return nil
	})
	a.afterInvitationChange()
	return &RestoreResult{Contacts: contacts, SafetyCopy: safety}, err
}

// checkBackup opens a candidate (migrating an older schema forward) and
// runs the integrity check.
func checkBackup(ctx context.Context, file string) (int, error) {
	s, err := store.Open(ctx, file)
	if err != nil {
		return 0, invalid("file", "this backup cannot be used: %v", err)
	}
	defer s.Close()
	problems, err := s.IntegrityCheck(ctx)
	if err != nil {
		return 0, invalid("file", "this backup cannot be checked: %v", err)
	}
	if len(problems) > 0 {
		return 0, invalid("file", "this backup is damaged: %s", problems[0])
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM contacts`).Scan(&n); err != nil {
		return 0, invalid("file", "this is not a Grantbook backup: %v", err)
	}
	// Checkpoint so the candidate file alone holds everything.
	s.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return n, nil
}

// IntegrityCheck checks the live database.
func (a *App) IntegrityCheck(ctx context.Context) ([]string, error) {
	return a.store.IntegrityCheck(ctx)
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
