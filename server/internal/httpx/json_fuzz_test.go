package httpx_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/go-json-experiment/json/jsontext"

	"twofold/shared/api"
)

// requestTypes are the request bodies of the API, by the name they have in
// the handlers' code (TestFuzzCoversEveryRequestType keeps the list whole).
var requestTypes = []struct {
	name     string
	new      func() any
	optional bool // sent with an empty body too
}{
	{"LoginRequest", func() any { return new(api.LoginRequest) }, false},
	{"CodeRequest", func() any { return new(api.CodeRequest) }, false},
	{"StepUp", func() any { return new(api.StepUp) }, true},
	{"AccountUpdate", func() any { return new(api.AccountUpdate) }, false},
	{"PasswordChange", func() any { return new(api.PasswordChange) }, false},
	{"AdminUserCreate", func() any { return new(api.AdminUserCreate) }, false},
	{"AdminUserPatch", func() any { return new(api.AdminUserPatch) }, false},
	{"AdminAction", func() any { return new(api.AdminAction) }, true},
	{"PasswordResetRequest", func() any { return new(api.PasswordResetRequest) }, false},
	{"PasswordResetConfirm", func() any { return new(api.PasswordResetConfirm) }, false},
	{"PasskeyRegister", func() any { return new(api.PasskeyRegister) }, false},
	{"PasskeyRename", func() any { return new(api.PasskeyRename) }, false},
	{"PasswordlessUpdate", func() any { return new(api.PasswordlessUpdate) }, false},
	{"PasskeyAssertion", func() any { return new(api.PasskeyAssertion) }, false},
	{"struct{}", func() any { return new(struct{}) }, true},
}

// FuzzDecodeRequests feeds any body to httpx.Decode for every request
// type. Whatever the body, Decode never panics and answers either nothing
// or a 400/413 *api.Error with a message. A body it accepts has only the
// type's exact field names, each once, and no NUL; its value survives a
// round trip (encoded and decoded again, it is the same); and the same body
// with a member repeated, or with a name in another case, is refused.
// DecodeTolerant accepts whatever Decode accepts, with the same value.
func FuzzDecodeRequests(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `1e999`, `{"a":1}`, `{} {}`, `{}}`, `{"`, "\xff",
		`{"username":"alice","password":"Correct-Horse-99!"}`,
		`{"username":"Élodie \u2028","password":"日本語 \ud83d\ude00"}`,
		`{"USERNAME":"frank","Password":"x"}`,
		`{"username":"nobody","username":"frank","password":"x"}`,
		`{"username":"al\u0000ice","password":"x"}`,
		`{"username":"al\u0001ice","password":"x"}`,
		`{"username":null,"password":1}`,
		`{"code":"123456"}`, `{"code":"abcde-fghjk"}`, `{"code":"abcde\nfghjk"}`, `{"code":"1","code":"2"}`, `{"Code":"1"}`,
		`{"password":"x"}`, `{"code":"","password":""}`,
		`{"email":"a@example.com","email_verification":true}`,
		`{"email":null,"email_verification":false,"code":"123456"}`,
		`{"email":"a@example.com","email_verification":true,"CODE":"123456"}`,
		`{"email":"a@example.com","email_verification":"yes"}`,
		`{"email":"a@example.com","email_verification":true,"StepUp":{"code":"1"}}`,
		`{"current_password":"old one","new_password":"a new one","password":"x"}`,
		`{"current_password":"a","current_password":"b","new_password":"c"}`,
		`{"username":"bob","email":"b@example.com","is_admin":true,"reason":"new hire"}`,
		`{"disabled":true,"reason":"left","code":"123456"}`, `{"tfa_enforced":null}`,
		`{"name":"Laptop","code":"123456"}`, `{"enabled":false,"password":"x"}`,
		`{"credential":{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"AQ"}}}`,
		`{"name":"Key","credential":{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}}`,
		`{"credential":{"id":"AQID","rawId":"not base64!","type":"public-key"}}`,
		`{"us\u0065rname":"alice","password":"x"}`,
		`{"\u212aey":1}`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	}
	for i := range requestTypes {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		rt := requestTypes[int(which)%len(requestTypes)]
		dst := rt.new()
		ae := decodeBody(t, body, dst, rt.optional, false)
		if ae != nil {
			if !(ae.Status == http.StatusBadRequest && ae.Code == api.CodeBadRequest) &&
				!(ae.Status == http.StatusRequestEntityTooLarge && ae.Code == api.CodePayloadTooLarge) {
				t.Fatalf("%s: refused %q with %d %s", rt.name, short(body), ae.Status, ae.Code)
			}
			return
		}
		if len(bytes.TrimSpace([]byte(body))) == 0 {
			return // an optional empty body
		}
		names, values := topMembers(t, body)
		fields := jsonFields(reflect.TypeOf(dst).Elem())
		seen := map[string]bool{}
		for _, n := range names {
			if !slices.Contains(fields, n) || seen[n] {
				t.Fatalf("%s: accepted %q with the member %q (fields %q)", rt.name, short(body), n, fields)
			}
			seen[n] = true
		}
		if strings.Contains(strings.ReplaceAll(body, `\\`, ``), `\u0000`) {
			t.Fatalf("%s: accepted a NUL in %q", rt.name, short(body))
		}

		// Round trip.
		enc, err := json.Marshal(dst)
		if err != nil {
			t.Fatalf("%s: encode %+v: %v", rt.name, dst, err)
		}
		again := rt.new()
		if ae := decodeBody(t, string(enc), again, rt.optional, false); ae != nil || !reflect.DeepEqual(dst, again) {
			t.Fatalf("%s: %q decoded as %+v, encoded as %s, decoded again as %+v (%v)", rt.name, short(body), dst, enc, again, ae)
		}

		// Tolerant decoding gives the same.
		tol := rt.new()
		if ae := decodeBody(t, body, tol, false, true); ae != nil || !reflect.DeepEqual(dst, tol) {
			t.Fatalf("%s: tolerant decoding of %q: %+v (%v), strict gave %+v", rt.name, short(body), tol, ae, dst)
		}

		if len(names) == 0 {
			return
		}
		object := func(names, values []string) string {
			var b strings.Builder
			b.WriteByte('{')
			for i := range names {
				if i > 0 {
					b.WriteByte(',')
				}
				q, _ := jsontext.AppendQuote(nil, names[i])
				b.Write(q)
				b.WriteByte(':')
				b.WriteString(values[i])
			}
			b.WriteByte('}')
			return b.String()
		}
		// A repeated member is refused, strict or tolerant.
		dup := object(append([]string{names[0]}, names...), append([]string{values[0]}, values...))
		for _, tolerant := range []bool{false, true} {
			if ae := decodeBody(t, dup, rt.new(), false, tolerant); ae == nil || ae.Code != api.CodeBadRequest {
				t.Fatalf("%s (tolerant %v): accepted a duplicate: %q", rt.name, tolerant, short(dup))
			}
		}
		// A name in another case is refused.
		for i, n := range names {
			other := swapCase(n)
			if other == n {
				continue
			}
			varied := slices.Clone(names)
			varied[i] = other
			v := object(varied, values)
			if ae := decodeBody(t, v, rt.new(), false, false); ae == nil || ae.Code != api.CodeBadRequest {
				t.Fatalf("%s: accepted %q with the name %q for %q", rt.name, short(v), other, n)
			}
		}
	})
}

