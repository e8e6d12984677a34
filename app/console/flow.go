package console

import (
	"net/url"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/shared/api"
)

// handoff carries the password step's answer to the verification page:
// the masked email and what happened to its mail. It stays in this
// page's memory only (never in the URL or in storage); after a reload the
// verification page asks the server (GET /api/auth/pending) instead.
var handoff struct {
	method      string
	hint        string
	mailFailed  bool // 503: the code could not be sent
	resendAfter int  // seconds before a new code may be asked for
	methods     []string
}

// flash is a notice for the next page (why the browser was sent to the
// sign-in page). The page that shows it clears it.
var flash string

// takeFlash returns the pending notice and clears it.
func takeFlash() string {
	s := flash
	flash = ""
	return s
}

// nextPage is where a sign-in step leads: the settings, the
// verification page of the method, or the enrolment page.
func nextPage(resp *api.LoginResponse) string {
	switch resp.Status {
	case api.StatusOK:
		return PathSettings
	case api.StatusVerify:
		return PathVerify + "?method=" + url.QueryEscape(resp.Method)
	case api.StatusEnroll:
		return PathEnroll
	}
	return ""
}

// pageFor is where a signed-in account belongs: the enrolment page while
// an enforced 2FA is not set up, the settings otherwise.
func pageFor(acc *api.Account) string {
	if acc.TFA.Enforced && !form.TOTPOn(acc.TFA.State) {
		return PathEnroll
	}
	return PathSettings
}

// arrived: the page was reached by a step of the console (signing in,
// verifying, enrolling, signing out), not by the address bar. The page
// that opens then puts the focus on its heading, so keyboard and screen
// reader users start there and hear where they are.
var arrived bool

// goTo shows the page at path as the next step of a journey: the page
// puts the focus on its heading (see takeArrival).
func goTo(ctx app.Context, path string) {
	arrived = true
	ctx.Navigate(path)
}

// takeArrival moves the focus to the heading id once the page is
// rendered, if the page was reached by goTo; it reports whether it did.
func takeArrival(ctx app.Context, id string) bool {
	if !arrived {
		return false
	}
	arrived = false
	form.FocusLater(ctx, id)
	return true
}

// leave sends the browser to the sign-in page with a notice.
func leave(ctx app.Context, notice string) {
	flash = notice
	goTo(ctx, PathSignIn)
}

// sessionExpired sends the browser to the sign-in page, saying the
// session (or the pending sign-in) expired.
func sessionExpired(ctx app.Context) { leave(ctx, i18n.T("signin.expired")) }

// logOut ends the session, or the pending sign-in, on the server, then
// shows the sign-in page; *busy is the page's flag while it waits. When
// the server cannot be reached the session simply expires: the next
// sign-in replaces it.
func logOut(ctx app.Context, busy *bool) {
	if *busy {
		return
	}
	*busy = true
	ctx.Async(func() {
		apiclient.Logout(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			*busy = false
			goTo(ctx, PathSignIn)
		})
	})
}

// signedOutOr handles what every page does with an error of a signed-in
// call: a gone session goes to the sign-in page, an enrolment session to
// the enrolment page. It reports whether it navigated.
func signedOutOr(ctx app.Context, err error) bool {
	switch {
	case apiclient.SignedOut(err):
		goTo(ctx, PathSignIn)
	case apiclient.Is(err, api.CodeEnrollmentRequired):
		goTo(ctx, PathEnroll)
	default:
		return false
	}
	return true
}
