package browser

import (
	"encoding/json"
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	sp "twofold/shared/passkey"
)

// Errors of the security-key calls.
var (
	// ErrNoWebAuthn: the browser has no WebAuthn (or the page is not a
	// secure context).
	ErrNoWebAuthn = errors.New("security keys are not available in this browser")
	// ErrKeyCancelled: the user cancelled, the time ran out, or no key
	// answered (the browser does not tell these apart: NotAllowedError).
	ErrKeyCancelled = errors.New("the security key did not answer")
	// ErrKeyFailed: the browser refused for another reason (a key that is
	// registered already, a wrong domain).
	ErrKeyFailed = errors.New("the security key request failed")
)

// WebAuthn reports whether navigator.credentials can make and use keys.
func WebAuthn() bool {
	return !app.IsServer && app.Window().Get("PublicKeyCredential").Truthy() &&
		app.Window().Get("navigator").Get("credentials").Truthy()
}

// CreateKey runs navigator.credentials.create with opts and returns the
// new credential in the shared JSON form. Call it in ctx.Async.
func CreateKey(opts sp.CreationOptions) (*sp.Attestation, error) {
	pk, err := jsOptions(opts)
	if err != nil {
		return nil, err
	}
	pk.Set("challenge", jsBytes(opts.Challenge))
	pk.Get("user").Set("id", jsBytes(opts.User.ID))
	setIDs(pk.Get("excludeCredentials"), opts.ExcludeCredentials)
	cred, err := credentialsCall("create", pk)
	if err != nil {
		return nil, err
	}
	resp := cred.Get("response")
	out := &sp.Attestation{
		ID: cred.Get("id").String(), RawID: goBytes(cred.Get("rawId")), Type: cred.Get("type").String(),
		Response: sp.AttestationResponse{
			ClientDataJSON:    goBytes(resp.Get("clientDataJSON")),
			AttestationObject: goBytes(resp.Get("attestationObject")),
		},
		ClientExtensionResults: extensionResults(cred),
	}
	if att := cred.Get("authenticatorAttachment"); att.Truthy() {
		out.AuthenticatorAttachment = att.String()
	}
	if resp.Get("getTransports").Truthy() {
		ts := resp.Call("getTransports")
		for i := 0; i < ts.Length(); i++ {
			out.Response.Transports = append(out.Response.Transports, ts.Index(i).String())
		}
	}
	return out, nil
}

// GetKey runs navigator.credentials.get with opts and returns the
// assertion in the shared JSON form. Call it in ctx.Async.
func GetKey(opts sp.RequestOptions) (*sp.Assertion, error) {
	pk, err := jsOptions(opts)
	if err != nil {
		return nil, err
	}
	pk.Set("challenge", jsBytes(opts.Challenge))
	setIDs(pk.Get("allowCredentials"), opts.AllowCredentials)
	cred, err := credentialsCall("get", pk)
	if err != nil {
		return nil, err
	}
	resp := cred.Get("response")
	out := &sp.Assertion{
		ID: cred.Get("id").String(), RawID: goBytes(cred.Get("rawId")), Type: cred.Get("type").String(),
		Response: sp.AssertionResponse{
			ClientDataJSON:    goBytes(resp.Get("clientDataJSON")),
			AuthenticatorData: goBytes(resp.Get("authenticatorData")),
			Signature:         goBytes(resp.Get("signature")),
		},
		ClientExtensionResults: extensionResults(cred),
	}
	if uh := resp.Get("userHandle"); uh.Truthy() {
		out.Response.UserHandle = goBytes(uh)
	}
	if att := cred.Get("authenticatorAttachment"); att.Truthy() {
		out.AuthenticatorAttachment = att.String()
	}
	return out, nil
}

// jsOptions turns the shared options into a JavaScript object (binary
// values still as base64url strings: the callers replace them).
func jsOptions(opts any) (app.Value, error) {
	if !WebAuthn() {
		return nil, ErrNoWebAuthn
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	return app.Window().Get("JSON").Call("parse", string(b)), nil
}

// setIDs replaces the ids of a list of credential descriptors with bytes.
func setIDs(list app.Value, ds []sp.Descriptor) {
	if !list.Truthy() {
		return
	}
	for i, d := range ds {
		list.Index(i).Set("id", jsBytes(d.ID))
	}
}

func jsBytes(b []byte) app.Value {
	u := app.Window().Get("Uint8Array").New(len(b))
	app.CopyBytesToJS(u, b)
	return u
}

// goBytes copies an ArrayBuffer (or a view of one) into Go.
func goBytes(v app.Value) []byte {
	if !v.Truthy() {
		return nil
	}
	u := app.Window().Get("Uint8Array").New(v)
	b := make([]byte, u.Length())
	app.CopyBytesToGo(b, u)
	return b
}

func extensionResults(cred app.Value) map[string]any {
	out := map[string]any{}
	if !cred.Get("getClientExtensionResults").Truthy() {
		return out
	}
	s := app.Window().Get("JSON").Call("stringify", cred.Call("getClientExtensionResults")).String()
	json.Unmarshal([]byte(s), &out)
	return out
}

// credentialsCall calls navigator.credentials[method]({publicKey: pk}) and
// waits for its promise.
func credentialsCall(method string, pk app.Value) (app.Value, error) {
	type result struct {
		v   app.Value
		err error
	}
	ch := make(chan result, 1)
	var onOK, onFail app.Func
	release := func() {
		onOK.Release()
		onFail.Release()
	}
	onOK = app.FuncOf(func(_ app.Value, args []app.Value) any {
		ch <- result{v: args[0]}
		release()
		return nil
	})
	onFail = app.FuncOf(func(_ app.Value, args []app.Value) any {
		err := ErrKeyFailed
		if len(args) > 0 && args[0].Truthy() {
			if name := args[0].Get("name"); name.Truthy() && (name.String() == "NotAllowedError" || name.String() == "AbortError") {
				err = ErrKeyCancelled
			}
		}
		ch <- result{err: err}
		release()
		return nil
	})
	arg := app.Window().Get("Object").New()
	arg.Set("publicKey", pk)
	app.Window().Get("navigator").Get("credentials").Call(method, arg).Call("then", onOK, onFail)
	r := <-ch
	if r.err == nil && !r.v.Truthy() {
		return nil, ErrKeyCancelled
	}
	return r.v, r.err
}
