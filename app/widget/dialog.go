package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Dialog is a modal dialog: a <dialog> element that ShowModal opens with
// showModal(), so the browser makes the rest of the page inert. Its title
// (<ID>-title) names it; Body is the content, whose last
// ".dialog-actions" row stays visible at the bottom (CSS: sticky).
//
// The dialog handles the keyboard itself: Escape calls OnClose (the owner
// decides: it may ask first), and Tab and Shift+Tab go round its controls
// only, without the stop on the document that the browser adds after the
// last one.
//
// OnClose must stay the same handler for the dialog's life (a method value
// of the component that owns it): go-app keeps the first handler of an
// element, as it compares handlers by their code only.
type Dialog struct {
	ID    string
	Title string
	// DescribedBy is the id of the text that says what the dialog is about.
	DescribedBy string
	// Class adds classes (e.g. "dialog-wide").
	Class string
	// CloseLabel is the accessible name of the × button.
	CloseLabel string
	// OnClose is called by Escape and the × button; the owner then stops
	// rendering the dialog (or keeps it open, e.g. to ask first).
	OnClose app.EventHandler
	Body    []app.UI
}

// TitleID is the id of a dialog's title.
func TitleID(dialogID string) string { return dialogID + "-title" }

// UI renders the dialog (closed until ShowModal opens it).
func (d Dialog) UI() app.UI {
	cls := "dialog"
	if d.Class != "" {
		cls += " " + d.Class
	}
	dlg := app.Dialog().
		ID(d.ID).
		Class(cls).
		Role("dialog").
		Aria("modal", true).
		Aria("labelledby", TitleID(d.ID)).
		Attr("aria-describedby", d.DescribedBy)
	onClose := d.OnClose
	dlg = dlg.On("keydown", func(ctx app.Context, e app.Event) {
		switch e.Get("key").String() {
		case "Escape":
			// Handled here, so the browser's own close request (which it
			// stops honouring when refused twice) never starts.
			e.PreventDefault()
			if onClose != nil && !e.Get("isComposing").Bool() {
				onClose(ctx, e)
			}
		case "Tab":
			trapTab(ctx.JSSrc(), e)
		}
	})
	// Another close request (a phone's back gesture): the owner decides.
	dlg = dlg.On("cancel", func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		if onClose != nil {
			onClose(ctx, e)
		}
	})
	// Should the browser close it anyway, it opens again: the owner still
	// shows it, and what it shows (codes shown once) must not go away.
	dlg = dlg.On("close", func(ctx app.Context, e app.Event) {
		el := ctx.JSSrc()
		if el.Get("isConnected").Bool() && !el.Get("open").Bool() {
			el.Call("showModal")
		}
	})
	return dlg.Body(
		app.Div().Class("dialog-head").Body(
			app.H2().ID(TitleID(d.ID)).Class("dialog-title").TabIndex(-1).Text(d.Title),
			app.If(d.OnClose != nil, func() app.UI {
				return app.Button().ID(d.ID+"-close").Type("button").Class("dialog-close").
					Aria("label", d.CloseLabel).OnClick(d.OnClose).Body(
					app.Span().Aria("hidden", true).Text("×"),
				)
			}),
		),
		app.Div().Class("dialog-body").Body(d.Body...),
	)
}

// focusable selects the controls Tab can reach.
const focusable = `a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ` +
	`select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])`

// trapTab keeps Tab inside the dialog: from its last control (or from
// outside its controls: the title) Tab goes to the first one, and
// Shift+Tab from the first one to the last.
func trapTab(dlg app.Value, e app.Event) {
	list := dlg.Call("querySelectorAll", focusable)
	var items []app.Value
	for i := 0; i < list.Length(); i++ {
		el := list.Index(i)
		if el.Get("hidden").Bool() || el.Call("getClientRects").Length() == 0 {
			continue
		}
		items = append(items, el)
	}
	if len(items) == 0 {
		e.PreventDefault()
		return
	}
	active := app.Window().Get("document").Get("activeElement")
	first, last := items[0], items[len(items)-1]
	index := -1
	for i, el := range items {
		if el.Equal(active) {
			index = i
		}
	}
	switch {
	case e.Get("shiftKey").Bool() && index <= 0:
		e.PreventDefault()
		last.Call("focus")
	case !e.Get("shiftKey").Bool() && (index == len(items)-1 || index < 0):
		e.PreventDefault()
		first.Call("focus")
	}
}

// ShowModal opens the dialog id as a modal once the current update is
// rendered, and moves the focus to focusID (the dialog's title when
// empty), so the keyboard and screen readers start inside it.
func ShowModal(ctx app.Context, id, focusID string) {
	ctx.Defer(func(app.Context) {
		dlg := app.Window().GetElementByID(id)
		if !dlg.Truthy() {
			return
		}
		if !dlg.Get("open").Bool() {
			dlg.Call("showModal")
		}
		if focusID == "" {
			focusID = TitleID(id)
		}
		if el := app.Window().GetElementByID(focusID); el.Truthy() {
			el.Call("focus")
		}
	})
}
