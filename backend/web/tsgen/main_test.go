package main

import (
	"bytes"
	"os"
	"testing"
)

// The frontend's copy must be what the Go types generate today.
func TestGeneratedTypesAreCurrent(t *testing.T) {
	want, err := generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../frontend/src/lib/api-types.ts")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("frontend/src/lib/api-types.ts is stale: run `go generate ./backend/web` and commit the result")
	}
}
