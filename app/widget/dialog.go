package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Dialog is a modal dialog: a <dialog> element that ShowModal opens with
// showModal(), so the browser keeps the focus inside it, makes the rest of
// the page inert and turns Escape into a "cancel" event, which calls
// OnClose. Its title (<ID>-title) names it; Body is the content.
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
	// rendering the dialog.
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
	if d.OnClose != nil {
		// preventDefault keeps the element open: the owner removes it, so
		// go-app's tree and the page agree.
		onClose := d.OnClose
		dlg = dlg.On("cancel", func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			onClose(ctx, e)
		})
	}
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
