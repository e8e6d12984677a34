package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/admin"
	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/notify"
	"twofold/shared/api"
	"twofold/shared/validate"
)

func errForbidden(msg string) *api.Error {
	return httpx.Fail(http.StatusForbidden, api.CodeForbidden, msg)
}

func errNotAdmin() *api.Error {
	return errForbidden("This page is for administrators.")
}

func errLastAdmin() *api.Error {
	return httpx.Fail(http.StatusConflict, api.CodeConflict,
		"This would leave no enabled administrator: make another user an administrator first.")
}

func errNoEmail() *api.Error {
	p := &validate.Problems{}
	p.Add("email_verification", "needs_email", "The user has no email address: email verification cannot be turned on.")
	return httpx.Invalid(p)
}

// AdminOnly wraps next for full sessions of administrators: no session → 401
// unauthorized; a session of anyone else → 403 forbidden, before the body
// or anything else of the request is looked at, and before anything is
// written (not even the language the request asks for).
func (h *Handlers) AdminOnly(next httpx.HandlerFunc) httpx.HandlerFunc {
	return h.require(next, func(u *db.User) error {
		if !u.IsAdmin || u.Disabled {
			return errNotAdmin()
		}
		return nil
	}, false, db.LevelFull)
}

// pathID is the {id} of an admin path; anything but a positive integer is
// no user (404).
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, httpx.ErrNotFound()
	}
	return id, nil
}

// target loads the user of the request's path.
func (h *Handlers) target(r *http.Request) (*db.User, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	u, err := h.Users.ByID(r.Context(), h.DB, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, httpx.ErrNotFound()
	}
	return u, err
}

// adminOrigin is where an administrator's change comes from: the request,
// the administrator's username as actor, and their reason.
func adminOrigin(r *http.Request, reason string) audit.Origin {
	o := origin(r)
	o.Actor, o.Reason = AuthFrom(r.Context()).User.Username, reason
	return o
}

// adminChange runs change behind the administrator's own step-up, in one
// transaction that first locks the administrator and the target (targetID,
// 0 for none) with admin.Lock (every enabled administrator too, with
// admins), checks that the administrator still is one, and passes change
// the target as it is now.
func (h *Handlers) adminChange(r *http.Request, creds api.StepUp, targetID int64, admins bool, change func(ctx context.Context, tx bun.Tx, target *db.User) error) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		return err
	}
	ids := []int64{a.User.ID}
	if targetID != 0 && targetID != a.User.ID {
		ids = append(ids, targetID)
	}
	var target *db.User
	g := guard{a: a, st: st, creds: creds, lock: func(ctx context.Context, tx bun.Tx) error {
		users, err := h.Admin.Lock(ctx, tx, admins, ids...)
		if errors.Is(err, db.ErrNotFound) {
			return httpx.ErrNotFound()
		}
		if err != nil {
			return err
		}
		if err := admin.Acting(users[0]); err != nil {
			return errNotAdmin()
		}
		if targetID != 0 {
			target = users[len(users)-1]
		}
		return nil
	}}
	return h.guarded(r, g, func(ctx context.Context, tx bun.Tx) error { return change(ctx, tx, target) })
}

// notifyTarget mails u the notice of an administrator's change (and of
// the further changes more, made at once).
func (h *Handlers) notifyTarget(r *http.Request, u *db.User, kind notify.Kind, reason string, more ...notify.Kind) {
	h.notify(r, u, kind, u.Email, notify.Event{Actor: AuthFrom(r.Context()).User.Username, Reason: reason, More: more})
}

// describe answers the user id as administrators see it.
func (h *Handlers) describe(w http.ResponseWriter, r *http.Request, status int, id int64) error {
	u, err := h.Admin.Get(r.Context(), h.DB, id)
	if errors.Is(err, db.ErrNotFound) {
		return httpx.ErrNotFound()
	}
	if err != nil {
		return err
	}
	httpx.JSON(w, status, u)
	return nil
}

// queryInt reads the integer query parameter name (def when absent); a
// value that is not an integer is validation_failed.
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, httpx.InvalidField(name, "numeric")
	}
	return n, nil
}