// topMembers reads the members of the top-level object of body: their
// names and their values as JSON.
func topMembers(t *testing.T, body string) (names, values []string) {
	t.Helper()
	dec := jsontext.NewDecoder(strings.NewReader(body), jsontext.AllowDuplicateNames(true))
	tok, err := dec.ReadToken()
	if err != nil {
		t.Fatalf("read %q: %v", short(body), err)
	}
	if tok.Kind() != '{' {
		return nil, nil // null
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			t.Fatalf("read a name in %q: %v", short(body), err)
		}
		name := tok.String() // before the next read reuses the buffer
		val, err := dec.ReadValue()
		if err != nil {
			t.Fatalf("read a value in %q: %v", short(body), err)
		}
		names = append(names, name)
		values = append(values, string(val))
	}
	return names, values
}

// jsonFields lists the JSON names of a struct's fields, embedded structs
// included.
func jsonFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			names = append(names, jsonFields(f.Type)...)
		case name == "-" || !f.IsExported():
		case name == "":
			names = append(names, f.Name)
		default:
			names = append(names, name)
		}
	}
	return names
}

// swapCase changes the case of every letter of s.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if u := unicode.ToUpper(r); u != r {
			return u
		}
		return unicode.ToLower(r)
	}, s)
}

// TestFuzzCoversEveryRequestType: every body a handler decodes with
// httpx.Decode, DecodeValid or DecodeTolerant into a type of shared/api
// (or an empty struct) is in requestTypes, so FuzzDecodeRequests covers
// it.
func TestFuzzCoversEveryRequestType(t *testing.T) {
	found := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 3 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !slices.Contains([]string{"Decode", "DecodeValid", "DecodeTolerant"}, sel.Sel.Name) {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "httpx" {
				return true
			}
			where := fset.Position(call.Pos()).String()
			name := requestTypeName(file, call)
			switch {
			case name == "":
				t.Errorf("%s: cannot tell the type decoded into; add it to requestTypes and teach this test", where)
			case name != "-":
				found[name] = where
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 4 {
		t.Fatalf("found %d request types only: is the walk looking at the handlers? %v", len(found), found)
	}
	for name, where := range found {
		if !slices.ContainsFunc(requestTypes, func(rt struct {
			name     string
			new      func() any
			optional bool
		}) bool {
			return rt.name == name
		}) {
			t.Errorf("%s decodes an api.%s, which FuzzDecodeRequests does not cover", where, name)
		}
	}
}

// requestTypeName names the type of the &variable passed to a decode
// call, from the latest `var` declaration of that name before the call in
// the same file: an api type's name, "struct{}", "-" for a type of another
// package, or "" when it cannot be told.
func requestTypeName(file *ast.File, call *ast.CallExpr) string {
	u, ok := call.Args[2].(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return ""
	}
	id, ok := u.X.(*ast.Ident)
	if !ok {
		return ""
	}
	var typ ast.Expr
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || spec.Pos() > call.Pos() {
			return n == nil || n.Pos() < call.Pos()
		}
		if slices.ContainsFunc(spec.Names, func(n *ast.Ident) bool { return n.Name == id.Name }) {
			typ = spec.Type
		}
		return true
	})
	switch typ := typ.(type) {
	case *ast.SelectorExpr:
		if pkg, ok := typ.X.(*ast.Ident); ok && pkg.Name == "api" {
			return typ.Sel.Name
		}
		return "-"
	case *ast.StructType:
		if typ.Fields == nil || len(typ.Fields.List) == 0 {
			return "struct{}"
		}
	case *ast.Ident:
		return "-" // a type of the handler's own package
	}
	return ""
}
