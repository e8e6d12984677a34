package emailcode

import "testing"

func TestFormatWait(t *testing.T) {
	for secs, want := range map[int]string{1: "1 s", 42: "42 s", 60: "60 s", 61: "1:01", 3599: "59:59"} {
		if got := FormatWait(secs); got != want {
			t.Errorf("FormatWait(%d): got %q, want %q", secs, got, want)
		}
	}
}
