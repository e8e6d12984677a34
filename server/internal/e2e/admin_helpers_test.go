package e2e

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/shared/api"
)

// apiUser is a client of the console API with its own cookie jar: a
// session of its own, next to the browser's.
type apiUser struct {
	e      *env
	client *http.Client
}

// newAPIUser signs username in through the API (password step only)
// with a fresh cookie jar.
func (e *env) newAPIUser(username, password string) *apiUser {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	u := &apiUser{e: e, client: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	var resp api.LoginResponse
	if status := u.call("POST", api.PathLogin, api.LoginRequest{Username: username, Password: password}, &resp); status != 200 || resp.Status != api.StatusOK {
		e.t.Fatalf("API sign-in of %s: status %d, %+v", username, status, resp)
	}
	return u
}

// call sends a JSON request and decodes a 2xx answer into out; it
// returns the HTTP status.
func (u *apiUser) call(method, path string, in, out any) int {
	u.e.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			u.e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u.e.URL+path, body)
	if err != nil {
		u.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := u.client.Do(req)
	if err != nil {
		u.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode/100 == 2 {
		if err := json.Unmarshal(raw, out); err != nil {
			u.e.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return res.StatusCode
}

// accountStatus is the status of GET /api/account with this session:
// 200 while it lasts, 401 once it ended.
func (u *apiUser) accountStatus() int {
	u.e.t.Helper()
	return u.call("GET", api.PathAccount, nil, nil)
}

// createUser makes a user through the administration API (the API
// session's sign-in counts as the step-up) and returns it.
func (u *apiUser) createUser(username, email, password string) api.AdminUser {
	u.e.t.Helper()
	var res api.AdminUserCreated
	req := api.AdminUserCreate{Username: username, Email: email, Password: password}
	if status := u.call("POST", api.PathAdminUsers, req, &res); status != 201 {
		u.e.t.Fatalf("create user %s: status %d", username, status)
	}
	return res.User
}

// enableTOTP turns TOTP on for the API session's user (a sign-in less
// than 5 minutes old is the step-up) and returns the secret.
func (u *apiUser) enableTOTP() []byte {
	u.e.t.Helper()
	var setup api.TOTPSetup
	if status := u.call("POST", api.PathTOTPSetup, struct{}{}, &setup); status != 200 {
		u.e.t.Fatalf("TOTP setup: status %d", status)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(setup.Secret)
	if err != nil {
		u.e.t.Fatal(err)
	}
	if status := u.call("POST", api.PathTOTPEnable, api.CodeRequest{Code: u.e.nextCode(secret)}, nil); status != 200 {
		u.e.t.Fatalf("TOTP enable: status %d", status)
	}
	return secret
}

// noPageOverflow checks that the page does not scroll sideways (wide
// tables scroll inside their own region).
func (e *env) noPageOverflow(where string) {
	e.t.Helper()
	if !e.js(`document.documentElement.scrollWidth <= window.innerWidth + 1`) {
		w, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.documentElement.scrollWidth + " > " + window.innerWidth +
			" (" + [...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 &&
			!el.closest(".table-wrap")).slice(0, 5).map(el => el.tagName + "#" + el.id + "." + el.className).join(", ") + ")"`))
		e.t.Errorf("%s: the page scrolls sideways: %s", where, w)
	}
}

// count is the number of elements css matches.
func (e *env) count(css string) int {
	e.t.Helper()
	n, err := chromedp.Run(e.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsQuote(css)+`).length`))
	if err != nil {
		e.t.Fatalf("count %s: %v", css, err)
	}
	return n
}

// textOf is the trimmed text of the first element css matches.
func (e *env) textOf(css string) string {
	e.t.Helper()
	s, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsQuote(css)+`) || {}).textContent || ""`))
	if err != nil {
		e.t.Fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(s)
}
