package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Button kinds.
const (
	ButtonPrimary   = "primary"
	ButtonSecondary = "secondary"
	// ButtonDanger turns something off (Disable 2FA).
	ButtonDanger = "danger"
	// ButtonAmber is the seed's "Renew 2FA".
	ButtonAmber = "amber"
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
	// Small is a compact button (inside a line of text).
	Small bool
	// Icon adds a decorative icon before the label: "lock".
	Icon    string
	OnClick app.EventHandler
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
	cls := "btn btn-" + kind
	if b.Small {
		cls += " btn-sm"
	}
	btn := app.Button().ID(b.ID).Type(typ).Class(cls)
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
		app.If(!b.Busy && b.Icon != "", func() app.UI {
			return app.Span().Class("icon icon-"+b.Icon).Aria("hidden", true)
		}),
		app.Span().Text(label),
	)
}
