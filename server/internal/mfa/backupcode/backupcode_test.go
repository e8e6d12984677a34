package backupcode

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"abcde-fghjk":   "abcdefghjk",
		"ABCDE FGHJK":   "abcdefghjk",
		" abcde-fghjk ": "abcdefghjk",
		"0o1il-23456":   "0011123456", // o → 0; i, l → 1
		"o0ilx-23456":   "0011x23456",
		"abcde-fghj":    "",
		"abcde-fghju":   "", // u is not in the alphabet
		"123456":        "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRandomCodesUseTheAlphabet(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		c, err := random(Length)
		if err != nil {
			t.Fatal(err)
		}
		if Normalize(c) != c || seen[c] {
			t.Fatalf("code %q invalid or repeated", c)
		}
		seen[c] = true
	}
}
