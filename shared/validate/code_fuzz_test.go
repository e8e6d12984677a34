package validate_test

import (
	"strings"
	"testing"

	"twofold/shared/validate"
)

// FuzzNormalizeCode: NormalizeCode never panics, is idempotent, leaves no
// ignored character and no ASCII capital, and does not depend on the
// ignored characters put around or between the characters; the shape
// checks built on it agree with it.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{
		"123456", " 123 456", "123-456", "ABCDE-FGHJK", "abcde\nfghjk", "abcde\u00a0fghjk", "\ufeff12\u200b3456",
		"１２３４５６", "abcde_fghjk", "", "\xff", "a\x00b", "\u2028\u2029\u0085", "İK",
	} {
		f.Add(s, " ")
		f.Add(s, "\n\u00a0-")
	}
	f.Fuzz(func(t *testing.T, s, filler string) {
		got := validate.NormalizeCode(s)
		if again := validate.NormalizeCode(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
		for _, r := range got {
			if validate.IgnoredInCode(r) || (r >= 'A' && r <= 'Z') {
				t.Fatalf("NormalizeCode(%q) = %q keeps %q", s, got, r)
			}
		}
		// Only ignored characters in the filler: put it everywhere.
		filler = strings.Map(func(r rune) rune {
			if validate.IgnoredInCode(r) {
				return r
			}
			return -1
		}, filler)
		var spread strings.Builder
		spread.WriteString(filler)
		for _, r := range got {
			spread.WriteRune(r)
			spread.WriteString(filler)
		}
		if v := validate.NormalizeCode(spread.String()); v != got {
			t.Fatalf("with %q spread in: %q, want %q", filler, v, got)
		}
		if validate.SixDigitCode(s) == "" && !validate.IsDigits(got, validate.TOTPDigits) {
			t.Fatalf("SixDigitCode accepts %q, which normalises to %q", s, got)
		}
		if validate.TFACode(s) == "" && validate.SixDigitCode(s) != "" && len(got) != validate.BackupCodeLength {
			t.Fatalf("TFACode accepts %q, which normalises to %q", s, got)
		}
	})
}
