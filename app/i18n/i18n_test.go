package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Every i18n.T("literal") in the app has an English text.
func TestEveryKeyUsedExists(t *testing.T) {
	root := filepath.Join("..")
	fset := token.NewFileSet()
	used := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "T" {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "i18n" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				return true // a built key: checked below
			}
			key, _ := strconv.Unquote(lit.Value)
			used++
			if !Has(key) {
				t.Errorf("%s: key %q has no English text", fset.Position(lit.Pos()), key)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used < 100 {
		t.Errorf("found %d keys only: is the walk looking at the app?", used)
	}
	// Keys built from API error codes (form.ErrorText).
	for _, code := range []string{"invalid_code", "login_expired", "unauthorized", "enrollment_required"} {
		if !Has("error." + code) {
			t.Errorf("error.%s has no English text", code)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	if got := T("error.rate_limited.seconds", "seconds", "30"); got != "Too many attempts. Try again in 30 seconds." {
		t.Errorf("got %q", got)
	}
	if got := T("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: got %q", got)
	}
	if SetLanguage("xx") {
		t.Error("a language without a catalog was accepted")
	}
}
