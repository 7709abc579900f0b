package hub

import (
	"context"
	"path/filepath"

	"grantbook/backend/changelog"
	"grantbook/backend/store"
)

// KeyDir is where a data dir keeps the device key and the sync files.
func KeyDir(dataDir string) string { return filepath.Join(dataDir, "sync") }

// StartHubSide opens the hub's change log on s and runs its side of sync
// until ctx ends.
func StartHubSide(ctx context.Context, s *store.Store, dataDir string) (*HubSide, error) {
	l, err := changelog.Open(ctx, s, changelog.Hub, KeyDir(dataDir))
	if err != nil {
		return nil, err
	}
	return OpenHub(ctx, dataDir, l)
}

// StartDesktopSide reads the desktop's pairing and, once paired, opens the
// change log on s and syncs until ctx ends.
func StartDesktopSide(ctx context.Context, s *store.Store, dataDir string) (*DesktopSide, error) {
	return OpenDesktop(ctx, dataDir, func(ctx context.Context) (*changelog.Log, error) {
		return changelog.Open(ctx, s, changelog.Owner, KeyDir(dataDir))
	})
}
