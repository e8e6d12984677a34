package apiclient

import (
	"context"
	"net/url"
	"strconv"

	"twofold/shared/api"
)

// AdminUsers is GET /api/admin/users: one page of the users whose
// username or email contains q.
func AdminUsers(ctx context.Context, q string, page, perPage int) (*api.AdminUsers, error) {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	v.Set("page", strconv.Itoa(page))
	v.Set("per_page", strconv.Itoa(perPage))
	var res api.AdminUsers
	if err := do(ctx, "GET", api.PathAdminUsers+"?"+v.Encode(), nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// AdminUser is GET /api/admin/users/{id}.
func AdminUser(ctx context.Context, id int64) (*api.AdminUser, error) {
	var u api.AdminUser
	if err := do(ctx, "GET", withID(api.PathAdminUser, id), nil, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// AdminCreateUser is POST /api/admin/users (step-up): the new user, with
// the password the server made, shown once.
func AdminCreateUser(ctx context.Context, req api.AdminUserCreate) (*api.AdminUserCreated, error) {
	var res api.AdminUserCreated
	if err := do(ctx, "POST", api.PathAdminUsers, req, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// AdminPatchUser is PATCH /api/admin/users/{id} (step-up).
func AdminPatchUser(ctx context.Context, id int64, req api.AdminUserPatch) (*api.AdminUser, error) {
	var u api.AdminUser
	if err := do(ctx, "PATCH", withID(api.PathAdminUser, id), req, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// AdminAction is one of the POST actions on a user (step-up): path is
// api.PathAdminUserReset2FA, PathAdminUserSignOut, PathAdminUserUnlock or
// PathAdminUserPasswordReset. The user comes back when the answer has one.
func AdminAction(ctx context.Context, path string, id int64, req api.AdminAction) (*api.AdminUser, error) {
	var u api.AdminUser
	if err := do(ctx, "POST", withID(path, id), req, &u); err != nil {
		return nil, err
	}
	if u.ID == 0 {
		return nil, nil
	}
	return &u, nil
}

// AdminEvents is GET /api/admin/events: events newest first, of one user
// (userID > 0) and of one type (typ != ""), older than before (> 0).
func AdminEvents(ctx context.Context, userID int64, typ string, before int64, limit int) (*api.AdminEvents, error) {
	v := url.Values{}
	if userID > 0 {
		v.Set("user_id", strconv.FormatInt(userID, 10))
	}
	if typ != "" {
		v.Set("type", typ)
	}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	v.Set("limit", strconv.Itoa(limit))
	var res api.AdminEvents
	if err := do(ctx, "GET", api.PathAdminEvents+"?"+v.Encode(), nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
