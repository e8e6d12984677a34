package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// KeySize is the size of the server key: 256 bits for AES-256 and HMAC-SHA256.
const KeySize = 32

// Errors of this package.
var (
	// ErrKeyFormat: the key file does not hold 64 hexadecimal characters.
	ErrKeyFormat = errors.New("secret key file must hold 64 hexadecimal characters (32 random bytes)")
	// ErrOpen: a sealed value does not open with this key and location
	// (wrong key, tampered data, or data copied to another row).
	ErrOpen = errors.New("sealed value does not open with this key")
)

// Key is the server key. Its zero value is unusable.
type Key struct {
	raw  [KeySize]byte
	aead cipher.AEAD
}

// NewKey builds a Key from 32 raw bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, ErrKeyFormat
	}
	k := &Key{}
	copy(k.raw[:], raw)
	// The sealing key is derived with HKDF (RFC 5869), so the raw key
	// serves nothing else directly.
	encKey, err := hkdf.Key(sha256.New, k.raw[:], nil, "twofold v1 seal", KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive sealing key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return k, nil
}

// GenerateKey returns a new random key.
func GenerateKey() (*Key, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("random key: %w", err)
	}
	return NewKey(raw)
}

// LoadOrCreate reads the key file at path, or creates it (mode 0600, its
// directory 0700) with a new random key when it does not exist. created
// tells which happened.
func LoadOrCreate(path string) (k *Key, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := Parse(b)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("read secret key file: %w", err)
	}
	k, err = GenerateKey()
	if err != nil {
		return nil, false, err
	}
	if err := Write(path, k); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// Write stores k at path with mode 0600, refusing to overwrite a file. The
// file and its directory are synced before Write returns, so a crash right
// after it cannot leave the name without its content; on any failure the
// half-written file is removed.
func Write(path string, k *Key) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create secret key file: %w", err)
	}
	fail := func(what string, err error) error {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("%s secret key file %s: %w", what, path, err)
	}
	if _, err := f.WriteString(k.Encode() + "\n"); err != nil {
		return fail("write", err)
	}
	if err := syncFile(f); err != nil {
		return fail("sync", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("close secret key file %s: %w", path, err)
	}
	return SyncDir(dir)
}

// syncFile is (*os.File).Sync; tests replace it to make it fail.
var syncFile = (*os.File).Sync

// Replace renames from to to, replacing it atomically, and syncs the
// directory so that the rename survives a crash.
func Replace(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(to))
}

// SyncDir flushes a directory's entries (new, renamed or removed files) to
// the disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open key directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync key directory %s: %w", dir, err)
	}
	return nil
}

// Parse reads a key in the key file's format: 64 hexadecimal characters,
// surrounding white space ignored.
func Parse(b []byte) (*Key, error) {
	b = bytes.TrimSpace(b)
	if len(b) != 2*KeySize {
		return nil, ErrKeyFormat
	}
	raw := make([]byte, KeySize)
	if _, err := hex.Decode(raw, b); err != nil {
		return nil, ErrKeyFormat
	}
	return NewKey(raw)
}

// Encode returns the key in the key file's format.
func (k *Key) Encode() string { return hex.EncodeToString(k.raw[:]) }

// Fingerprint identifies the key without revealing it: the first 16 bytes
// of an HMAC of a fixed label, in hexadecimal.
func (k *Key) Fingerprint() string {
	m := hmac.New(sha256.New, k.raw[:])
	m.Write([]byte("twofold v1 key fingerprint"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Location names where a sealed value is stored. It is the associated data
// of AES-GCM: a value copied to another table, column or user fails to open.
type Location struct {
	Table  string
	Column string
	UserID int64
}

func (l Location) ad() []byte {
	return []byte(l.Table + "\x00" + l.Column + "\x00" + strconv.FormatInt(l.UserID, 10))
}

// Seal encrypts plaintext for storage at loc: nonce followed by ciphertext.
func (k *Key) Seal(plaintext []byte, loc Location) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("random nonce: %w", err)
	}
	return k.aead.Seal(nonce, nonce, plaintext, loc.ad()), nil
}

// Open decrypts a value sealed for loc.
func (k *Key) Open(sealed []byte, loc Location) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := k.aead.Open(nil, sealed[:n], sealed[n:], loc.ad())
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
