// Package mfa holds what the second-factor methods share. Each method has
// its own package (totp, backupcode, emailcode) that never imports another;
// the console wires them.
package mfa
