package core

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"grantbook/backend/datalock"
	"grantbook/backend/secret"
	"grantbook/backend/store"
)

// DBFile is the database file's name inside the data directory.
const DBFile = "grantbook.db"

// Open creates the data directory if needed, takes it for this process
// (a *datalock.HeldError when another process has it) and opens the core
// on its database.
func Open(ctx context.Context, dataDir string) (*App, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	lock, err := datalock.Acquire(dataDir)
	if err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, filepath.Join(dataDir, DBFile))
	if err != nil {
		lock.Release()
		return nil, err
	}
	a := New(s, secret.Open(dataDir))
	a.dataDir, a.lock = dataDir, lock
	if err := a.markRunning(ctx); err != nil {
		a.views.close()
		s.Close()
		lock.Release()
		return nil, err
	}
	return a, nil
}

// DataDir is the folder that holds the database and the other files.
func (a *App) DataDir() string { return a.dataDir }

// SetHolder says in the data folder's lock file what this process is doing
// with it ("window", "serve on ADDR"): a second process names it when it
// refuses to start.
func (a *App) SetHolder(mode string) error {
	if a.lock == nil {
		return nil
	}
	return a.lock.SetMode(mode)
}

// Close stops the background work and the running imports and waits for
// them, writes what is queued, closes the database and lets go of the data
// folder. Calling it again does nothing.
func (a *App) Close() error {
	var err error
	a.closed.Do(func() {
		a.stopWork()
		a.marking.stop()
		a.imports.stop()
		a.stopSync()
		err = a.markStopped(context.Background())
		if cerr := a.store.Close(); err == nil {
			err = cerr
		}
		if lerr := a.lock.Release(); err == nil {
			err = lerr
		}
	})
	return err
}
