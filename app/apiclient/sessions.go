package apiclient

import (
	"context"
	"strconv"
	"strings"

	"twofold/shared/api"
)

// withID puts id in the {id} of an API path.
func withID(path string, id int64) string {
	return strings.Replace(path, "{id}", strconv.FormatInt(id, 10), 1)
}

// Sessions is GET /api/account/sessions: the user's sessions and bearer
// tokens, newest first, the current one marked.
func Sessions(ctx context.Context) ([]api.SessionInfo, error) {
	var res api.Sessions
	if err := do(ctx, "GET", api.PathSessions, nil, &res); err != nil {
		return nil, err
	}
	return res.Sessions, nil
}

// EndSession is DELETE /api/account/sessions/{id} (step-up).
func EndSession(ctx context.Context, id int64, req api.StepUp) error {
	return do(ctx, "DELETE", withID(api.PathSession, id), req, nil)
}

// EndOtherSessions is POST /api/account/sessions/end-others (step-up).
func EndOtherSessions(ctx context.Context, req api.StepUp) error {
	return do(ctx, "POST", api.PathSessionsEndOthers, req, nil)
}
