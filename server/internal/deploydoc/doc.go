// Package deploydoc checks the deployment guide, docs/deploy.md, in its
// tests: every configuration snippet the guide shows is the text of a file
// of docs/deploy/, and those files work (the environment is a valid
// configuration, the PostgreSQL set-up lets the server migrate and run,
// the lost-key procedure brings a server back). .ci/check-deploy checks
// the others with nginx, caddy and systemd-analyze.
package deploydoc
