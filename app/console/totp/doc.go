// Package totp is the console's TOTP two-factor UI: the enrolment (QR
// code, key and confirming code, in a dialog or on the enrolment page),
// the sign-in verification form, and turning 2FA off. Its components call
// the API themselves and tell their page what happened through callbacks;
// the page (package console) owns navigation and the other dialogs.
package totp
