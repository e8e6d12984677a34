package console

import (
	"context"
	"errors"
	"net/http"

	"github.com/uptrace/bun"

	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/reset"
	"twofold/shared/api"
)

// AdminPasswordReset is POST /api/admin/users/{id}/password-reset
// (administrators only, step-up): the user gets the reset mail; 409 when
// they have no email (or are disabled: the link would not work). The
// action is recorded as an event of the user with the administrator as
// actor and the reason.
func (h *Handlers) AdminPasswordReset(w http.ResponseWriter, r *http.Request) error {
	u, req, err := h.adminAction(w, r)
	if err != nil {
		return err
	}
	a := AuthFrom(r.Context())
	var target *db.User
	var link *reset.Link
	err = h.adminChange(r, req.StepUp, u.ID, false, func(ctx context.Context, tx bun.Tx, t *db.User) error {
		target = t
		var err error
		link, err = h.Reset.Issue(ctx, tx, t, adminOrigin(r, req.Reason.Reason))
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
	if err := h.Reset.Deliver(r.Context(), target, link, a.User.Username); err != nil {
		return err
	}
	httpx.NoContent(w)
	return nil
}
