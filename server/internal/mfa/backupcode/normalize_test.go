package backupcode

import (
	"strings"
	"testing"
	"unicode/utf8"

	"twofold/shared/validate"
)

// TestF14BackupCodeWhitespace: a backup code may carry any white space,
// dash or zero-width character inside (a line break from a copy, a
// no-break space from a document), exactly what validate.NormalizeCode
// ignores; look-alikes that are not the code's characters stay refused.
func TestF14BackupCodeWhitespace(t *testing.T) {
	for in, want := range map[string]string{
		"abcde\nfghjk":           "abcdefghjk",
		"abcde\r\nfghjk\n":       "abcdefghjk",
		"\tabcde\tfghjk":         "abcdefghjk",
		"ABCDE\u00a0FGHJK":       "abcdefghjk", // no-break space
		"abcde\u2007fghjk":       "abcdefghjk", // figure space
		"abcde\u3000fghjk":       "abcdefghjk", // ideographic space
		"abcde\u2013fghjk":       "abcdefghjk", // en dash
		"a-b-c-d-e-f-g-h-j-k":    "abcdefghjk",
		"\ufeffabcde\u200bfghjk": "abcdefghjk",
		"abcde\x01fghjk":         "",
		"ａｂｃｄｅ-ｆｇｈｊｋ":            "", // fullwidth letters
		"abcde-fghj\u212a":       "", // Kelvin sign, which Unicode lower-cases to k
		"abcde-fghj\u0130":       "", // dotted capital I
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// Normalize ignores exactly what validate.NormalizeCode ignores: one
// definition (validate.IgnoredInCode) for the UI's check and the server's.
func TestNormalizeSharesTheIgnoredCharacters(t *testing.T) {
	const code = "abcdefghjk"
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		in := code[:5] + string(r) + code[5:]
		got := Normalize(in)
		if validate.IgnoredInCode(r) != (got == code) {
			t.Fatalf("Normalize(%q) = %q, but IgnoredInCode(%U) = %v", in, got, r, validate.IgnoredInCode(r))
		}
		if validate.IgnoredInCode(r) != (validate.NormalizeCode(in) == code) {
			t.Fatalf("NormalizeCode(%q) = %q, but IgnoredInCode(%U) = %v", in, validate.NormalizeCode(in), r, validate.IgnoredInCode(r))
		}
	}
}

// FuzzNormalize: whatever is typed, Normalize never panics, gives "" or a
// code of Length characters of the alphabet, is idempotent, and agrees with
// validate.NormalizeCode (a string that normalises to a code gives the same
// code after NormalizeCode).
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"abcde-fghjk", "ABCDE FGHJK", " abcde-fghjk ", "0o1il-23456", "abcde\nfghjk", "abcde\u00a0fghjk",
		"abcde\u2013fghjk", "\ufeffabcde\u200bfghjk", "abcde-fghju", "123456", "", "ａｂｃｄｅ-ｆｇｈｊｋ",
		"abcde-fghj\u212a", "abcde-fghj\u0130", "\xff\xfe", "abcde\x00fghjk", strings.Repeat("-", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Normalize(s)
		if got != "" {
			if len(got) != Length {
				t.Fatalf("Normalize(%q) = %q: %d characters", s, got, len(got))
			}
			for i := 0; i < len(got); i++ {
				if !strings.ContainsRune(alphabet, rune(got[i])) {
					t.Fatalf("Normalize(%q) = %q: %q is not in the alphabet", s, got, got[i])
				}
			}
		}
		if again := Normalize(got); got != "" && again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
		if viaShared := Normalize(validate.NormalizeCode(s)); viaShared != got {
			t.Fatalf("Normalize(%q) = %q but Normalize(NormalizeCode(…)) = %q", s, got, viaShared)
		}
	})
}
