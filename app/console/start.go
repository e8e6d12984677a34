package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/i18n"
)

// Start prepares the console in the browser, before the first page
// renders: the language, what every API answer may change (a session
// that ended clears the account kept for offline use; a server reachable
// again may have a new version) and the update checks.
func Start() {
	if app.IsServer {
		return
	}
	i18n.OnMissing(reportMissing)
	initLanguage()
	initTheme()
	apiclient.OnSessionEnded(forgetAccount)
	apiclient.OnReachability(func(reachable bool) {
		if reachable {
			app.TryUpdate()
		}
	})
	browser.OnWindowEvent("online", app.TryUpdate)
}

// updateChecked: the app has asked for an update since it started.
var updateChecked bool

// checkForUpdateOnce asks the service worker to look for a new version,
// once per start of the app (the first page that mounts): by then the
// worker registration exists. go-app's OnAppUpdate tells the header when
// one is ready.
func checkForUpdateOnce() {
	if updateChecked || app.IsServer {
		return
	}
	updateChecked = true
	app.TryUpdate()
}

// workerCachePrefix starts the name of the service worker's cache, which
// ends with the version it serves (server/internal/webui, worker.go).
const workerCachePrefix = "twofold-"

// newVersion: a service worker of another version than the page's has
// taken over; the page offers to reload.
var newVersion bool

// newVersionActive reports whether the service worker's cache is of
// another version than the one this page runs. go-app calls OnAppUpdate
// whenever a worker activates while one controls the page, and so also on
// the first visit (the worker claims the page): only a cache of another
// version means a new version. It waits for the browser: call it in
// ctx.Async.
func newVersionActive() bool {
	mine := workerCachePrefix + app.Getenv("GOAPP_VERSION")
	for _, name := range browser.CacheNames() {
		if strings.HasPrefix(name, workerCachePrefix) && name != mine {
			return true
		}
	}
	return false
}
