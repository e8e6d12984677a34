package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"twofold/server/internal/account/argon2id"
)

// Params are argon2id's cost parameters (TWOFOLD_ARGON2).
type Params struct {
	// Memory in KiB, Time in passes, Threads (lanes).
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultParams are OWASP's recommendation for argon2id (m = 19 MiB,
// t = 2, p = 1), the floor the project's rules set.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Floors below which TWOFOLD_ARGON2 is refused.
const (
	minMemoryKiB = 19 * 1024
	minTime      = 2
)

const (
	argonKeyLen  = 32
	argonSaltLen = 16
)

// String writes p as TWOFOLD_ARGON2 takes it: m=19456,t=2,p=1.
func (p Params) String() string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads)
}

// ParseParams reads "m=<KiB>,t=<passes>,p=<threads>" (any order). Memory
// below 19 MiB or fewer than 2 passes are refused (OWASP's floor).
func ParseParams(s string) (Params, error) {
	return parseParams(s, minMemoryKiB, minTime)
}

// ParseWeakParams is ParseParams without OWASP's floor (argon2's own
// minimums only: 8 KiB per lane, one pass). It exists for `make bench`,
// which measures what a sign-in costs besides the hash; never for users.
func ParseWeakParams(s string) (Params, error) {
	return parseParams(s, 8, 1)
}

func parseParams(s string, minMemory, minPasses uint32) (Params, error) {
	var p Params
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		if !ok || err != nil || seen[k] {
			return p, fmt.Errorf("%q is not like m=19456,t=2,p=1", s)
		}
		seen[k] = true
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n < 1 || n > 255 {
				return p, fmt.Errorf("p=%d: threads must be 1 to 255", n)
			}
			p.Threads = uint8(n)
		default:
			return p, fmt.Errorf("%q is not like m=19456,t=2,p=1 (unknown %q)", s, k)
		}
	}
	switch {
	case !seen["m"] || !seen["t"] || !seen["p"]:
		return p, fmt.Errorf("%q must set m, t and p, like m=19456,t=2,p=1", s)
	case p.Memory < minMemory && minMemory == minMemoryKiB:
		return p, fmt.Errorf("m=%d: at least %d KiB (19 MiB)", p.Memory, minMemoryKiB)
	case p.Memory < minMemory || p.Memory < 8*uint32(p.Threads):
		return p, fmt.Errorf("m=%d: at least %d KiB (8 per lane)", p.Memory, max(minMemory, 8*uint32(p.Threads)))
	case p.Memory > 4<<20:
		return p, fmt.Errorf("m=%d: at most %d KiB (4 GiB)", p.Memory, 4<<20)
	case p.Time < minPasses:
		return p, fmt.Errorf("t=%d: at least %d passes", p.Time, minPasses)
	case p.Time > 100:
		return p, fmt.Errorf("t=%d: at most 100 passes", p.Time)
	}
	return p, nil
}

// Errors of this package's hasher.
var (
	// ErrMalformedHash is returned for a stored hash not in the PHC format.
	ErrMalformedHash = errors.New("malformed password hash")
	// ErrBusy is returned when no hash slot freed up within the hasher's
	// wait bound: the server is saturated (answered 503 with Retry-After).
	ErrBusy error = busyError{}
)

type busyError struct{}

func (busyError) Error() string { return "password hashing is saturated" }

// RetryAfterSeconds tells clients when to try again (httpx answers 503
// with Retry-After).
func (busyError) RetryAfterSeconds() int { return 1 }

// Hasher hashes and checks passwords with argon2id. At most a fixed number
// of hashes run at once (each takes Params.Memory), so a flood of logins
// queues instead of exhausting memory; a request that waits longer than
// the bound gets ErrBusy. Each slot keeps its hash memory from one hash to
// the next (argon2id.Memory): no sign-in allocates, zeroes or leaves to the
// collector Params.Memory of garbage, which cost more CPU than the hash's
// own blocks once the collector ran at the memory limit, and memory stays
// at slots × Params.Memory.
type Hasher struct {
	// slots holds one working memory per hash that may run at once: a
	// hash takes one out and puts it back.
	slots   chan *argon2id.Memory
	params  Params
	maxWait time.Duration
	waiting atomic.Int64
	// OnWait, if set, is told how long each hash waited for its slot
	// (metrics). Set it before the first hash.
	OnWait func(time.Duration)
	// dummy is a hash of a random password with the configured parameters,
	// checked when the user does not exist so that both answers take the
	// same time.
	dummy string
}

