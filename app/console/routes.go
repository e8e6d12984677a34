// Package console is the WASM console: its one route table, the shell and
// the pages. The method packages (totp, emailcode, backupcode) hold the
// pieces of each 2FA method; package form what the forms share.
package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/shared/api"
)

// Paths of the console's pages.
const (
	PathSignIn = "/"
	// PathVerify is the second sign-in step: ?method=totp or ?method=email
	// (never a code, a token or the email address in the URL).
	PathVerify = "/verify"
	// PathEnroll is the page of a sign-in that must set up 2FA first (the
	// enrolment session may only set up TOTP, read the account and sign out).
	PathEnroll = "/enroll"
	// PathSettings is the settings page's first tab (Basic Settings);
	// settingsTabs (settings.go) lists every tab and its path.
	PathSettings = "/settings"
	// PathSecurity is the settings page's Security Settings tab.
	PathSecurity = "/settings/security"
)

// Register declares the console's routes. The WASM binary and the server
// (which pre-renders pages and answers 404 for other paths) both call it.
func Register() {
	app.Route(PathSignIn, func() app.Composer { return newSignIn() })
	app.Route(PathVerify, func() app.Composer { return newVerify() })
	app.Route(PathEnroll, func() app.Composer { return newEnroll() })
	app.Route(PathForgotPassword, func() app.Composer { return newForgot() })
	app.Route(api.PageResetPassword, func() app.Composer { return newReset() })
	for _, tab := range settingsTabs {
		app.Route(tab.Path, func() app.Composer { return newSettings(tab) })
	}
	app.Route(PathAdminUsers, func() app.Composer { return &adminUsers{} })
	app.Route(PathAdminUser, func() app.Composer { return &adminUser{} })
	app.Route(PathAdminEvents, func() app.Composer { return &adminEvents{} })
}

// Paths lists every page's path, for the server's pre-rendering.
func Paths() []string {
	paths := []string{PathSignIn, PathVerify, PathEnroll, PathForgotPassword, api.PageResetPassword}
	for _, tab := range settingsTabs {
		paths = append(paths, tab.Path)
	}
	return append(paths, adminPaths...)
}
