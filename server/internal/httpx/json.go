package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"twofold/shared/api"
	"twofold/shared/validate"
)

// MaxBody is the largest request body accepted (API.md: over 64 KiB → 413).
const MaxBody = 64 << 10

// Fail returns an API error with its HTTP status.
func Fail(status int, code, message string) *api.Error {
	return &api.Error{Status: status, Code: code, Message: message}
}

// Common errors.
var (
	ErrUnauthorized = func() *api.Error {
		return Fail(http.StatusUnauthorized, api.CodeUnauthorized, "Sign in to continue.")
	}
	ErrNotFound = func() *api.Error {
		return Fail(http.StatusNotFound, api.CodeNotFound, "Not found.")
	}
)

// Decode reads a JSON body into dst as API.md's "Conventions" ask: at most
// MaxBody bytes (413 payload_too_large beyond), one JSON object with no
// trailing data, object member names that match dst's JSON field names
// exactly (no case folding; embedded structs such as api.StepUp
// included), no unknown and no duplicate names, valid UTF-8 and no NUL
// character in any string; anything else is 400 bad_request with a message
// that says what is wrong. The Content-Type is not enforced (curl -d sends
// a form type); cross-site forms are refused earlier by CrossOrigin. With
// optional, an empty body is accepted and leaves dst as it is (API.md:
// requests whose fields are all optional). The error is an *api.Error
// ready to send.
func Decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	return decode(w, r, dst, optional, false)
}

// DecodeTolerant reads a JSON body into dst like Decode, but members that
// dst has no field for are skipped instead of refused, for clients that
// send more than the server reads (the RustDesk client's /api/login). The
// fields dst reads still match only by their exact names, duplicate names
// anywhere are refused, and so are NUL characters, invalid UTF-8, trailing
// data and bodies over MaxBody. An empty body is refused.
func DecodeTolerant(w http.ResponseWriter, r *http.Request, dst any) error {
	return decode(w, r, dst, false, true)
}

func decode(w http.ResponseWriter, r *http.Request, dst any, optional, tolerant bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Fail(http.StatusRequestEntityTooLarge, api.CodePayloadTooLarge,
				"The request body is larger than "+strconv.Itoa(MaxBody/1024)+" KiB.")
		}
		return badRequest("The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return badRequest("The request body is empty; send a JSON object.")
	}
	if err := unmarshal(body, dst, tolerant); err != nil {
		return err
	}
	return nil
}

func badRequest(message string) *api.Error {
	return Fail(http.StatusBadRequest, api.CodeBadRequest, message)
}

// unmarshal decodes body into dst in two passes: a token scan that
// refuses what the grammar allows but API.md does not (duplicate names,
// NUL characters, trailing data; invalid UTF-8 too), then
// go-json-experiment/json (encoding/json/v2, which matches names exactly)
// for the fields.
func unmarshal(body []byte, dst any, tolerant bool) *api.Error {
	if !utf8.Valid(body) {
		return badRequest("The request body is not valid UTF-8.")
	}
	if err := scan(body); err != nil {
		return err
	}
	err := jsonv2.Unmarshal(body, dst,
		jsonv2.RejectUnknownMembers(!tolerant),
		jsonv2.MatchCaseInsensitiveNames(false),
		jsontext.AllowDuplicateNames(false),
		jsontext.AllowInvalidUTF8(false))
	if err == nil {
		return nil
	}
	var sem *jsonv2.SemanticError
	switch {
	case errors.Is(err, jsonv2.ErrUnknownName) && errors.As(err, &sem):
		return badRequest("Unknown field " + fieldName(sem.JSONPointer) + ".")
	case errors.As(err, &sem) && sem.JSONPointer == "":
		return badRequest("The request body must be a JSON object.")
	case errors.As(err, &sem):
		return badRequest("The field " + fieldName(sem.JSONPointer) + " must be " + expected(sem.GoType) + ".")
	}
	return syntaxProblem(err)
}

// scan reads every token of body: one JSON value other than null, no
// duplicate names in any object, no NUL in any string (names included),
// nothing after it.
func scan(body []byte) *api.Error {
	dec := jsontext.NewDecoder(bytes.NewReader(body),
		jsontext.AllowDuplicateNames(false), jsontext.AllowInvalidUTF8(false))
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return syntaxProblem(err)
		}
		if tok.Kind() == '"' && strings.IndexByte(tok.String(), 0) >= 0 {
			if name := fieldName(dec.StackPointer()); name != "" {
				return badRequest("The field " + name + " contains a NUL character.")
			}
			return badRequest("The request body contains a NUL character.")
		}
		if dec.StackDepth() == 0 {
			if tok.Kind() == 'n' {
				// null for the whole body would leave dst as it is, as
				// if it were {}: like any other value that is not an
				// object, it is refused (a null member is still read as
				// a member left out).
				return badRequest("The request body must be a JSON object.")
			}
			break
		}
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return badRequest("The request body has data after the JSON object.")
	}
	return nil
}

func syntaxProblem(err error) *api.Error {
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, jsontext.ErrDuplicateName) && errors.As(err, &syn):
		return badRequest("Duplicate field " + fieldName(syn.JSONPointer) + ".")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The request body is not valid JSON (it ends too early).")
	case errors.As(err, &syn):
		return badRequest("The request body is not valid JSON (at byte " + strconv.FormatInt(syn.ByteOffset, 10) + ").")
	}
	return badRequest("The request body is not valid JSON.")
}

// fieldName names the member at p for a message: its names joined by
// dots ("deviceInfo.name"), quoted, at most 64 characters; "" for the
// whole body.
func fieldName(p jsontext.Pointer) string {
	var parts []string
	for tok := range p.Tokens() {
		parts = append(parts, tok)
	}
	if len(parts) == 0 {
		return ""
	}
	name := strings.Join(parts, ".")
	if utf8.RuneCountInString(name) > 64 {
		name = string([]rune(name)[:64]) + "…"
	}
	return strconv.Quote(name)
}

// expected describes the JSON value that a Go type takes.
func expected(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "of another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number in range"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "of another type"
}

// DecodeValid decodes and validates the body with the shared rules.
func DecodeValid(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	if err := Decode(w, r, dst, optional); err != nil {
		return err
	}
	if p := validate.Struct(dst); !p.Empty() {
		return Invalid(p)
	}
	return nil
}

// Invalid turns validation problems into a validation_failed error.
func Invalid(p *validate.Problems) *api.Error {
	return &api.Error{
		Status:  http.StatusBadRequest,
		Code:    api.CodeValidationFailed,
		Message: "Some fields are not valid.",
		Fields:  p.Fields,
		Rules:   p.Rules,
	}
}

// InvalidField is a validation_failed error on one field.
func InvalidField(field, rule string) *api.Error {
	p := &validate.Problems{}
	p.Add(field, rule, validate.Message(rule))
	return Invalid(p)
}

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"code":"internal","error":"encoding failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// NoContent answers 204.
func NoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }
