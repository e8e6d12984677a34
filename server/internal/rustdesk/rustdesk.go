// Package rustdesk serves the RustDesk client's sign-in contract
// (docs/RUSTDESK.md): POST /api/login in two steps, POST /api/currentUser,
// POST /api/logout and GET /api/login-options, with bearer tokens that are
// sessions of kind "rustdesk". It runs the console's sign-in service
// (package signin), so the password check, the second factors, the limits,
// the replay protection, the events and the notices are the console's.
package rustdesk

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/audit"
	"twofold/server/internal/db"
	"twofold/server/internal/httpx"
	"twofold/server/internal/ratelimit"
	"twofold/server/internal/session"
	"twofold/server/internal/signin"
	"twofold/shared/api"
)

// Paths the client calls.
const (
	PathLogin        = "/api/login"
	PathCurrentUser  = "/api/currentUser"
	PathLogout       = "/api/logout"
	PathLoginOptions = "/api/login-options"
)

// The client's exact strings (it translates some of them).
const (
	msgWrongCredentials = "Wrong credentials"
	msgWrongCode        = "The verification code is incorrect or has expired"
	msgExpired          = "2FA status is expired, please try login first."
	msgLimited          = "Too many attempts, please try again later."
	msgUnavailable      = "Service unavailable, please try again later."
	msgDisabled         = "This account is disabled."
	msgEnroll           = "Two-factor authentication must be set up in the web console before signing in."
	msgBadRequest       = "Bad request"
	msgUnauthorized     = "Invalid token"
)

// Handlers serves the client's endpoints.
type Handlers struct {
	SignIn   *signin.Service
	Sessions *session.Manager
	Audit    *audit.Recorder
	DB       *db.DB
}

// DeviceInfo is what the client tells of itself.
type DeviceInfo struct {
	OS   string `json:"os"`
	Type string `json:"type"`
	Name string `json:"name"`
}

// LoginRequest is the body of POST /api/login, both steps. Unknown fields
// are tolerated (the client adds some over time).
type LoginRequest struct {
	Username         string     `json:"username"`
	Password         string     `json:"password"`
	ID               string     `json:"id"`
	UUID             string     `json:"uuid"`
	AutoLogin        *bool      `json:"autoLogin"`
	Type             string     `json:"type"`
	VerificationCode string     `json:"verificationCode"`
	TFACode          string     `json:"tfaCode"`
	Secret           string     `json:"secret"`
	DeviceInfo       DeviceInfo `json:"deviceInfo"`
}

// ClientRequest is the body of POST /api/currentUser and /api/logout.
type ClientRequest struct {
	ID   string `json:"id"`
	UUID string `json:"uuid"`
}

// User is the client's view of a user.
type User struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"`
	Email       string   `json:"email"`
	Note        string   `json:"note"`
	Avatar      string   `json:"avatar"`
	Status      int      `json:"status"`
	IsAdmin     bool     `json:"is_admin"`
	Info        UserInfo `json:"info"`
}

// UserInfo holds the user's settings the client shows.
type UserInfo struct {
	EmailVerification      bool `json:"email_verification"`
	EmailAlarmNotification bool `json:"email_alarm_notification"`
}

// challengeUser is the user part of a second-step answer.
type challengeUser struct {
	Name  string   `json:"name"`
	Email string   `json:"email"`
	Info  struct{} `json:"info"`
}

// LoginResponse is a 200 answer of POST /api/login.
type LoginResponse struct {
	Type        string `json:"type"`
	TFAType     string `json:"tfa_type,omitempty"`
	Secret      string `json:"secret,omitempty"`
	AccessToken string `json:"access_token"`
	User        any    `json:"user"`
}

// Answer types of LoginResponse.
const (
	TypeAccessToken = "access_token"
	TypeEmailCheck  = "email_check"
	TFATypeEmail    = "email_check"
	TFATypeTOTP     = "tfa_check"
	// TypeEmailCode is the request type of the second step, for both
	// methods.
	TypeEmailCode = "email_code"
)

