// Package httpx holds the HTTP plumbing every handler shares: strict JSON
// decoding, the error body of API.md, client IP resolution, security
// headers, cross-origin protection and request logs.
package httpx