// AdminListUsers is GET /api/admin/users?q=&page=1&per_page=50: a page of
// users by username, and how many match.
func (h *Handlers) AdminListUsers(w http.ResponseWriter, r *http.Request) error {
	q := api.AdminUsersQuery{Q: r.URL.Query().Get("q")}
	page, err := queryInt(r, "page", 1)
	if err != nil {
		return err
	}
	perPage, err := queryInt(r, "per_page", api.AdminDefaultPerPage)
	if err != nil {
		return err
	}
	// Bounded before the conversion: an int64 beyond int cannot wrap.
	q.Page, q.PerPage = int(min(max(page, -1), 1<<30)), int(min(max(perPage, -1), 1<<30))
	if p := validate.Struct(&q); !p.Empty() {
		return httpx.Invalid(p)
	}
	users, total, err := h.Admin.List(r.Context(), h.DB, admin.Query{Q: q.Q, Page: q.Page, PerPage: q.PerPage})
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, api.AdminUsers{Users: users, Total: total, Page: q.Page, PerPage: q.PerPage})
	return nil
}

// AdminGetUser is GET /api/admin/users/{id}.
func (h *Handlers) AdminGetUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return h.describe(w, r, http.StatusOK, id)
}

// AdminCreateUser is POST /api/admin/users (step-up): a new user, with a
// random password returned this once when none is given. The password is
// hashed before the transaction (it is slow on purpose).
func (h *Handlers) AdminCreateUser(w http.ResponseWriter, r *http.Request) error {
	var req api.AdminUserCreate
	if err := httpx.Decode(w, r, &req, false); err != nil {
		return err
	}
	req.Username, req.Email, req.Reason.Reason = strings.TrimSpace(req.Username), strings.TrimSpace(req.Email), strings.TrimSpace(req.Reason.Reason)
	if p := validate.Struct(&req); !p.Empty() {
		return httpx.Invalid(p)
	}
	if !account.ValidUsername(req.Username) {
		p := &validate.Problems{}
		p.Add("username", "username", "Use 1 to 64 letters, digits, '.', '_', '-' or '@'.")
		return httpx.Invalid(p)
	}
	password, generated := req.Password, req.Password == ""
	if generated {
		password = account.RandomPassword()
	}
	hash, err := h.Users.HashPassword(r.Context(), req.Username, password)
	var pe *account.PolicyError
	if errors.As(err, &pe) {
		return httpx.InvalidField("password", pe.Rule)
	}
	if err != nil {
		return err
	}
	var created *db.User
	creds := api.StepUp{Code: req.Code, Password: req.CurrentPassword}
	err = h.adminChange(r, creds, 0, false, func(ctx context.Context, tx bun.Tx, _ *db.User) error {
		var err error
		created, err = h.Admin.Create(ctx, tx, account.NewUser{Username: req.Username, Email: req.Email, IsAdmin: req.IsAdmin}, hash, adminOrigin(r, req.Reason.Reason))
		return err
	})
	switch {
	case errors.Is(err, account.ErrUsernameTaken):
		return httpx.Fail(http.StatusConflict, api.CodeConflict, "This username is taken.")
	case errors.Is(err, account.ErrEmailTaken):
		return httpx.Fail(http.StatusConflict, api.CodeConflict, "This email is already used by another account.")
	case err != nil:
		return err
	}
	h.notifyTarget(r, created, notify.AccountCreated, req.Reason.Reason)
	users, err := h.Admin.Describe(r.Context(), h.DB, []db.User{*created})
	if err != nil {
		return err
	}
	out := api.AdminUserCreated{User: users[0]}
	if generated {
		out.Password = password
	}
	httpx.JSON(w, http.StatusCreated, out)
	return nil
}

