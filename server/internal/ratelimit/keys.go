package ratelimit

import (
	"strconv"
	"time"
)

// Key is one counter and its policy.
type Key struct {
	Name   string
	Policy Policy
}

// Policies of API.md "Limits".
var (
	// Backoff: 10 consecutive failures, then 30 s doubling up to 15 min.
	Backoff = Policy{Threshold: 10, Base: 30 * time.Second, Max: 15 * time.Minute}
	// PerUsername: NIST's bound of 100 consecutive failures per account.
	PerUsername = Policy{Threshold: 100, Base: 30 * time.Second, Max: 15 * time.Minute}
	// PerIP: at most 100 failed code attempts per 10 minutes per client IP.
	PerIP = Policy{Threshold: 100, Window: 10 * time.Minute}
	// CodeMails: at most 10 code mails per account per hour, sign-ins and
	// resends together.
	CodeMails = Policy{Threshold: 10, Window: time.Hour}
	// ResetRequests: at most 20 password-reset requests per client IP per
	// hour.
	ResetRequests = Policy{Threshold: 20, Window: time.Hour}
	// ResetMails: at most 3 password-reset mails per account per hour.
	ResetMails = Policy{Threshold: 3, Window: time.Hour}
	// PasskeyBegins: at most 60 passkey sign-in challenges per client IP
	// per 10 minutes (each is a row until it is used or pruned).
	PasskeyBegins = Policy{Threshold: 60, Window: 10 * time.Minute}
)

// The builders below are the only place a counter's name is spelled, so
// that a reset (CLI, administrator) clears exactly what the checks count.

// PasswordKeys are the password counters of a sign-in from a client
// without a device cookie for the user: per (username, client IP) and per
// username. They are keyed by the normalised username whether or not the
// user exists, so a 429 never tells whether it does.
func PasswordKeys(usernameKey, ip string) []Key {
	return []Key{
		{Name: "pw:ui:" + usernameKey + "|" + ip, Policy: Backoff},
		{Name: "pw:u:" + usernameKey, Policy: PerUsername},
	}
}

// DeviceKey is the password counter of a browser or client that signed in
// as the user recently (a device cookie): it is counted on its own, so
// strangers locking the username out do not lock it out.
func DeviceKey(userID int64, deviceID string) Key {
	return Key{Name: "pw:d:" + itoa(userID) + ":" + deviceID, Policy: Backoff}
}

// AccountCodeKey counts consecutive wrong second-factor codes of an
// account, across sessions, instances and IPs.
func AccountCodeKey(userID int64) Key {
	return Key{Name: "2fa:u:" + itoa(userID), Policy: Backoff}
}

// IPCodeKey counts failed second-factor codes from one client IP.
func IPCodeKey(ip string) Key {
	return Key{Name: "2fa:ip:" + ip, Policy: PerIP}
}

// CodeMailKey counts the code mails sent for an account.
func CodeMailKey(userID int64) Key {
	return Key{Name: "mail:u:" + itoa(userID), Policy: CodeMails}
}

// ResetIPKey counts the password-reset requests of one client IP.
func ResetIPKey(ip string) Key {
	return Key{Name: "reset:ip:" + ip, Policy: ResetRequests}
}

// PasskeyBeginKey counts the passkey sign-in challenges of one client IP.
func PasskeyBeginKey(ip string) Key {
	return Key{Name: "passkey:ip:" + ip, Policy: PasskeyBegins}
}

// ResetMailKey counts the password-reset mails of an account (requests
// for an account that gets no mail count too, the same way).
func ResetMailKey(userID int64) Key {
	return Key{Name: "reset:u:" + itoa(userID), Policy: ResetMails}
}

// ResetLoginKey counts the password-reset requests for a login that
// matches no account (normalised), exactly like ResetMailKey, so that such
// a request does the same work as one for an account.
func ResetLoginKey(login string) Key {
	return Key{Name: "reset:l:" + login, Policy: ResetMails}
}

// PasswordCounterResets names the password failure counters of an account (not
// its second-factor counter), cleared when the password is reset by link:
// the new password starts without the old one's locks.
func PasswordCounterResets(userID int64, usernameKey string) []string {
	return []string{
		PasswordKeys(usernameKey, "")[1].Name,
		"pw:ui:" + usernameKey + "|*",
		"pw:d:" + itoa(userID) + ":*",
	}
}

// AccountLocks are the counters that lock an account (its password and
// second-factor locks), for showing when its lock ends.
func AccountLocks(userID int64, usernameKey string) []Key {
	return []Key{PasswordKeys(usernameKey, "")[1], AccountCodeKey(userID)}
}

// AccountResets names every failure counter of an account for Reset: the
// second-factor counter, the per-username counter, the per-(username, IP)
// counters and the device counters. Code-mail counts are not failures and
// stay.
func AccountResets(userID int64, usernameKey string) []string {
	return []string{
		AccountCodeKey(userID).Name,
		PasswordKeys(usernameKey, "")[1].Name,
		"pw:ui:" + usernameKey + "|*",
		"pw:d:" + itoa(userID) + ":*",
	}
}

// SecondFactorResets names the second-factor counter of an account (reset
// with its 2FA).
func SecondFactorResets(userID int64) []string {
	return []string{AccountCodeKey(userID).Name}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
