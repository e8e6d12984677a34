package widget

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Alert kinds.
const (
	AlertError   = "error"
	AlertInfo    = "info"
	AlertSuccess = "success"
	// AlertWarning says something limits the page (offline).
	AlertWarning = "warning"
)

// Alert is a banner at the top of a form or a page. Errors are role=alert
// (announced at once); info, success and warning are role=status
// (announced politely). It can take the focus (tabindex -1) so a page can move focus
// to an error that belongs to no field.
type Alert struct {
	ID   string
	Kind string
	Text string
	// Detail is a second, plainer line (optional).
	Detail string
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
	div := app.Div().
		ID(a.ID).
		Class("alert alert-" + kind).
		Role(role).
		TabIndex(-1)
	if a.Detail == "" {
		return div.Text(a.Text)
	}
	return div.Body(
		app.P().Class("alert-title").Text(a.Text),
		app.P().Class("alert-detail").Text(a.Detail),
	)
}
