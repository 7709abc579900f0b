package main

import (
	"context"
	"testing"

	"grantbook/backend/core"
)

// The generated CSV imports cleanly into a fresh store: a change to the
// import's columns fails here, not in a benchmark run (a header of 14
// columns above rows of 12 once made every import fail).
func TestGeneratedCSVImports(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	app, acc := fresh(t.TempDir())
	defer app.Close()
	p, err := app.ImportContacts(context.Background(), acc, generate(500))
	if err != nil || p.State != core.ImportDone || p.Imported != 500 {
		t.Fatalf("import: %v, %s, %d imported, errors %v", err, p.State, p.Imported, p.Errors)
	}
}
