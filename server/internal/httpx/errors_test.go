package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"twofold/shared/api"
)

// wait is a rate limit from any package: Error knows it by its Seconds
// method, not by its type.
type wait int

func (w wait) Error() string { return "wait" }
func (w wait) Seconds() int  { return int(w) }

func TestError(t *testing.T) {
	for _, tt := range []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
		logged     bool
	}{
		{"api error", Fail(http.StatusNotFound, api.CodeNotFound, "no"), 404, api.CodeNotFound, "", false},
		{"rate limit", fmt.Errorf("login: %w", wait(7)), 429, api.CodeRateLimited, "7", false},
		{"api error with retry", &api.Error{Status: 429, Code: api.CodeRateLimited, RetryAfter: 3}, 429, api.CodeRateLimited, "3", false},
		{"database", errors.New("connection refused"), 503, api.CodeUnavailable, "", true},
		{"api error 5xx", &api.Error{Status: 500, Code: "internal"}, 500, "internal", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			defer slog.SetDefault(slog.Default())
			slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
			w := httptest.NewRecorder()
			Error(w, httptest.NewRequest("GET", "/api/x", nil), tt.err)
			var body api.Error
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if w.Code != tt.status || body.Code != tt.code || w.Header().Get("Retry-After") != tt.retryAfter {
				t.Errorf("got %d %q Retry-After %q, want %d %q %q", w.Code, body.Code, w.Header().Get("Retry-After"), tt.status, tt.code, tt.retryAfter)
			}
			if n := strings.Count(logs.String(), "request failed"); n != map[bool]int{true: 1}[tt.logged] {
				t.Errorf("logged %d times:\n%s", n, logs.String())
			}
		})
	}
}
