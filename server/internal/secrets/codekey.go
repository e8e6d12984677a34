package secrets

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// CodeKey keys the HMACs of stored codes (backup codes, email codes). It
// is random, kept in the database sealed with the server Key, so that
// rotating the server key re-seals it instead of invalidating every
// backup code.
type CodeKey struct {
	raw [KeySize]byte
}

// CodeKeyLocation is where the sealed CodeKey is stored.
var CodeKeyLocation = Location{Table: "meta", Column: "code_hmac_key", UserID: 0}

// NewCodeKey returns a random CodeKey.
func NewCodeKey() (*CodeKey, error) {
	c := &CodeKey{}
	if _, err := rand.Read(c.raw[:]); err != nil {
		return nil, fmt.Errorf("random code key: %w", err)
	}
	return c, nil
}

// SealCodeKey seals c with k for storage.
func (k *Key) SealCodeKey(c *CodeKey) ([]byte, error) {
	return k.Seal(c.raw[:], CodeKeyLocation)
}

// OpenCodeKey opens a CodeKey sealed with k.
func (k *Key) OpenCodeKey(sealed []byte) (*CodeKey, error) {
	raw, err := k.Open(sealed, CodeKeyLocation)
	if err != nil {
		return nil, err
	}
	if len(raw) != KeySize {
		return nil, ErrOpen
	}
	c := &CodeKey{}
	copy(c.raw[:], raw)
	return c, nil
}

// MAC returns HMAC-SHA256 of code under c, with a per-code salt and a
// purpose label, so a MAC of one kind of code never stands for another.
func (c *CodeKey) MAC(purpose string, salt, code []byte) []byte {
	m := hmac.New(sha256.New, c.raw[:])
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(salt)
	m.Write([]byte{0})
	m.Write(code)
	return m.Sum(nil)
}

// Equal compares two MACs in constant time.
func Equal(a, b []byte) bool { return hmac.Equal(a, b) }
