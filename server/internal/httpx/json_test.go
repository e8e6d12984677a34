package httpx_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"twofold/server/internal/httpx"
	"twofold/shared/api"
)

// decodeBody runs httpx.Decode (or DecodeTolerant) on body as a handler
// would, and returns the *api.Error it gave, or nil.
func decodeBody(t *testing.T, body string, dst any, optional, tolerant bool) *api.Error {
	t.Helper()
	r := httptest.NewRequest("POST", "/api/x", strings.NewReader(body))
	w := httptest.NewRecorder()
	var err error
	if tolerant {
		err = httpx.DecodeTolerant(w, r, dst)
	} else {
		err = httpx.Decode(w, r, dst, optional)
	}
	if err == nil {
		return nil
	}
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("decode %q: error %T %v is not an *api.Error", short(body), err, err)
	}
	if ae.Message == "" {
		t.Errorf("decode %q: error without a message: %+v", short(body), ae)
	}
	return ae
}

type decodeCase struct {
	name, body string
	new        func() any
	want       any    // decoded value when accepted
	status     int    // 0: accepted
	message    string // part of the message, when refused
}

// short cuts a body for a failure message.
func short(body string) string {
	if len(body) > 120 {
		return body[:120] + "..."
	}
	return body
}

func runDecodeCases(t *testing.T, tests []decodeCase, tolerant bool) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := tt.new()
			body := short(tt.body)
			ae := decodeBody(t, tt.body, dst, false, tolerant)
			switch {
			case tt.status == 0 && ae != nil:
				t.Fatalf("refused %q: %d %s", body, ae.Status, ae.Message)
			case tt.status == 0:
				if !reflect.DeepEqual(dst, tt.want) {
					t.Fatalf("decoded %q as %.200v, want %.200v", body, dst, tt.want)
				}
			case ae == nil:
				t.Fatalf("accepted %q as %.200v, want %d", body, dst, tt.status)
			default:
				wantCode := api.CodeBadRequest
				if tt.status == http.StatusRequestEntityTooLarge {
					wantCode = api.CodePayloadTooLarge
				}
				if ae.Status != tt.status || ae.Code != wantCode {
					t.Fatalf("refused %q with %d %s, want %d %s", body, ae.Status, ae.Code, tt.status, wantCode)
				}
				if !strings.Contains(ae.Message, tt.message) {
					t.Fatalf("message %q, want it to contain %q", ae.Message, tt.message)
				}
			}
		})
	}
}

func login() any         { return new(api.LoginRequest) }
func accountUpdate() any { return new(api.AccountUpdate) }

func ptr[T any](v T) *T { return &v }

// TestF10JSONKeysExact: names match the fields exactly, duplicates and NUL
// characters are refused, for top-level fields and for the fields of an
// embedded struct (api.StepUp in api.AccountUpdate) alike. Before the fix,
// encoding/json matched names case-insensitively and the last duplicate
// won.
func TestF10JSONKeysExact(t *testing.T) {
	runDecodeCases(t, []decodeCase{
		{name: "exact names", body: `{"username":"alice","password":"pw"}`, new: login,
			want: &api.LoginRequest{Username: "alice", Password: "pw"}},
		{name: "upper-case name", body: `{"USERNAME":"frank","password":"pw"}`, new: login,
			status: 400, message: `Unknown field "USERNAME".`},
		{name: "capitalised name", body: `{"username":"frank","Password":"pw"}`, new: login,
			status: 400, message: `Unknown field "Password".`},
		{name: "Kelvin sign folds to k in Unicode", body: `{"username":"frank","password":"pw","\u212aey":1}`, new: login,
			status: 400, message: `Unknown field`},
		{name: "duplicate name", body: `{"username":"nobody","username":"frank","password":"pw"}`, new: login,
			status: 400, message: `Duplicate field "username".`},
		{name: "duplicate spelled with an escape", body: `{"username":"nobody","\u0075sername":"frank","password":"pw"}`, new: login,
			status: 400, message: `Duplicate field "username".`},
		{name: "case variant of a present name", body: `{"username":"nobody","USERNAME":"frank","password":"pw"}`, new: login,
			status: 400, message: `Unknown field "USERNAME".`},
		{name: "duplicate inside an unknown member", body: `{"username":"a","password":"b","x":{"k":1,"k":2}}`, new: login,
			status: 400, message: `Duplicate field "x.k".`},
		{name: "NUL in a value", body: `{"username":"al\u0000ice","password":"pw"}`, new: login,
			status: 400, message: `The field "username" contains a NUL character.`},
		{name: "NUL in a name", body: `{"user\u0000name":"alice","password":"pw"}`, new: login,
			status: 400, message: `NUL character`},
		{name: "NUL in the password", body: `{"username":"alice","password":"p\u0000w"}`, new: login,
			status: 400, message: `The field "password" contains a NUL character.`},
		{name: "embedded step-up field", body: `{"email":"a@example.com","email_verification":true,"code":"123456"}`, new: accountUpdate,
			want: &api.AccountUpdate{Email: ptr("a@example.com"), EmailVerification: ptr(true), StepUp: api.StepUp{Code: "123456"}}},
		{name: "embedded field upper-case", body: `{"email":"a@example.com","email_verification":true,"CODE":"123456"}`, new: accountUpdate,
			status: 400, message: `Unknown field "CODE".`},
		{name: "embedded field duplicated", body: `{"email":"a@example.com","email_verification":true,"password":"x","password":"y"}`, new: accountUpdate,
			status: 400, message: `Duplicate field "password".`},
		{name: "embedded struct by its Go name", body: `{"email":"a@example.com","email_verification":true,"StepUp":{"code":"1"}}`, new: accountUpdate,
			status: 400, message: `Unknown field "StepUp".`},
		{name: "NUL in an embedded field", body: `{"email":"a@example.com","email_verification":true,"code":"12\u00003456"}`, new: accountUpdate,
			status: 400, message: `The field "code" contains a NUL character.`},
	}, false)
}

