package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum for argon2id (m = 19 MiB, t = 2,
// p = 1), which API.md and the issue require as a floor.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// ErrMalformedHash: a stored hash is not in the expected PHC format.
var ErrMalformedHash = errors.New("malformed password hash")

// Hasher hashes and checks passwords with argon2id. At most a fixed number
// of hashes run at once (each takes 19 MiB), so a flood of logins queues
// instead of exhausting memory.
type Hasher struct {
	slots chan struct{}
	// dummy is a hash of a random password, checked when the user does not
	// exist so that both answers take the same time.
	dummy string
}

// NewHasher returns a Hasher running at most n hashes at once (n <= 0: one
// per CPU).
func NewHasher(n int) *Hasher {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	h := &Hasher{slots: make(chan struct{}, n)}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	h.dummy = encode(salt, argon2.IDKey(salt, salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen))
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of password with a new random salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("random salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return encode(salt, key), nil
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
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(want)))
	ok := subtle.ConstantTimeCompare(got, want) == 1
	return ok && !unknown, nil
}

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
}

func encode(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

func decode(s string) (argonParams, []byte, []byte, error) {
	var p argonParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
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
