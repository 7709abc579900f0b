package web_test

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Error codes are one set of named constants (core.Code*): a literal code
// in core or web would drift from docs/api.md and the frontend's types.
func TestErrorCodesAreNamedConstants(t *testing.T) {
	for _, dir := range []string{".", "../core"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			fset := gotoken.NewFileSet()
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				kv, ok := n.(*ast.KeyValueExpr)
				if !ok {
					return true
				}
				if key, ok := kv.Key.(*ast.Ident); !ok || key.Name != "Code" {
					return true
				}
				if lit, ok := kv.Value.(*ast.BasicLit); ok {
					t.Errorf("%s: error code %s written as a literal: use a core.Code* constant", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
		}
	}
}
