// Package e2e holds the browser tests: the real server in-process and the
// WASM console in headless Chromium, driven with chromedp. They run only
// with TWOFOLD_E2E=1 (make test sets it) and need `make build` first.
package e2e
