// Package router holds the server's one route table.
package router

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"

	"twofold/server/internal/config"
	"twofold/server/internal/console"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/metrics"
	"twofold/server/internal/rustdesk"
	"twofold/shared/api"
)

// Deps is what the routes need.
type Deps struct {
	Config  config.Config
	Logger  *slog.Logger
	DB      *db.DB
	Console *console.Handlers
	// RustDesk serves the RustDesk client's sign-in (docs/RUSTDESK.md).
	RustDesk *rustdesk.Handlers
	// UI serves pages and static files; nil serves the API only.
	UI http.Handler
	// Metrics times the requests by route; nil: not timed.
	Metrics *metrics.Metrics
}

// New returns the server's handler: middleware around one route table.
func New(d Deps) (http.Handler, error) {
	c := d.Console
	t := newTable()

	t.handle("GET "+api.PathHealth, func(w http.ResponseWriter, r *http.Request) error {
		httpx.JSON(w, http.StatusOK, api.Health{Status: "ok"})
		return nil
	})
	t.handle("GET "+api.PathReady, func(w http.ResponseWriter, r *http.Request) error {
		if err := d.DB.PingContext(r.Context()); err != nil {
			return err
		}
		httpx.JSON(w, http.StatusOK, api.Health{Status: "ok"})
		return nil
	})

	t.handle("POST "+api.PathLogin, c.Login)
	t.handle("POST "+api.PathVerify, c.Verify)
	t.handle("POST "+api.PathResend, c.Resend)
	t.handle("GET "+api.PathPending, c.Pending)
	t.handle("POST "+api.PathLogout, c.Logout)
	t.handle("POST "+api.PathPasswordReset, c.PasswordReset)
	t.handle("POST "+api.PathPasswordResetConfirm, c.PasswordResetConfirm)

	t.handle("GET "+api.PathAccount, c.RequireWithTFA(c.GetAccount, db.LevelFull, db.LevelEnroll))
	t.handle("PUT "+api.PathAccount, c.Full(c.PutAccount))
	t.handle("POST "+api.PathPassword, c.Full(c.ChangePassword))
	t.handle("POST "+api.PathAccountVerify, c.Full(c.VerifyAccount))
	t.handle("GET "+api.PathEvents, c.Full(c.Events))
	t.handle("GET "+api.PathSessions, c.Full(c.ListSessions))
	t.handle("DELETE "+api.PathSession, c.Full(c.EndSession))
	t.handle("POST "+api.PathSessionsEndOthers, c.Full(c.EndOtherSessions))

	t.handle("POST "+api.PathTOTPSetup, c.Require(c.TOTPSetup, db.LevelFull, db.LevelEnroll))
	t.handle("POST "+api.PathTOTPEnable, c.Require(c.TOTPEnable, db.LevelFull, db.LevelEnroll))
	t.handle("POST "+api.PathTOTPDisable, c.Full(c.TOTPDisable))
	t.handle("POST "+api.PathBackupCodes, c.Full(c.BackupCodes))

	t.handle("GET "+api.PathPasskeys, c.Full(c.ListPasskeys))
	t.handle("POST "+api.PathPasskeys, c.Full(c.PasskeyRegister))
	t.handle("POST "+api.PathPasskeyRegister, c.Full(c.PasskeyRegisterBegin))
	t.handle("POST "+api.PathPasskeyChallenge, c.Full(c.PasskeyChallenge))
	t.handle("PATCH "+api.PathPasskey, c.Full(c.RenamePasskey))
	t.handle("DELETE "+api.PathPasskey, c.Full(c.DeletePasskey))
	t.handle("PUT "+api.PathPasswordless, c.Full(c.SetPasswordless))
	t.handle("POST "+api.PathAuthPasskeyChallenge, c.AuthPasskeyChallenge)
	t.handle("POST "+api.PathAuthPasskeyVerify, c.AuthPasskeyVerify)
	t.handle("POST "+api.PathPasskeyLoginBegin, c.PasskeyLoginBegin)
	t.handle("POST "+api.PathPasskeyLogin, c.PasskeyLogin)

	if rd := d.RustDesk; rd != nil {
		t.handle("POST "+rustdesk.PathLogin, plain(rd.Login))
		t.handle("POST "+rustdesk.PathCurrentUser, plain(rd.CurrentUser))
		t.handle("POST "+rustdesk.PathLogout, plain(rd.Logout))
		t.handle("GET "+rustdesk.PathLoginOptions, plain(rd.LoginOptions))
	}
	t.handle("GET "+api.PathAdminUsers, c.AdminOnly(c.AdminListUsers))
	t.handle("POST "+api.PathAdminUsers, c.AdminOnly(c.AdminCreateUser))
	t.handle("GET "+api.PathAdminUser, c.AdminOnly(c.AdminGetUser))
	t.handle("PATCH "+api.PathAdminUser, c.AdminOnly(c.AdminPatchUser))
	t.handle("POST "+api.PathAdminUserReset2FA, c.AdminOnly(c.AdminReset2FA))
	t.handle("POST "+api.PathAdminUserSignOut, c.AdminOnly(c.AdminSignOut))
	t.handle("POST "+api.PathAdminUserUnlock, c.AdminOnly(c.AdminUnlock))
	t.handle("GET "+api.PathAdminEvents, c.AdminOnly(c.AdminEvents))
	t.handle("POST "+api.PathAdminUserPasswordReset, c.AdminOnly(c.AdminPasswordReset))
	// Every request under /api/admin/ is an administrator's first: an
	// unknown path or another method answers 404 or 405 only to one
	// (API.md: 401 without a session, 403 for a user who is not).
	t.guard("/api/admin/", c.AdminOnly)

	mux := t.mux()
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, httpx.ErrNotFound())
	})
	if d.UI != nil {
		mux.Handle("/", d.UI)
	}

	h, err := httpx.CrossOrigin(d.Config.Origin(), httpx.RefuseBearer(mux))
	if err != nil {
		return nil, err
	}
	h = httpx.Headers{HSTS: d.Config.Secure()}.Wrap(h)
	if d.Config.PublicURL == nil {
		return nil, errors.New("router: no public URL to check the Host header against")
	}
	h = httpx.HostCheck(d.Config.PublicURL, h)
	h = httpx.Log(d.Logger, httpx.IPResolver{Trusted: d.Config.TrustedProxies}, h)
	return d.Metrics.Wrap(mux, h), nil
}

