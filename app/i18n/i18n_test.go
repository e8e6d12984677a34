package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"twofold/shared/api"
)

// usedKeys returns the literal keys of every i18n.T("key") (and
// setTitle(ctx, "key")) in the app, with where each is used.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	used := map[string]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
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
			arg := 0
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr: // i18n.T("key", ...)
				if pkg, ok := fn.X.(*ast.Ident); !ok || pkg.Name != "i18n" || fn.Sel.Name != "T" {
					return true
				}
			case *ast.Ident: // setTitle(ctx, "key"), cardCell("key") in package console
				switch {
				case fn.Name == "setTitle" && len(call.Args) >= 2:
					arg = 1
				case fn.Name == "cardCell" && len(call.Args) == 1:
				default:
					return true
				}
			default:
				return true
			}
			lit, ok := call.Args[arg].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true // a built key: see builtKeys
			}
			key, _ := strconv.Unquote(lit.Value)
			used[key] = fset.Position(lit.Pos()).String()
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 100 {
		t.Fatalf("found %d keys only: is the walk looking at the app?", len(used))
	}
	return used
}

// builtKeys are the keys the app builds instead of writing them: API
// error codes (form.ErrorText), validator rules (form.RuleText) and event
// types (the audit page's eventTypeName).
var builtKeys = []string{"error.", "rule.", "audit.type."}

// Every i18n.T("literal") in the app has a text in every language.
func TestEveryKeyUsedExists(t *testing.T) {
	for key, where := range usedKeys(t) {
		for _, lang := range Languages {
			if _, ok := catalogs[lang][key]; !ok {
				t.Errorf("%s: key %q has no %s text", where, key, lang)
			}
		}
	}
}

// No catalog holds a key that nothing uses (except the built ones).
func TestNoUnusedKeys(t *testing.T) {
	used := usedKeys(t)
	for key := range english {
		if _, ok := used[key]; ok || slices.ContainsFunc(builtKeys, func(p string) bool { return strings.HasPrefix(key, p) }) {
			continue
		}
		t.Errorf("key %q is in the catalogs but used nowhere", key)
	}
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// Every language has exactly the English keys, with the same placeholders,
// and a text of its own (not the English one left in place, except for
// names, codes and numbers that read the same).
func TestCatalogsComplete(t *testing.T) {
	same := map[string]bool{
		"app.name": true, "tfa.badge": true, "time.seconds_short": true,
		"emailcode.code.placeholder": true, "totp.enrol.code.placeholder": true,
		"verify.backup_only.code.placeholder": true,
	}
	for _, lang := range Languages {
		if lang == English {
			continue
		}
		c := catalogs[lang]
		for key, en := range english {
			text, ok := c[key]
			if !ok {
				t.Errorf("%s: key %q is missing (English: %q)", lang, key, en)
				continue
			}
			if strings.TrimSpace(text) == "" {
				t.Errorf("%s: key %q is empty", lang, key)
			}
			if text == en && !same[key] {
				t.Errorf("%s: key %q is still the English text %q", lang, key, en)
			}
			want, got := placeholder.FindAllString(en, -1), placeholder.FindAllString(text, -1)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("%s: key %q has placeholders %v, English has %v", lang, key, got, want)
			}
		}
		for key := range c {
			if _, ok := english[key]; !ok {
				t.Errorf("%s: key %q is not in the English catalog", lang, key)
			}
		}
	}
}

func TestPlaceholders(t *testing.T) {
	defer SetLanguage(English)
	if got := T("error.rate_limited.seconds", "seconds", "30"); got != "Too many attempts. Try again in 30 seconds." {
		t.Errorf("got %q", got)
	}
	if got := T("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: got %q", got)
	}
	if SetLanguage("xx") {
		t.Error("a language without a catalog was accepted")
	}
	if !SetLanguage("FR") || Lang() != French {
		t.Fatalf("French: got %q", Lang())
	}
	if got := T("error.rate_limited.seconds", "seconds", "30"); got != "Trop de tentatives. Réessayez dans 30\u00a0secondes." {
		t.Errorf("French: got %q", got)
	}
}

// A key French lacks shows the English text and is reported.
func TestFallbackIsReported(t *testing.T) {
	defer SetLanguage(English)
	defer OnMissing(nil)
	var missing []string
	OnMissing(func(lang, key string) { missing = append(missing, lang+":"+key) })
	english["test.only"] = "English only"
	defer delete(english, "test.only")
	SetLanguage(French)
	if got := T("test.only"); got != "English only" {
		t.Errorf("fallback: got %q", got)
	}
	T("signin.title")
	if !slices.Equal(missing, []string{"fr:test.only"}) {
		t.Errorf("reported: %v, want [fr:test.only]", missing)
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		tags []string
		want string
	}{
		{[]string{"fr-FR", "fr", "en-US"}, "fr"},
		{[]string{"de-DE", "en-GB"}, "en"},
		{[]string{"FR-ca"}, "fr"},
		{[]string{"de", "es"}, ""},
		{nil, ""},
	} {
		if got := Match(tt.tags); got != tt.want {
			t.Errorf("Match(%q): got %q, want %q", tt.tags, got, tt.want)
		}
	}
}

// TestEveryLanguageHasACatalog checks the catalogs against the one list of
// languages (api.Languages) that the server follows too.
func TestEveryLanguageHasACatalog(t *testing.T) {
	if len(catalogs) != len(api.Languages) {
		t.Errorf("%d catalogs for %d languages %v", len(catalogs), len(api.Languages), api.Languages)
	}
	for _, l := range api.Languages {
		if _, ok := catalogs[l]; !ok {
			t.Errorf("language %q has no catalog", l)
		}
	}
	if _, ok := catalogs[api.DefaultLanguage]; !ok || lang != api.DefaultLanguage {
		t.Errorf("default language %q: catalog %v, in use %q", api.DefaultLanguage, ok, lang)
	}
}
