package console

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// go-app renders by comparing the new tree with the one it rendered last,
// not with the DOM. Where the DOM can hold what the page never rendered
// (text typed or a box ticked between two frames) or go-app does not write
// a value (an empty "value"), these helpers write the DOM directly, after
// the update is rendered.

// clearInputs empties the inputs with ids once the update is rendered.
// Setting a field's state back to "" is not enough: go-app drops an empty
// "value" attribute instead of writing it, so the input would keep what
// was typed.
func clearInputs(ctx app.Context, ids ...string) {
	ctx.Defer(func(app.Context) {
		for _, id := range ids {
			if el := app.Window().GetElementByID(id); el.Truthy() {
				el.Set("value", "")
			}
		}
	})
}

// focusLater moves the keyboard focus to the element id once the current
// update is rendered.
func focusLater(ctx app.Context, id string) {
	if id == "" {
		return
	}
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			el.Call("focus")
		}
	})
}

// setChecked sets the checked property of the checkbox id, after the
// update is rendered, to what checked returns then.
func setChecked(ctx app.Context, id string, checked func() bool) {
	ctx.Defer(func(app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			el.Set("checked", checked())
		}
	})
}