// NewHasher returns a Hasher with parameters p running at most n hashes at
// once (n <= 0: one per CPU) and waiting at most maxWait for a slot (0:
// as long as the request lasts).
func NewHasher(n int, p Params, maxWait time.Duration) *Hasher {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	if p == (Params{}) {
		p = DefaultParams
	}
	h := &Hasher{slots: make(chan *argon2id.Memory, n), params: p, maxWait: maxWait}
	for range n {
		// Empty until its first hash: an idle server holds no hash memory.
		h.slots <- new(argon2id.Memory)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic(err) // crypto/rand never fails on supported systems (Go 1.24+)
	}
	h.dummy = encode(p, salt, argon2id.Key(nil, salt, salt, p.Time, p.Memory, p.Threads, argonKeyLen))
	return h
}

// Params returns the hasher's parameters.
func (h *Hasher) Params() Params { return h.params }

// Slots is the number of hashes that may run at once.
func (h *Hasher) Slots() int { return cap(h.slots) }

// MemoryLimit is the Go runtime's soft memory limit that the server sets
// (serve): the memory of every slot's hash twice over (the hashes in
// flight, and as much of garbage from the last ones, which the collector
// frees at the limit rather than at twice the live heap) plus 24 MiB for
// everything else, and never below 64 MiB (with cheap hashes, a lower
// limit would only make the collector run more often). Peak RSS stays
// within 2 × (slots × memory) + 64 MiB, the binary's mapped pages
// included.
func (h *Hasher) MemoryLimit() int64 {
	return max(2*int64(cap(h.slots))*int64(h.params.Memory)<<10+24<<20, 64<<20)
}

// Waiting is the number of hashes waiting for a slot now.
func (h *Hasher) Waiting() int { return int(h.waiting.Load()) }

// acquire takes a slot and its memory, waiting at most maxWait.
func (h *Hasher) acquire(ctx context.Context) (*argon2id.Memory, error) {
	select {
	case m := <-h.slots:
		if h.OnWait != nil {
			h.OnWait(0)
		}
		return m, nil
	default:
	}
	if h.OnWait != nil {
		start := time.Now()
		defer func() { h.OnWait(time.Since(start)) }()
	}
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	var timeout <-chan time.Time
	if h.maxWait > 0 {
		t := time.NewTimer(h.maxWait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case m := <-h.slots:
		return m, nil
	case <-timeout:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (h *Hasher) release(m *argon2id.Memory) { h.slots <- m }

// key runs one argon2id hash in slot memory m. A hash larger than the
// configured parameters (a stored hash made with more memory, until its
// user's next sign-in replaces it) works in memory of its own, so that
// slots never keep more than Params.Memory each.
func (h *Hasher) key(m *argon2id.Memory, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	if memory > h.params.Memory {
		m = nil
	}
	return argon2id.Key(m, password, salt, time, memory, threads, keyLen)
}

// Hash returns the PHC string of password with a new random salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("random salt: %w", err)
	}
	m, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer h.release(m)
	p := h.params
	key := h.key(m, []byte(password), salt, p.Time, p.Memory, p.Threads, argonKeyLen)
	return encode(p, salt, key), nil
}

// NeedsRehash reports whether encoded was made with other parameters than
// the hasher's: it is replaced at the next successful sign-in, so imported
// or older hashes converge to the configured cost.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p.memory != h.params.Memory || p.time != h.params.Time || p.threads != h.params.Threads
}

// Verify reports whether password matches the PHC string encoded. An empty
// encoded (unknown user) is checked against a dummy hash, so the time taken
// does not tell whether the user exists; the answer is then always false.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	unknown := encoded == ""
	if unknown {
		encoded = h.dummy
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	m, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer h.release(m)
	got := h.key(m, []byte(password), salt, p.time, p.memory, p.threads, uint32(len(want)))
	ok := subtle.ConstantTimeCompare(got, want) == 1
	return ok && !unknown, nil
}

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
}

func encode(p Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2id.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(s string) (argonParams, []byte, []byte, error) {
	var p argonParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2id.Version {
		return p, nil, nil, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil ||
		p.memory < 8 || p.memory > 4<<20 || p.time < 1 || p.time > 100 || p.threads < 1 {
		// Out of these bounds a stored hash could make one check take the
		// whole machine's memory or time (or panic in argon2).
		return p, nil, nil, ErrMalformedHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) == 0 {
		return p, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
