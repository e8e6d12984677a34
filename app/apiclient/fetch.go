package apiclient

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/i18n"
	"twofold/shared/api"
)

// answer is what a fetch gave: an HTTP answer, or err when none came.
type answer struct {
	status     int
	retryAfter string
	body       string
	err        error
}

// do sends a JSON request with the browser's fetch and decodes a 2xx body
// into out (nil: ignore it). An error answer becomes an *api.Error with
// Status and RetryAfter set; no answer at all becomes ErrOffline; a
// canceled ctx aborts the request and returns ctx.Err().
//
// Every call names the console's language (Accept-Language), so the server
// keeps it as the user's for the mails it sends.
func do(ctx context.Context, method, path string, in, out any) error {
	if app.IsServer {
		return errNoBrowser
	}
	headers := map[string]any{
		"Accept":          "application/json",
		"Content-Type":    "application/json",
		"Accept-Language": i18n.Lang(),
	}
	init := map[string]any{
		"method":      method,
		"headers":     headers,
		"credentials": "same-origin",
		"cache":       "no-store",
	}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		init["body"] = string(b)
	}
	abort := app.Window().Get("AbortController").New()
	init["signal"] = abort.Get("signal")

	res := fetch(path, init)
	select {
	case a := <-res:
		answered(a.err == nil)
		if a.err != nil {
			return a.err
		}
		err := decode(a, out)
		if SignedOut(err) {
			sessionEnded()
		}
		return err
	case <-ctx.Done():
		abort.Call("abort")
		return ctx.Err()
	}
}

// fetch starts window.fetch and returns a channel that receives exactly one
// answer. The JavaScript callbacks are released by the last one that runs,
// so an abandoned request (canceled ctx) cannot call a released func.
func fetch(path string, init map[string]any) <-chan answer {
	ch := make(chan answer, 1)
	var a answer
	var onResponse, onBody, onError app.Func
	release := func() {
		onResponse.Release()
		onBody.Release()
		onError.Release()
	}
	onResponse = app.FuncOf(func(this app.Value, args []app.Value) any {
		resp := args[0]
		a.status = resp.Get("status").Int()
		if v := resp.Get("headers").Call("get", "Retry-After"); v.Type() == app.TypeString {
			a.retryAfter = v.String()
		}
		resp.Call("text").Call("then", onBody, onError)
		return nil
	})
	onBody = app.FuncOf(func(this app.Value, args []app.Value) any {
		a.body = args[0].String()
		ch <- a
		release()
		return nil
	})
	onError = app.FuncOf(func(this app.Value, args []app.Value) any {
		// A TypeError (network) or an AbortError (canceled ctx, whose
		// caller no longer listens): either way no answer came.
		ch <- answer{err: ErrOffline}
		release()
		return nil
	})
	app.Window().Call("fetch", path, init).Call("then", onResponse, onError)
	return ch
}

// decode turns an HTTP answer into out or an *api.Error.
func decode(a answer, out any) error {
	if a.status >= 200 && a.status < 300 {
		if out == nil || a.status == 204 || strings.TrimSpace(a.body) == "" {
			return nil
		}
		if err := json.Unmarshal([]byte(a.body), out); err != nil {
			return &api.Error{Status: a.status, Code: api.CodeInternal, Message: "The server sent an answer this page cannot read."}
		}
		return nil
	}
	e := &api.Error{}
	if err := json.Unmarshal([]byte(a.body), e); err != nil || e.Code == "" {
		// Not the API's error body: a proxy or a gateway answered.
		e = &api.Error{Code: codeForStatus(a.status), Message: "The server answered with HTTP status " + strconv.Itoa(a.status) + "."}
	}
	e.Status = a.status
	if n, err := strconv.Atoi(strings.TrimSpace(a.retryAfter)); err == nil && n >= 0 {
		e.RetryAfter = n
	}
	return e
}

// codeForStatus guesses the API code of an answer without an API body.
func codeForStatus(status int) string {
	switch {
	case status == 401:
		return api.CodeUnauthorized
	case status == 403:
		return api.CodeForbidden
	case status == 404:
		return api.CodeNotFound
	case status == 413:
		return api.CodePayloadTooLarge
	case status == 429:
		return api.CodeRateLimited
	case status >= 500:
		return api.CodeUnavailable
	}
	return api.CodeBadRequest
}
