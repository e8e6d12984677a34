package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"twofold/shared/api"
)

// limited is an error that tells when to try again, such as
// ratelimit.LimitedError: Error answers it 429 with Retry-After.
type limited interface {
	error
	Seconds() int
}

// overloaded is an error of a saturated server (account.ErrBusy): Error
// answers it 503 unavailable with Retry-After (seconds), and does not log
// it as a failure.
type overloaded interface {
	error
	RetryAfterSeconds() int
}

// Error sends err as the API error body. An *api.Error is sent as it is;
// a rate limit (an error with Seconds() int) becomes 429 with Retry-After;
// anything else means the database (or another dependency) failed: it is
// logged with its cause and answered 503 unavailable, since every write
// runs in a transaction that was rolled back.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	var ae *api.Error
	var le limited
	var ol overloaded
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &ol):
		ae = Fail(http.StatusServiceUnavailable, api.CodeUnavailable, "The server is busy. Try again in a moment.")
		ae.RetryAfter = ol.RetryAfterSeconds()
	case errors.As(err, &le):
		seconds := strconv.Itoa(le.Seconds())
		ae = Fail(http.StatusTooManyRequests, api.CodeRateLimited, "Too many attempts. Try again in "+seconds+" seconds.")
		w.Header().Set("Retry-After", seconds)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		ae = Fail(499, api.CodeUnavailable, "Request canceled.")
	default:
		LogFrom(r).Error("request failed", "err", err)
		ae = Fail(http.StatusServiceUnavailable, api.CodeUnavailable, "The service is unavailable. Try again in a moment.")
	}
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	if w.Header().Get("Retry-After") == "" && ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	if status >= 500 && ae.Code != api.CodeUnavailable && ol == nil {
		// An *api.Error with a 5xx status: the default case logged the rest.
		LogFrom(r).Error("request failed", "err", err)
	}
	setReason(r, ae.Code)
	JSON(w, status, ae)
}

// LogFrom returns the request's logger.
func LogFrom(r *http.Request) *slog.Logger {
	if info := infoFrom(r.Context()); info != nil && info.log != nil {
		return info.log
	}
	return slog.Default()
}

// HandlerFunc is a handler that returns its failure instead of writing it:
// ServeHTTP sends a returned error with Error, so handlers read as
// decode → check → act → answer, without an error block at every step.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP runs f and sends its error, if any.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		Error(w, r, err)
	}
}
