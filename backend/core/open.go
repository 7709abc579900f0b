package core

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"grantbook/backend/secret"
	"grantbook/backend/store"
)

// DBFile is the database file's name inside the data directory.
const DBFile = "grantbook.db"

// Open creates the data directory if needed and opens the core on its
// database.
func Open(ctx context.Context, dataDir string) (*App, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	s, err := store.Open(ctx, filepath.Join(dataDir, DBFile))
	if err != nil {
		return nil, err
	}
	a := New(s, secret.Open(dataDir))
	a.dataDir = dataDir
	return a, nil
}

// DataDir is the folder that holds the database and the other files.
func (a *App) DataDir() string { return a.dataDir }

// Close closes the database.
func (a *App) Close() error { return a.store.Close() }
