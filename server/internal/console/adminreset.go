package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/reset"
	"twofold/shared/api"
)

// adminPasswordReset is the body of POST /api/admin/users/{id}/password-reset:
// an optional reason and the administrator's step-up credentials (the same
// shape as the other administrator actions).
type adminPasswordReset struct {
	Reason string `json:"reason,omitempty" validate:"max=500"`
	api.StepUp
}

// AdminPasswordReset is POST /api/admin/users/{id}/password-reset
// (administrators only, step-up): the user gets the reset mail; 409 when
// they have no email (or are disabled: the link would not work). The
// action is recorded as an event of the user with the administrator as
// actor and the reason.
func (h *Handlers) AdminPasswordReset(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := AuthFrom(ctx)
	if !a.User.IsAdmin {
		// Before anything else is looked at (API.md, "Administration").
		return httpx.Fail(http.StatusForbidden, api.CodeForbidden, "Only administrators may do this.")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return httpx.ErrNotFound()
	}
	var req adminPasswordReset
	if err := httpx.DecodeValid(w, r, &req, true); err != nil {
		return err
	}
	target, err := h.Users.ByID(ctx, h.DB, id)
	if errors.Is(err, db.ErrNotFound) {
		return httpx.ErrNotFound()
	} else if err != nil {
		return err
	}
	st, err := h.tfaStatus(ctx, h.DB, a.User)
	if err != nil {
		return err
	}
	o := origin(r)
	o.Actor, o.Reason = a.User.Username, req.Reason
	var link *reset.Link
	err = h.guarded(r, guard{a: a, st: st, creds: req.StepUp}, func(ctx context.Context, tx bun.Tx) error {
		var err error
		link, err = h.Reset.Issue(ctx, tx, target, o)
		return err
	})
	switch {
	case errors.Is(err, reset.ErrNoEmail):
		return httpx.Fail(http.StatusConflict, api.CodeConflict, "This user has no email address to send the link to.")
	case errors.Is(err, reset.ErrDisabled):
		return httpx.Fail(http.StatusConflict, api.CodeConflict, "This account is disabled: enable it before sending a reset link.")
	case err != nil:
		return err
	}
	if err := h.Reset.Deliver(ctx, target, link, a.User.Username); err != nil {
		return err
	}
	httpx.NoContent(w)
	return nil
}
