package widget

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Field is a labelled text input with an optional hint and its error.
// The error element has the id <ID>-error; while there is an error the
// input is aria-invalid and described by it.
type Field struct {
	ID    string
	Label string
	// Type is the input type: "text" (default), "email", "password"...
	Type         string
	Value        string
	Autocomplete string
	Placeholder  string
	Hint         string
	Error        string
	Required     bool
	Disabled     bool
	// ReadOnly shows a value that cannot be changed here.
	ReadOnly bool
	// InputMode is the keyboard a phone shows ("numeric" for digit-only
	// codes); empty leaves the default.
	InputMode string
	// Pattern is the HTML pattern, for the browser's own hints (forms use
	// noValidate: the console checks with the shared rules).
	Pattern string
	// Code marks an input that takes a code: no spell check, capitals or
	// autocorrection, and a monospaced look.
	Code bool
	// OnInput receives every change; read the value with InputValue.
	OnInput app.EventHandler
}

// ErrorID is the id of a field's error element.
func ErrorID(inputID string) string { return inputID + "-error" }

// HintID is the id of a field's hint element.
func HintID(inputID string) string { return inputID + "-hint" }

// UI renders the field.
func (f Field) UI() app.UI {
	typ := f.Type
	if typ == "" {
		typ = "text"
	}
	// No name attribute: if the server's pre-rendered form were submitted
	// before the WASM takes over, nothing typed would go into the URL.
	in := app.Input().
		ID(f.ID).
		Type(typ).
		Class("input").
		Value(f.Value).
		Attr("autocomplete", f.Autocomplete).
		Placeholder(f.Placeholder).
		Aria("invalid", f.Error != "").
		Attr("aria-describedby", describedBy(f.ID, f.Hint != "", f.Error != ""))
	// Boolean attributes only when true: the server's pre-rendering writes
	// required="false", which HTML reads as required.
	if f.Required {
		in = in.Required(true)
	}
	if f.Disabled {
		in = in.Disabled(true)
	}
	if f.ReadOnly {
		in = in.ReadOnly(true)
	}
	if f.InputMode != "" {
		in = in.Attr("inputmode", f.InputMode)
	}
	if f.Pattern != "" {
		in = in.Pattern(f.Pattern)
	}
	if f.Code {
		in = in.Class("input-code").Spellcheck(false).
			Attr("autocapitalize", "none").Attr("autocorrect", "off")
	}
	if f.OnInput != nil {
		in = in.OnInput(f.OnInput)
	}
	return app.Div().Class("field").Body(
		app.Label().For(f.ID).Class("label").Text(f.Label),
		in,
		app.If(f.Hint != "", func() app.UI {
			return app.P().ID(HintID(f.ID)).Class("hint").Text(f.Hint)
		}),
		fieldError(f.ID, f.Error),
	)
}

// fieldError is the error element of a field. It is always present, empty
// when there is no error, so that a live region exists before its text
// changes and screen readers announce the message.
func fieldError(inputID, msg string) app.UI {
	return app.P().
		ID(ErrorID(inputID)).
		Class("field-error").
		Role("alert").
		Aria("live", "assertive").
		Text(msg)
}

func describedBy(id string, hint, err bool) string {
	var ids []string
	if hint {
		ids = append(ids, HintID(id))
	}
	if err {
		ids = append(ids, ErrorID(id))
	}
	return strings.Join(ids, " ")
}

// InputValue returns the value of the input that fired the event.
func InputValue(ctx app.Context) string {
	return ctx.JSSrc().Get("value").String()
}
