package validate

import (
	"strings"
	"unicode"
)

// IgnoredInCode reports whether r is something people type, paste or get
// from an app between the characters of a code, and which is therefore
// ignored: any Unicode white space (spaces, tabs, line breaks, no-break and
// other typographic spaces), dashes and hyphens of any kind (including the
// minus sign), and the invisible zero-width characters that copies from web
// pages and PDFs carry. It is the one definition shared by NormalizeCode
// and the server's backup-code check.
func IgnoredInCode(r rune) bool {
	switch r {
	case '\u2212', // minus sign
		'\u200b', '\u200c', '\u200d', // zero-width space, non-joiner, joiner
		'\u2060', '\ufeff': // word joiner, zero-width no-break space (BOM)
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Pd, r)
}

// NormalizeCode removes what people type around and inside a code (see
// IgnoredInCode) and lower-cases ASCII letters, so "ABCDE-FGHJK",
// "abcde fghjk" and "abcde\nfghjk" are the same code. Other characters are
// kept as they are (a fullwidth digit stays a fullwidth digit, and fails
// the code's shape later).
func NormalizeCode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case IgnoredInCode(r):
			continue
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IsDigits reports whether s is n ASCII digits.
func IsDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Shapes of the second-factor codes, counted after NormalizeCode.
const (
	// TOTPDigits is the length of a TOTP code (RFC 6238, as authenticator
	// apps show it) and of an emailed sign-in code.
	TOTPDigits = 6
	// BackupCodeLength is the length of a backup code without its dash
	// (shown as xxxxx-xxxxx).
	BackupCodeLength = 10
)

// Rules of the code fields, reported like validator tags.
const (
	// RuleSixDigits: a field that takes only a 6-digit code (TOTP
	// confirmation, email code) holds something else.
	RuleSixDigits = "six_digits"
	// RuleTFACode: a field that takes a TOTP code or a backup code holds
	// neither shape.
	RuleTFACode = "tfa_code"
)

// SixDigitCode checks a field that takes only a 6-digit code. It returns
// the failed rule ("required" or RuleSixDigits), or "".
func SixDigitCode(s string) string {
	c := NormalizeCode(s)
	switch {
	case c == "":
		return "required"
	case !IsDigits(c, TOTPDigits):
		return RuleSixDigits
	}
	return ""
}

// TFACode checks a field that takes a TOTP code or a backup code: 6
// digits, or 10 letters and digits. It only looks at the shape (the
// server knows the backup codes' alphabet). It returns the failed rule
// ("required" or RuleTFACode), or "".
func TFACode(s string) string {
	c := NormalizeCode(s)
	switch {
	case c == "":
		return "required"
	case IsDigits(c, TOTPDigits), len(c) == BackupCodeLength && isAlnum(c):
		return ""
	}
	return RuleTFACode
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
