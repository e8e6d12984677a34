package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/uptrace/bun"

	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/shared/api"
)

// ListSessions is GET /api/account/sessions: the user's full console sessions
// and bearer tokens, newest first, the current one marked.
func (h *Handlers) ListSessions(w http.ResponseWriter, r *http.Request) error {
	a := AuthFrom(r.Context())
	list, err := h.Sessions.List(r.Context(), h.DB, a.User.ID)
	if err != nil {
		return err
	}
	out := api.Sessions{Sessions: make([]api.SessionInfo, 0, len(list))}
	for _, s := range list {
		info := api.SessionInfo{
			ID: s.ID, Kind: s.Kind, CreatedAt: utc(s.CreatedAt), LastSeen: utc(s.LastSeenAt),
			IP: s.IP, UserAgent: s.UserAgent, Current: s.ID == a.Session.ID,
		}
		if s.Kind != db.KindConsole {
			device := s.Device
			info.Device, info.ClientID = &device, s.ClientID
		}
		out.Sessions = append(out.Sessions, info)
	}
	httpx.JSON(w, http.StatusOK, out)
	return nil
}

// EndSession is DELETE /api/account/sessions/{id} (step-up): one of the
// user's sessions ends; ending the current one is a logout.
func (h *Handlers) EndSession(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return httpx.ErrNotFound()
	}
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	err = h.guarded(r, guard{a: a, st: st, creds: req}, func(ctx context.Context, tx bun.Tx) error {
		if err := h.Sessions.DeleteOwn(ctx, tx, a.User.ID, id); err != nil {
			return err
		}
		typ := audit.SessionEnded
		if id == a.Session.ID {
			typ = audit.Logout
		}
		return h.Audit.Record(ctx, tx, a.User.ID, typ, origin(r), "")
	})
	if errors.Is(err, db.ErrNotFound) {
		return httpx.ErrNotFound()
	}
	if err != nil {
		return err
	}
	if id == a.Session.ID {
		h.signedOut(w)
	}
	httpx.NoContent(w)
	return nil
}

// EndOtherSessions is POST /api/account/sessions/end-others (step-up):
// every other session and bearer token of the user ends.
func (h *Handlers) EndOtherSessions(w http.ResponseWriter, r *http.Request) error {
	a, req, st, err := h.tfaAction(w, r)
	if err != nil {
		return err
	}
	err = h.guarded(r, guard{a: a, st: st, creds: req}, func(ctx context.Context, tx bun.Tx) error {
		if err := h.Sessions.DeleteOthers(ctx, tx, a.User.ID, a.Session.ID); err != nil {
			return err
		}
		return h.Audit.Record(ctx, tx, a.User.ID, audit.SessionsEnded, origin(r), "")
	})
	if err != nil {
		return err
	}
	httpx.NoContent(w)
	return nil
}
