package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"twofold/server/internal/account"
)

// TestArgon2Speed: argon2-speed measures the hash of TWOFOLD_ARGON2 (not
// the default) with one slot per CPU, and refuses what it does not take.
func TestArgon2Speed(t *testing.T) {
	v := map[string]string{"TWOFOLD_ARGON2": "m=64,t=1,p=1", "TWOFOLD_BENCH_WEAK_ARGON2": "1"}
	r := runCLI(t, v, "", "argon2-speed", "--json", "--seconds", "0.2")
	var s account.Speed
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if s.Argon2 != "m=64,t=1,p=1" || s.Slots < 1 || s.OneMs <= 0 || s.CPUms <= 0 || s.LimitPerS <= 0 {
		t.Errorf("measured %+v", s)
	}
	r = runCLI(t, v, "", "argon2-speed", "--seconds", "0.1")
	if r.code != 0 || !strings.Contains(r.stdout, "argon2id m=64,t=1,p=1: one hash") {
		t.Errorf("text: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"--seconds", "0"}, {"--seconds", "x"}, {"extra"}} {
		if r := runCLI(t, v, "", append([]string{"argon2-speed"}, args...)...); r.code == 0 || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	// Below OWASP's floor without the benchmark switch: refused.
	if r := runCLI(t, map[string]string{"TWOFOLD_ARGON2": "m=64,t=1,p=1"}, "", "argon2-speed"); r.code == 0 ||
		!strings.Contains(r.stderr, "TWOFOLD_ARGON2") {
		t.Errorf("weak hash without the switch: exit %d, %q", r.code, r.stderr)
	}
}
