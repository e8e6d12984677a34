package account

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"twofold/shared/validate"
)

func TestHashFormatAndVerify(t *testing.T) {
	h := NewHasher(2, DefaultParams, 0)
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
	h := NewHasher(2, DefaultParams, 0)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := h.acquire(ctx)
			if err != nil {
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
			h.release(m)
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
	h := NewHasher(0, DefaultParams, 0)
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

func TestParseParams(t *testing.T) {
	for in, want := range map[string]string{
		"m=19456,t=2,p=1":      "m=19456,t=2,p=1",
		" t=3 , m=65536, p=2 ": "m=65536,t=3,p=2",
	} {
		p, err := ParseParams(in)
		if err != nil || p.String() != want {
			t.Errorf("ParseParams(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "m=19456,t=2", "m=1024,t=2,p=1", "m=19456,t=1,p=1", "m=19456,t=2,p=0",
		"m=19456,t=2,p=1,x=3", "m=a,t=2,p=1", "m=19456,m=19456,t=2,p=1", "m=99999999,t=2,p=1"} {
		if _, err := ParseParams(in); err == nil {
			t.Errorf("ParseParams(%q) accepted", in)
		}
	}
}

func TestRehashAndDummyFollowTheParameters(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(1, DefaultParams, 0)
	enc, err := old.Hash(ctx, "a fine password")
	if err != nil {
		t.Fatal(err)
	}
	p := Params{Memory: 24 * 1024, Time: 3, Threads: 1}
	h := NewHasher(1, p, 0)
	if !h.NeedsRehash(enc) || old.NeedsRehash(enc) {
		t.Fatal("NeedsRehash does not compare the parameters")
	}
	if ok, err := h.Verify(ctx, enc, "a fine password"); !ok || err != nil {
		t.Fatalf("an old hash must still verify: %v %v", ok, err)
	}
	if !strings.Contains(h.dummy, "$m=24576,t=3,p=1$") {
		t.Fatalf("dummy hash %s does not use the configured parameters", h.dummy)
	}
	enc2, _ := h.Hash(ctx, "a fine password")
	if h.NeedsRehash(enc2) || !strings.Contains(enc2, "$m=24576,t=3,p=1$") {
		t.Fatalf("new hash %s", enc2)
	}
	if _, _, _, err := decode("$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$a2V5"); err == nil {
		t.Fatal("a stored hash asking for 95 GiB is accepted")
	}
}

func TestHasherBusyAfterTheWaitBound(t *testing.T) {
	h := NewHasher(1, DefaultParams, 50*time.Millisecond)
	ctx := context.Background()
	m, err := h.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer h.release(m)
	start := time.Now()
	if _, err := h.acquire(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("second acquire: %v, want ErrBusy", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Fatalf("waited %v", d)
	}
}

// TestMemoryLimit: the soft memory limit the server sets is every slot's
// hash memory twice over plus 24 MiB, and never below 64 MiB.
func TestMemoryLimit(t *testing.T) {
	for _, tt := range []struct {
		slots int
		p     Params
		want  int64
	}{
		{2, DefaultParams, 2*2*19456<<10 + 24<<20},
		{4, Params{Memory: 65536, Time: 2, Threads: 1}, 2*4*65536<<10 + 24<<20},
		{2, Params{Memory: 64, Time: 1, Threads: 1}, 64 << 20},
	} {
		if got := NewHasher(tt.slots, tt.p, 0).MemoryLimit(); got != tt.want {
			t.Errorf("%d slots of %s: got %d, want %d", tt.slots, tt.p, got, tt.want)
		}
	}
}

// TestHasherReusesSlotMemory: a check with the configured parameters works
// in its slot's memory (no 19 MiB allocated per sign-in), and a stored hash
// made with more memory works in memory of its own, which the slot does
// not keep.
func TestHasherReusesSlotMemory(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(1, DefaultParams, 0)
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 3 {
		if ok, err := h.Verify(ctx, enc, "correct horse"); !ok || err != nil {
			t.Fatalf("verify: %v %v", ok, err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 3; per > 1<<20 {
		t.Fatalf("a check allocates %d bytes, want its slot's memory reused", per)
	}
	big := Params{Memory: 2 * DefaultParams.Memory, Time: 2, Threads: 1}
	encBig, err := NewHasher(1, big, 0).Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, encBig, "correct horse"); !ok || err != nil {
		t.Fatalf("verify a larger stored hash: %v %v", ok, err)
	}
	m := <-h.slots
	defer func() { h.slots <- m }()
	if m.Size() != DefaultParams.Memory {
		t.Fatalf("the slot keeps %d KiB, want %d (the configured parameters only)", m.Size(), DefaultParams.Memory)
	}
}