// TestDecodeStrict covers the rest of API.md's conventions, which held
// before and must still hold.
func TestDecodeStrict(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	exact := `{"username":"` + strings.Repeat("a", httpx.MaxBody-len(`{"username":"","password":"pw"}`)) + `","password":"pw"}`
	runDecodeCases(t, []decodeCase{
		{name: "white space around", body: " \n{\"username\":\"alice\",\"password\":\"pw\"}\r\n\t", new: login,
			want: &api.LoginRequest{Username: "alice", Password: "pw"}},
		{name: "escaped name", body: `{"us\u0065rname":"alice","password":"pw"}`, new: login,
			want: &api.LoginRequest{Username: "alice", Password: "pw"}},
		{name: "null fields", body: `{"username":null,"password":"pw"}`, new: login,
			want: &api.LoginRequest{Password: "pw"}},
		{name: "null pointer field", body: `{"email":null,"email_verification":false}`, new: accountUpdate,
			want: &api.AccountUpdate{EmailVerification: ptr(false)}},
		{name: "unicode kept", body: `{"username":"Élodie \u2028","password":"日本"}`, new: login,
			want: &api.LoginRequest{Username: "Élodie \u2028", Password: "日本"}},
		{name: "exactly 64 KiB", body: exact, new: login,
			want: &api.LoginRequest{Username: strings.Repeat("a", httpx.MaxBody-len(`{"username":"","password":"pw"}`)), Password: "pw"}},
		{name: "one byte more", body: exact + " ", new: login, status: 413, message: "64 KiB"},
		{name: "unknown field", body: `{"username":"a","password":"b","admin":true}`, new: login,
			status: 400, message: `Unknown field "admin".`},
		{name: "trailing garbage", body: `{"username":"a","password":"b"} x`, new: login,
			status: 400, message: "data after the JSON object"},
		{name: "two objects", body: `{"username":"a","password":"b"}{}`, new: login,
			status: 400, message: "data after the JSON object"},
		{name: "extra brace", body: `{"username":"a","password":"b"}}`, new: login,
			status: 400, message: "data after the JSON object"},
		{name: "cut short", body: `{"username":`, new: login, status: 400, message: "ends too early"},
		{name: "bad syntax", body: `{"username" "a"}`, new: login, status: 400, message: "not valid JSON (at byte"},
		{name: "array", body: `[1,2]`, new: login, status: 400, message: "must be a JSON object"},
		{name: "string", body: `"alice"`, new: login, status: 400, message: "must be a JSON object"},
		{name: "huge number", body: `1e999`, new: login, status: 400, message: "must be a JSON object"},
		{name: "null", body: `null`, new: login, status: 400, message: "must be a JSON object"},
		{name: "null with white space", body: " null\n", new: accountUpdate, status: 400, message: "must be a JSON object"},
		{name: "wrong type", body: `{"username":1,"password":"x"}`, new: login,
			status: 400, message: `The field "username" must be a string.`},
		{name: "wrong type of a flag", body: `{"email":"","email_verification":"yes"}`, new: accountUpdate,
			status: 400, message: `The field "email_verification" must be true or false.`},
		{name: "object for a string", body: `{"username":{"a":1},"password":"x"}`, new: login,
			status: 400, message: `The field "username" must be a string.`},
		{name: "invalid UTF-8", body: "{\"username\":\"\xff\",\"password\":\"x\"}", new: login,
			status: 400, message: "not valid UTF-8"},
		{name: "lone surrogate", body: `{"username":"\ud800","password":"x"}`, new: login,
			status: 400, message: "not valid JSON"},
		{name: "deep nesting", body: deep, new: login, status: 400, message: "not valid JSON"},
		{name: "raw control character", body: "{\"username\":\"a\x01\",\"password\":\"x\"}", new: login,
			status: 400, message: "not valid JSON"},
		{name: "empty body", body: "", new: login, status: 400, message: "empty"},
		{name: "blank body", body: " \n", new: login, status: 400, message: "empty"},
		{name: "long unknown name is cut", body: `{"` + strings.Repeat("x", 1000) + `":1}`, new: login,
			status: 400, message: `Unknown field "` + strings.Repeat("x", 64) + `…".`},
	}, false)

	// Optional bodies: empty is {}.
	var body struct{}
	if ae := decodeBody(t, "", &body, true, false); ae != nil {
		t.Fatalf("empty optional body refused: %v", ae)
	}
	var step api.StepUp
	if ae := decodeBody(t, "", &step, true, false); ae != nil || step != (api.StepUp{}) {
		t.Fatalf("empty optional step-up: %v %+v", ae, step)
	}
	// null is not {}, even where every field is optional.
	if ae := decodeBody(t, "null", &step, true, false); ae == nil || ae.Code != api.CodeBadRequest || !strings.Contains(ae.Message, "must be a JSON object") {
		t.Fatalf("null as an optional step-up: %v", ae)
	}
	if ae := decodeBody(t, `{"x":1}`, &body, true, false); ae == nil || !strings.Contains(ae.Message, `Unknown field "x".`) {
		t.Fatalf("unknown field in an optional body: %v", ae)
	}
}