// plain adapts a handler that writes its own failures (the RustDesk
// client's error bodies are not the console API's).
func plain(h http.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		h(w, r)
		return nil
	}
}

// table collects "METHOD /path" routes so that a known path called with
// another method gets a JSON 405 with Allow instead of ServeMux's text.
type table struct {
	routes  map[string]httpx.HandlerFunc
	methods map[string][]string
	// guards wrap the 404 and 405 answers of the paths under a prefix
	// (guard).
	guards map[string]func(httpx.HandlerFunc) httpx.HandlerFunc
}

func newTable() *table {
	return &table{routes: map[string]httpx.HandlerFunc{}, methods: map[string][]string{},
		guards: map[string]func(httpx.HandlerFunc) httpx.HandlerFunc{}}
}

// guard makes g check every request under prefix (a path ending in "/")
// before it hears that the path is unknown (404) or takes other methods
// (405). The routes under it are wrapped by their own handle calls.
func (t *table) guard(prefix string, g func(httpx.HandlerFunc) httpx.HandlerFunc) {
	t.guards[prefix] = g
}

// guarded wraps h in the guard of path's prefix, if any.
func (t *table) guarded(path string, h httpx.HandlerFunc) httpx.HandlerFunc {
	for prefix, g := range t.guards {
		if strings.HasPrefix(path, prefix) {
			return g(h)
		}
	}
	return h
}

func (t *table) handle(pattern string, h httpx.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	t.routes[pattern] = h
	t.methods[path] = append(t.methods[path], method)
}

// otherMethods get the JSON 405. They are registered one by one (not as a
// method-less pattern) so that a path with a wildcard of one method and a
// literal path of another ("DELETE /x/{id}", "POST /x/end-others") do not
// conflict.
// (HEAD is covered by GET patterns.)
var otherMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

func (t *table) mux() *http.ServeMux {
	mux := http.NewServeMux()
	for p, h := range t.routes {
		mux.Handle(p, h)
	}
	for path, methods := range t.methods {
		sort.Strings(methods)
		allow := strings.Join(methods, ", ")
		notAllowed := t.guarded(path, func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", allow)
			return httpx.Fail(http.StatusMethodNotAllowed, api.CodeBadRequest,
				"Method "+r.Method+" is not allowed here; use "+allow+".")
		})
		for _, m := range otherMethods {
			if !slices.Contains(methods, m) {
				mux.Handle(m+" "+path, notAllowed)
			}
		}
	}
	for prefix, g := range t.guards {
		mux.Handle(prefix, g(func(w http.ResponseWriter, r *http.Request) error {
			return httpx.ErrNotFound()
		}))
	}
	return mux
}
