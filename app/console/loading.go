package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/i18n"
	"twofold/app/widget"
)

// loadStatus drives what a page that loads data shows.
type loadStatus string

const (
	statusLoading loadStatus = "loading"
	statusLoaded  loadStatus = "loaded"
	statusFailed  loadStatus = "failed"
)

// loadingCard is a card that says what is loading.
func loadingCard(text string) app.UI {
	return app.Div().Class("card loading").Role("status").Body(
		app.Span().Class("spinner spinner-dark").Aria("hidden", true),
		app.Span().Text(text),
	)
}

// loadCard is what a page that loads the account shows until it has it:
// a spinner while loading; once loading failed, the error
// (<prefix>-error) and a button that tries again (<prefix>-retry). It is
// nil once the account is loaded.
func loadCard(status loadStatus, prefix, loadErr string, retry app.EventHandler) app.UI {
	switch status {
	case statusFailed:
		return app.Div().Class("card").Body(
			widget.Alert{ID: prefix + "-error", Text: loadErr}.UI(),
			widget.Button{
				ID: prefix + "-retry", Label: i18n.T("page.retry"), Type: "button", OnClick: retry,
			}.UI(),
		)
	case statusLoading:
		return loadingCard(i18n.T("page.loading_account"))
	}
	return nil
}
