package main

import (
	"context"
	"fmt"
	"os"
	"testing"

	"grantbook/backend/core"
)

// The import's CSV imports cleanly into a fresh store with the services
// its rows name: a change to the import's columns fails here, not in a
// benchmark run (a header of 14 columns above rows of 12 once made every
// import fail).
func TestImportCSVImports(t *testing.T) {
	t.Setenv("GRANTBOOK_KEYRING", "off")
	*cacheDir = t.TempDir()
	file, err := csvOf(500)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	app, err := core.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	acc, err := app.CreateAccount(ctx, "Bench Ltd")
	if err != nil {
		t.Fatal(err)
	}
	for i := range servicesPerAcct {
		if _, err := app.CreateService(ctx, acc.ID, core.ServiceInput{Name: fmt.Sprintf("service %d", i+1), Kind: "hosting"}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := app.ImportContacts(ctx, acc.ID, data)
	if err != nil || p.State != core.ImportDone || p.Imported != 500 {
		t.Fatalf("import: %v, %s, %d imported, errors %v", err, p.State, p.Imported, p.Errors)
	}
}
