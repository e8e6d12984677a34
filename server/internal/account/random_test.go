package account_test

import (
	"regexp"
	"testing"

	"twofold/server/internal/account"
)

func TestRandomPassword(t *testing.T) {
	shape := regexp.MustCompile(`^[a-hjkmnp-z2-9]{5}(-[a-hjkmnp-z2-9]{5}){3}$`)
	seen := map[string]bool{}
	counts := map[rune]int{}
	for i := 0; i < 5000; i++ {
		p := account.RandomPassword()
		if !shape.MatchString(p) || len(p) < 16 {
			t.Fatalf("password %q: not four groups of five", p)
		}
		if seen[p] {
			t.Fatalf("password %q made twice", p)
		}
		seen[p] = true
		if rule := account.CheckNewPassword("someone", p); rule != "" {
			t.Fatalf("password %q breaks the policy: %s", p, rule)
		}
		for _, r := range p {
			if r != '-' {
				counts[r]++
			}
		}
	}
	// 100,000 letters over 31: each about 3,226 (σ ≈ 56); a sampler biased
	// like a plain modulo 256 would draw 8 letters about 3,516 times and
	// the others about 2,902 times, outside these bounds (±5σ).
	if len(counts) != 31 {
		t.Fatalf("%d distinct letters, want 31", len(counts))
	}
	for r, n := range counts {
		if n < 2950 || n > 3500 {
			t.Errorf("letter %q drawn %d times of 100000, want about 3226", r, n)
		}
	}
}
