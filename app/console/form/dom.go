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
