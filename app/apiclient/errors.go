package apiclient

import (
	"errors"

	"twofold/shared/api"
)

// ErrOffline: the request did not reach the server or its answer did not
// come back (no network, server down, connection reset). It is not an
// answer of the server, so it says nothing about the session.
var ErrOffline = errors.New("the server cannot be reached")

// errNoBrowser: a call was made outside the browser (during the server's
// pre-rendering). Pages guard their I/O with app.IsServer, so this is a
// programming error.
var errNoBrowser = errors.New("apiclient: no browser to send the request")

// APIError returns the *api.Error in err's chain, or nil.
func APIError(err error) *api.Error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

// Unreachable reports whether err means the server could not be reached:
// no answer at all, or a gateway's 502 or 504 in front of it.
func Unreachable(err error) bool {
	if errors.Is(err, ErrOffline) {
		return true
	}
	ae := APIError(err)
	return ae != nil && (ae.Status == 502 || ae.Status == 504)
}

// SignedOut reports whether err means the browser has no usable session any
// more: only unauthorized and login_expired (API.md, "Step-up").
func SignedOut(err error) bool {
	ae := APIError(err)
	return ae != nil && ae.SignedOut()
}

// Is reports whether err is an API error with the given code.
func Is(err error, code string) bool {
	ae := APIError(err)
	return ae != nil && ae.Code == code
}
