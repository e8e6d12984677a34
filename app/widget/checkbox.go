package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Checkbox is a checkbox with its label on the right, an optional hint and
// its error (<ID>-error).
type Checkbox struct {
	ID       string
	Label    string
	Checked  bool
	Disabled bool
	Hint     string
	Error    string
	// OnChange receives every change; read the state with CheckedValue.
	OnChange app.EventHandler
}

// UI renders the checkbox.
func (c Checkbox) UI() app.UI {
	in := app.Input().
		ID(c.ID).
		Type("checkbox").
		Class("checkbox").
		Aria("invalid", c.Error != "").
		Attr("aria-describedby", describedBy(c.ID, c.Hint != "", c.Error != ""))
	// In the browser, always set the checked property: removing the
	// attribute would not uncheck a box the user has clicked. The server's
	// pre-rendering writes checked="false" as checked, so only true there.
	if c.Checked || app.IsClient {
		in = in.Checked(c.Checked)
	}
	if c.Disabled {
		in = in.Disabled(true)
	}
	if c.OnChange != nil {
		in = in.OnChange(c.OnChange)
	}
	cls := "check"
	if c.Disabled {
		cls += " check-disabled"
	}
	return app.Div().Class("field").Body(
		app.Div().Class(cls).Body(
			in,
			app.Label().For(c.ID).Text(c.Label),
		),
		app.If(c.Hint != "", func() app.UI {
			return app.P().ID(HintID(c.ID)).Class("hint hint-check").Text(c.Hint)
		}),
		fieldError(c.ID, c.Error),
	)
}

// CheckedValue returns the state of the checkbox that fired the event.
func CheckedValue(ctx app.Context) bool {
	return ctx.JSSrc().Get("checked").Bool()
}