// errorBody is every failure's body: the client reads "error".
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// fail answers a failure with the client's message; a limit gets its
// Retry-After, an outage is logged.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var le *ratelimit.LimitedError
	switch {
	case errors.As(err, &le):
		w.Header().Set("Retry-After", strconv.Itoa(le.Seconds()))
		writeJSON(w, http.StatusTooManyRequests, errorBody{msgLimited})
	case errors.Is(err, signin.ErrInvalidCredentials):
		writeJSON(w, http.StatusUnauthorized, errorBody{msgWrongCredentials})
	case errors.Is(err, signin.ErrInvalidCode):
		writeJSON(w, http.StatusUnauthorized, errorBody{msgWrongCode})
	case errors.Is(err, signin.ErrLoginExpired):
		writeJSON(w, http.StatusUnauthorized, errorBody{msgExpired})
	case errors.Is(err, signin.ErrDisabled):
		writeJSON(w, http.StatusForbidden, errorBody{msgDisabled})
	case errors.Is(err, signin.ErrEnrollmentRequired):
		writeJSON(w, http.StatusForbidden, errorBody{msgEnroll})
	case errors.Is(err, errBadRequest):
		writeJSON(w, http.StatusBadRequest, errorBody{msgBadRequest})
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
	default:
		httpx.LogFrom(r).Error("rustdesk request failed", "err", err)
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{msgUnavailable})
	}
}

var errBadRequest = errors.New("bad request")

// decoded maps an error of httpx.DecodeTolerant (at most 64 KiB, unknown
// members skipped, names matched exactly, duplicate names, NUL and
// invalid UTF-8 refused) to the client's answers.
func decoded(err error) error {
	var ae *api.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && ae.Status == http.StatusRequestEntityTooLarge:
		return errTooBig
	}
	return errBadRequest
}

var errTooBig = errors.New("payload too large")

// text checks a field the client sends: at most max runes, no control
// characters.
func text(s string, max int) bool {
	if utf8.RuneCountInString(s) > max {
		return false
	}
	for _, c := range s {
		if unicode.IsControl(c) || c == '\u2028' || c == '\u2029' {
			return false
		}
	}
	return true
}

func (q *LoginRequest) valid() bool {
	return text(q.Username, 64) && text(q.Password, 1024) && text(q.ID, 128) && text(q.UUID, 256) &&
		text(q.Type, 32) && text(q.VerificationCode, 64) && text(q.TFACode, 64) && text(q.Secret, 128) &&
		text(q.DeviceInfo.OS, 64) && text(q.DeviceInfo.Type, 64) && text(q.DeviceInfo.Name, 128)
}

// deviceName names a client's device for the sessions list and events.
func deviceName(d DeviceInfo) string {
	name, os := strings.TrimSpace(d.Name), strings.TrimSpace(d.OS)
	switch {
	case name != "" && os != "":
		return name + " (" + os + ")"
	case name != "":
		return name
	case os != "":
		return os
	}
	return "RustDesk client"
}

func (h *Handlers) client(r *http.Request, q *LoginRequest) signin.Client {
	return signin.Client{
		Origin:     audit.Origin{IP: httpx.ClientIP(r), UserAgent: r.UserAgent()},
		Kind:       db.KindRustDesk,
		Device:     deviceName(q.DeviceInfo),
		ClientID:   q.ID,
		ClientUUID: q.UUID,
		DeviceID: func(userID int64) string {
			return h.SignIn.KnownClient(r.Context(), userID, q.ID, q.UUID)
		},
	}
}

// Login is POST /api/login: the password step, or with type email_code
// the second step of a sign-in whose challenge is "secret".
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) {
	var q LoginRequest
	if err := decoded(httpx.DecodeTolerant(w, r, &q)); err != nil {
		if errors.Is(err, errTooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{"Request body too large"})
			return
		}
		fail(w, r, err)
		return
	}
	if !q.valid() {
		fail(w, r, errBadRequest)
		return
	}
	if q.Type == TypeEmailCode {
		h.secondStep(w, r, &q)
		return
	}
	if q.Username == "" || q.Password == "" {
		writeJSON(w, http.StatusUnauthorized, errorBody{msgWrongCredentials})
		return
	}
	res, err := h.SignIn.Password(r.Context(), h.client(r, &q), q.Username, q.Password)
	var mailErr *signin.MailError
	if errors.As(err, &mailErr) {
		// The client has no resend: it signs in again once the mail
		// server is back. The challenge it was not told of goes.
		httpx.LogFrom(r).Warn("email code not sent", "err", mailErr.Err)
		if derr := h.Sessions.Delete(r.Context(), h.DB, mailErr.Result.Session.ID); derr != nil {
			httpx.LogFrom(r).Warn("undelivered challenge not removed", "err", derr)
		}
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusServiceUnavailable, errorBody{msgUnavailable})
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	h.answer(w, res)
}

