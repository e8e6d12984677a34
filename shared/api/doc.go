// Package api holds the request and response types, paths and error codes of
// the Twofold console API (docs/API.md). It is compiled into both the
// server and the WASM UI, so it imports nothing but the standard library.
package api
