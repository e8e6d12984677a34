package totp

import (
	"testing"
	"time"
)

// TestBehindWindow: the clock hint covers the codes of 2 to 10 minutes
// ago (steps −20 … −4) and nothing else: not the accepted steps, not the
// minute before them, never a future step.
func TestBehindWindow(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1_800_000_000, 0)
	center := Step(now)
	for offset := int64(-40); offset <= 40; offset++ {
		code, _ := Code(secret, center+offset, Options{})
		_, matched := Match(secret, code, now, Options{})
		behind := Behind(secret, code, now, Options{})
		wantBehind := offset >= -20 && offset <= -4
		if behind != wantBehind {
			t.Errorf("offset %d (%s ago): Behind = %v, want %v", offset, time.Duration(-offset*Period)*time.Second, behind, wantBehind)
		}
		if matched && behind {
			t.Errorf("offset %d: both accepted and hinted", offset)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if Behind(secret, bad, now, Options{}) {
			t.Errorf("%q hinted", bad)
		}
	}
	if BehindMin != 4 || BehindMax != 20 {
		t.Errorf("window %d … %d steps back, want 4 … 20", BehindMin, BehindMax)
	}
}