// answer sends the answer of a sign-in step.
func (h *Handlers) answer(w http.ResponseWriter, res *signin.Result) {
	if res.Status == api.StatusOK {
		writeJSON(w, http.StatusOK, LoginResponse{Type: TypeAccessToken, AccessToken: res.Token, User: userOf(res.User)})
		return
	}
	tfa := TFATypeTOTP
	if res.Method == api.MethodEmail {
		tfa = TFATypeEmail
	}
	// Never a top-level "tfa_check": the stock client refuses it.
	writeJSON(w, http.StatusOK, LoginResponse{
		Type: TypeEmailCheck, TFAType: tfa, Secret: res.Token, AccessToken: "",
		User: challengeUser{Name: res.User.Username, Email: hint(res.User.Email)},
	})
}

// secondStep checks the code of a challenge. Which method is checked comes
// from the stored challenge; the challenge is bound to the user and the
// client that started it.
func (h *Handlers) secondStep(w http.ResponseWriter, r *http.Request, q *LoginRequest) {
	pending, err := h.Sessions.Lookup(r.Context(), q.Secret)
	switch {
	case errors.Is(err, session.ErrNoSession), errors.Is(err, session.ErrExpired):
		fail(w, r, signin.ErrLoginExpired)
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	if pending.Kind != db.KindRustDesk || pending.Level != db.LevelPending ||
		pending.ClientID != q.ID || pending.ClientUUID != q.UUID ||
		(q.Username != "" && !strings.EqualFold(strings.TrimSpace(q.Username), pending.User.Username)) {
		fail(w, r, signin.ErrLoginExpired)
		return
	}
	code := q.TFACode
	if code == "" {
		code = q.VerificationCode
	}
	if strings.TrimSpace(code) == "" {
		fail(w, r, signin.ErrInvalidCode)
		return
	}
	c := h.client(r, q)
	c.Device = pending.Device
	res, err := h.SignIn.Verify(r.Context(), c, pending, code)
	if err != nil {
		fail(w, r, err)
		return
	}
	h.answer(w, res)
}

// bearer finds the full RustDesk session of the request's bearer token.
func (h *Handlers) bearer(r *http.Request) (*session.Session, error) {
	auth := r.Header.Get("Authorization")
	if len(auth) < 7 || !strings.EqualFold(auth[:7], "bearer ") {
		return nil, session.ErrNoSession
	}
	s, err := h.Sessions.Lookup(r.Context(), strings.TrimSpace(auth[7:]))
	if err != nil {
		return nil, err
	}
	if s.Kind != db.KindRustDesk || s.Level != db.LevelFull {
		return nil, session.ErrNoSession
	}
	return s, nil
}

// authorized answers 401 (or the failure) unless the request carries the
// bearer token of a full RustDesk session, which it returns.
func (h *Handlers) authorized(w http.ResponseWriter, r *http.Request) (*session.Session, bool) {
	var q ClientRequest
	if err := decoded(httpx.DecodeTolerant(w, r, &q)); errors.Is(err, errTooBig) {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{"Request body too large"})
		return nil, false
	}
	// The body ({"id","uuid"}) says nothing the token does not: a missing
	// or malformed one is not refused.
	s, err := h.bearer(r)
	switch {
	case errors.Is(err, session.ErrNoSession), errors.Is(err, session.ErrExpired):
		writeJSON(w, http.StatusUnauthorized, errorBody{msgUnauthorized})
		return nil, false
	case err != nil:
		fail(w, r, err)
		return nil, false
	}
	return s, true
}

// CurrentUser is POST /api/currentUser: the token's user; 401 when the
// token is invalid or revoked (the client then signs out).
func (h *Handlers) CurrentUser(w http.ResponseWriter, r *http.Request) {
	if s, ok := h.authorized(w, r); ok {
		writeJSON(w, http.StatusOK, userOf(s.User))
	}
}

// Logout is POST /api/logout: the token dies.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request) {
	s, ok := h.authorized(w, r)
	if !ok {
		return
	}
	err := h.DB.Tx(r.Context(), func(ctx context.Context, tx bun.Tx) error {
		if err := h.Sessions.Delete(ctx, tx, s.ID); err != nil {
			return err
		}
		return h.Audit.Record(ctx, tx, s.UserID, audit.Logout, audit.Origin{IP: httpx.ClientIP(r), UserAgent: r.UserAgent()}, s.Device)
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// LoginOptions is GET /api/login-options: no single sign-on buttons.
func (h *Handlers) LoginOptions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, []string{})
}

func userOf(u *db.User) User {
	return User{
		Name: u.Username, DisplayName: u.Username, Email: u.Email, Status: 1, IsAdmin: u.IsAdmin,
		Info: UserInfo{EmailVerification: u.EmailVerification},
	}
}

// hint masks the user's email for the client's code dialog ("" without
// one).
func hint(email string) string {
	if email == "" {
		return ""
	}
	return account.MaskEmail(email)
}
