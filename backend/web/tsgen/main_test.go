package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const lib = "../../../frontend/src/lib"

// The frontend's copy must be what the Go types generate today, with no
// part left over, and every part within the frontend's 400 lines.
func TestGeneratedTypesAreCurrent(t *testing.T) {
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(lib, name))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("frontend/src/lib/%s is stale: run `go generate ./backend/web` and commit the result", name)
		}
		if n := strings.Count(string(b), "\n") + 1; n > 400 {
			t.Errorf("%s has %d lines", name, n)
		}
	}
	parts, _ := filepath.Glob(filepath.Join(lib, "api-types", "*"))
	for _, f := range parts {
		rel, _ := filepath.Rel(lib, f)
		if _, ok := want[rel]; !ok {
			t.Errorf("frontend/src/lib/%s is not generated any more: run `go generate ./backend/web`", rel)
		}
	}
	if _, ok := want["api-types.ts"]; !ok || len(want) < 3 {
		t.Fatalf("generated %d files, want the index and at least two parts", len(want))
	}
}
