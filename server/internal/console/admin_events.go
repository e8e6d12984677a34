package console

import (
	"net/http"

	"twofold/server/internal/httpx"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// AdminEvents is GET /api/admin/events?user_id=&type=&before=&limit=50:
// every user's events, newest first, paged by event id.
func (h *Handlers) AdminEvents(w http.ResponseWriter, r *http.Request) error {
	q := api.AdminEventsQuery{Type: r.URL.Query().Get("type")}
	var err error
	if q.UserID, err = queryInt(r, "user_id", 0); err != nil {
		return err
	}
	if q.Before, err = queryInt(r, "before", 0); err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", api.AdminDefaultEvents)
	if err != nil {
		return err
	}
	q.Limit = int(min(max(limit, -1), 1<<30))
	if p := validate.Struct(&q); !p.Empty() {
		return httpx.Invalid(p)
	}
	out, err := h.Admin.Events(r.Context(), h.DB, q)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}
