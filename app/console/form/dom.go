package form

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// go-app renders by comparing the new tree with the one it rendered last,
// not with the DOM. Where the DOM can hold what the page never rendered
// (text typed or a box ticked between two frames) or go-app does not write
// a value (an empty "value"), these helpers write the DOM directly, after
// the update is rendered.
//
// ctx.Defer runs only while ctx's source element is still mounted: from a
// handler inside something the update removes (a dialog that closes), use
// the context of a component that stays (the page).

// ClearInputs empties the inputs with ids once the update is rendered.
// Setting a field's state back to "" is not enough: go-app drops an empty
// "value" attribute instead of writing it, so the input would keep what
// was typed.
func ClearInputs(ctx app.Context, ids ...string) {
	ctx.Defer(func(app.Context) {
		for _, id := range ids {
			if el := app.Window().GetElementByID(id); el.Truthy() {
				el.Set("value", "")
			}
		}
	})
}

// FocusLater moves the keyboard focus to the element id once the current
// update is rendered.
func FocusLater(ctx app.Context, id string) {
	if id == "" {
		return
	}
	ctx.Defer(func(app.Context) { Focus(id) })
}

// Focus moves the keyboard focus to the element id now, if it exists.
func Focus(id string) bool {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
		return true
	}
	return false
}

// SetChecked sets the checked property of the checkbox id, after the
// update is rendered, to what checked returns then.
func SetChecked(ctx app.Context, id string, checked func() bool) {
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			el.Set("checked", checked())
		}
	})
}

// Early is what a form of the server's pre-rendered page held when the
// WASM took over: go-app replaces the pre-rendered elements with its own,
// so without this what was typed before (or filled in by a password
// manager), the focus and a submit would be lost.
type Early struct {
	// Values are the inputs' values, by id.
	Values map[string]string
	// Focus is the id of the input that had the focus ("" if none), and
	// SelStart, SelEnd its selection (the caret).
	Focus            string
	SelStart, SelEnd int
	// Submitted: the form was submitted before the WASM ran (the page's
	// script kept the submit: see server/internal/webui).
	Submitted bool
}

// TakeEarly reads the pre-rendered form formID, if the page still shows
// it (it carries data-early), with its inputs inputIDs. Call it in OnInit:
// go-app renders the component and replaces the old elements right after.
func TakeEarly(formID string, inputIDs ...string) Early {
	e := Early{Values: map[string]string{}}
	if app.IsServer {
		return e
	}
	win := app.Window()
	f := win.GetElementByID(formID)
	if !f.Truthy() || !f.Call("hasAttribute", "data-early").Bool() {
		return e
	}
	active := win.Get("document").Get("activeElement")
	for _, id := range inputIDs {
		el := win.GetElementByID(id)
		if !el.Truthy() {
			continue
		}
		e.Values[id] = el.Get("value").String()
		if el.Equal(active) {
			e.Focus = id
			if start, end := el.Get("selectionStart"), el.Get("selectionEnd"); start.Type() == app.TypeNumber && end.Type() == app.TypeNumber {
				e.SelStart, e.SelEnd = start.Int(), end.Int()
			}
		}
	}
	if q := win.Get("twofoldQueuedSubmit"); q.Truthy() && q.String() == formID {
		e.Submitted = true
		win.Set("twofoldQueuedSubmit", app.Null())
	}
	return e
}

// Restore gives the focus and the caret back to the input that had them
// in the pre-rendered page. Call it in OnMount.
func (e Early) Restore() {
	if e.Focus == "" {
		return
	}
	el := app.Window().GetElementByID(e.Focus)
	if !el.Truthy() {
		return
	}
	el.Call("focus")
	defer func() { recover() }() // inputs without a selection throw
	el.Call("setSelectionRange", e.SelStart, e.SelEnd)
}
