package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Alert kinds.
const (
	AlertError   = "error"
	AlertInfo    = "info"
	AlertSuccess = "success"
)

// Alert is a banner at the top of a form or a page. Errors are role=alert
// (announced at once); info and success are role=status (announced
// politely). It can take the focus (tabindex -1) so a page can move focus
// to an error that belongs to no field.
type Alert struct {
	ID   string
	Kind string
	Text string
}

// UI renders the alert, or nothing when Text is empty.
func (a Alert) UI() app.UI {
	if a.Text == "" {
		return app.Text("")
	}
	kind := a.Kind
	if kind == "" {
		kind = AlertError
	}
	role := "status"
	if kind == AlertError {
		role = "alert"
	}
	return app.Div().
		ID(a.ID).
		Class("alert alert-" + kind).
		Role(role).
		TabIndex(-1).
		Text(a.Text)
}
