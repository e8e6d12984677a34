package account

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"twofold/shared/validate"
)

func TestHashFormatAndVerify(t *testing.T) {
	h := NewHasher(2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "a fine password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %s: want argon2id m=19456 t=2 p=1", enc)
	}
	if ok, err := h.Verify(ctx, enc, "a fine password"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := h.Verify(ctx, enc, "a fine passwore"); ok {
		t.Fatal("wrong password accepted")
	}
	if ok, err := h.Verify(ctx, "", "anything"); ok || err != nil {
		t.Fatalf("unknown user: %v %v", ok, err)
	}
	if _, err := h.Verify(ctx, "$argon2id$garbage", "x"); err == nil {
		t.Fatal("malformed hash accepted")
	}
	enc2, _ := h.Hash(ctx, "a fine password")
	if enc == enc2 {
		t.Fatal("same salt twice")
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.acquire(ctx); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			h.release()
		}()
	}
	wg.Wait()
	if peak.Load() != 2 {
		t.Fatalf("peak %d hashes at once, want 2", peak.Load())
	}
	// A caller that gives up while waiting does not hash.
	h.acquire(ctx)
	h.acquire(ctx)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(cctx, "x"); err == nil {
		t.Fatal("hashed past the bound")
	}
}

func TestPasswordPolicy(t *testing.T) {
	tests := []struct{ user, pw, rule string }{
		{"alice", "", "required"},
		{"alice", "1234567", "min=8"},
		{"alice", strings.Repeat("x", 257), "max=256"},
		{"alice", strings.Repeat("é", 128), ""},
		{"alicealice", "AliceAlice", validate.RuleNotUsername},
		{"alice", "password", validate.RuleNotCommon},
		{"alice", "Qwertyuiop", validate.RuleNotCommon},
		{"alice", "iloveyou", validate.RuleNotCommon},
		{"alice", "correct horse battery", ""},
		{"alice", "12345678", validate.RuleNotCommon},
	}
	for _, tt := range tests {
		if got := CheckNewPassword(tt.user, tt.pw); got != tt.rule {
			t.Errorf("CheckNewPassword(%q, %q) = %q, want %q", tt.user, tt.pw, got, tt.rule)
		}
	}
	if n := len(commonPasswords()); n < 1000 {
		t.Fatalf("common list has %d entries, want at least 1000", n)
	}
}

func TestUsernames(t *testing.T) {
	for name, ok := range map[string]bool{"admin": true, "jean.dupont": true, "Élodie": true, "a@b": true, "": false, "with space": false, strings.Repeat("a", 65): false, "x<script>": false} {
		if ValidUsername(name) != ok {
			t.Errorf("ValidUsername(%q) = %v", name, !ok)
		}
	}
	if NormalizeUsername(" ÉLODIE ") != NormalizeUsername("élodie") {
		t.Error("normalisation is not case-insensitive for non-ASCII")
	}
}

// BenchmarkVerify measures one argon2id check (m = 19 MiB, t = 2, p = 1):
// the cost of a sign-in and what bounds sign-ins per second per core.
func BenchmarkVerify(b *testing.B) {
	h := NewHasher(0)
	ctx := context.Background()
	enc, _ := h.Hash(ctx, "a fine password")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _ := h.Verify(ctx, enc, "a fine password"); !ok {
				b.Error("no match")
			}
		}
	})
}
