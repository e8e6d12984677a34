package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Button kinds.
const (
	ButtonPrimary   = "primary"
	ButtonSecondary = "secondary"
)

// Button is a button with a busy state: while Busy it is disabled,
// aria-busy, shows a spinner and BusyLabel (Label when empty).
type Button struct {
	ID        string
	Label     string
	BusyLabel string
	// Type is the button type: "submit" (default) or "button".
	Type     string
	Kind     string
	Busy     bool
	Disabled bool
	OnClick  app.EventHandler
}

// UI renders the button.
func (b Button) UI() app.UI {
	typ := b.Type
	if typ == "" {
		typ = "submit"
	}
	kind := b.Kind
	if kind == "" {
		kind = ButtonPrimary
	}
	label := b.Label
	if b.Busy && b.BusyLabel != "" {
		label = b.BusyLabel
	}
	btn := app.Button().ID(b.ID).Type(typ).Class("btn btn-" + kind)
	if b.Busy {
		btn = btn.Aria("busy", true).Disabled(true)
	} else if b.Disabled {
		btn = btn.Disabled(true)
	}
	if b.OnClick != nil {
		btn = btn.OnClick(b.OnClick)
	}
	return btn.Body(
		app.If(b.Busy, func() app.UI {
			return app.Span().Class("spinner").Aria("hidden", true)
		}),
		app.Span().Text(label),
	)
}