// AdminPatchUser is PATCH /api/admin/users/{id} (step-up): only the fields
// sent change. Disabling ends every session and bearer token of the user;
// removing the last enabled administrator is 409 conflict.
func (h *Handlers) AdminPatchUser(w http.ResponseWriter, r *http.Request) error {
	var req api.AdminUserPatch
	if err := httpx.Decode(w, r, &req, false); err != nil {
		return err
	}
	req.Reason.Reason = strings.TrimSpace(req.Reason.Reason)
	if p := validate.Struct(&req); !p.Empty() {
		return httpx.Invalid(p)
	}
	u, err := h.target(r)
	if err != nil {
		return err
	}
	change := admin.Change{Disabled: req.Disabled, IsAdmin: req.IsAdmin, TFAEnforced: req.TFAEnforced, EmailVerification: req.EmailVerification}
	if errors.Is(admin.CheckChange(u, change), admin.ErrNoEmail) {
		return errNoEmail()
	}
	var done []admin.Done
	var target *db.User
	err = h.adminChange(r, req.StepUp, u.ID, true, func(ctx context.Context, tx bun.Tx, t *db.User) error {
		var err error
		target = t
		done, err = h.Admin.Update(ctx, tx, t, change, adminOrigin(r, req.Reason.Reason))
		return err
	})
	switch {
	case errors.Is(err, admin.ErrLastAdmin):
		return errLastAdmin()
	case errors.Is(err, admin.ErrNoEmail):
		return errNoEmail()
	case err != nil:
		return err
	}
	if len(done) > 0 {
		more := make([]notify.Kind, 0, len(done)-1)
		for _, d := range done[1:] {
			more = append(more, d.Notice)
		}
		h.notifyTarget(r, target, done[0].Notice, req.Reason.Reason, more...)
	}
	return h.describe(w, r, http.StatusOK, u.ID)
}

// adminAction decodes the optional body of an action on a user and loads
// the user.
func (h *Handlers) adminAction(w http.ResponseWriter, r *http.Request) (*db.User, api.AdminAction, error) {
	var req api.AdminAction
	if err := httpx.Decode(w, r, &req, true); err != nil {
		return nil, req, err
	}
	req.Reason.Reason = strings.TrimSpace(req.Reason.Reason)
	if p := validate.Struct(&req); !p.Empty() {
		return nil, req, httpx.Invalid(p)
	}
	u, err := h.target(r)
	return u, req, err
}

// keep is the session an action on u keeps: the administrator's current
// one when u is the administrator, none otherwise.
func keep(r *http.Request, u *db.User) int64 {
	if a := AuthFrom(r.Context()); a.User.ID == u.ID {
		return a.Session.ID
	}
	return 0
}

// AdminReset2FA is POST /api/admin/users/{id}/reset-2fa (step-up): the
// user's TOTP secret, backup codes and failure counters go, and every
// session and bearer token of the user ends (an administrator resetting
// their own keeps the current session). Email verification stays.
func (h *Handlers) AdminReset2FA(w http.ResponseWriter, r *http.Request) error {
	u, req, err := h.adminAction(w, r)
	if err != nil {
		return err
	}
	var target *db.User
	err = h.adminChange(r, req.StepUp, u.ID, false, func(ctx context.Context, tx bun.Tx, t *db.User) error {
		target = t
		return h.Admin.ResetTFA(ctx, tx, t, keep(r, t), adminOrigin(r, req.Reason.Reason))
	})
	if err != nil {
		return err
	}
	h.notifyTarget(r, target, notify.TFAReset, req.Reason.Reason)
	return h.describe(w, r, http.StatusOK, u.ID)
}

// AdminSignOut is POST /api/admin/users/{id}/sign-out (step-up): every
// session and bearer token of the user ends (an administrator signing
// themselves out keeps the current session).
func (h *Handlers) AdminSignOut(w http.ResponseWriter, r *http.Request) error {
	u, req, err := h.adminAction(w, r)
	if err != nil {
		return err
	}
	var target *db.User
	err = h.adminChange(r, req.StepUp, u.ID, false, func(ctx context.Context, tx bun.Tx, t *db.User) error {
		target = t
		return h.Admin.SignOut(ctx, tx, t, keep(r, t), adminOrigin(r, req.Reason.Reason))
	})
	if err != nil {
		return err
	}
	h.notifyTarget(r, target, notify.SignedOut, req.Reason.Reason)
	httpx.NoContent(w)
	return nil
}

// AdminUnlock is POST /api/admin/users/{id}/unlock (step-up): the
// account's password and second-factor failure counters are cleared.
func (h *Handlers) AdminUnlock(w http.ResponseWriter, r *http.Request) error {
	u, req, err := h.adminAction(w, r)
	if err != nil {
		return err
	}
	var target *db.User
	err = h.adminChange(r, req.StepUp, u.ID, false, func(ctx context.Context, tx bun.Tx, t *db.User) error {
		target = t
		return h.Admin.Unlock(ctx, tx, t, adminOrigin(r, req.Reason.Reason))
	})
	if err != nil {
		return err
	}
	h.notifyTarget(r, target, notify.Unlocked, req.Reason.Reason)
	return h.describe(w, r, http.StatusOK, u.ID)
}
