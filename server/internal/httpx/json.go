package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

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

// Decode reads a JSON body into dst: at most MaxBody bytes, no unknown
// fields, no trailing data. The Content-Type is not enforced (curl -d
// sends a form type); cross-site forms are refused earlier by CrossOrigin. With optional, an empty body is accepted and
// leaves dst as it is (API.md: requests whose fields are all optional).
// The error is an *api.Error ready to send.
func Decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Fail(http.StatusRequestEntityTooLarge, api.CodePayloadTooLarge,
				"The request body is larger than "+strconv.Itoa(MaxBody/1024)+" KiB.")
		}
		return Fail(http.StatusBadRequest, api.CodeBadRequest, "The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return Fail(http.StatusBadRequest, api.CodeBadRequest, "The request body is empty; send a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return Fail(http.StatusBadRequest, api.CodeBadRequest, decodeMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return Fail(http.StatusBadRequest, api.CodeBadRequest, "The request body has data after the JSON object.")
	}
	return nil
}

func decodeMessage(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "The request body is not valid JSON (at byte " + strconv.FormatInt(syn.Offset, 10) + ")."
	case errors.As(err, &typ):
		if typ.Field != "" {
			return "The field \"" + typ.Field + "\" has the wrong type; expected " + typ.Type.String() + "."
		}
		return "The request body must be a JSON object."
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "The request body is not valid JSON (it ends too early)."
	}
	msg := err.Error()
	const unknown = "json: unknown field "
	if len(msg) > len(unknown) && msg[:len(unknown)] == unknown {
		return "Unknown field " + msg[len(unknown):] + "."
	}
	return "The request body is not valid JSON."
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
