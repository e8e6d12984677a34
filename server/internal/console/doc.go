// Package console serves the console's own API: sign-in and its second
// step, sign-out, the account and its settings with step-up. Each 2FA
// method plugs in through the small interfaces declared here; the router
// wires them.
package console
