package totp

import "testing"

func TestGroupKey(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "",
		"ABC":                              "ABC",
		"ABCD":                             "ABCD",
		"ABCDE":                            "ABCD E",
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP": "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
	} {
		if got := GroupKey(in); got != want {
			t.Errorf("GroupKey(%q): got %q, want %q", in, got, want)
		}
	}
}
