// Package console serves the console's own JSON API: sign-in and its
// second step (through the shared sign-in service, package signin),
// sign-out, the account and its settings behind step-up, the TOTP
// enrolment, backup codes and the user's own sessions. The handlers hold
// the services they call directly; the composition root
// (server/internal/server) builds them and the route table
// (server/internal/router) maps paths to them.
package console
