package account

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"
)

// FuzzDecodePHC feeds arbitrary strings to the PHC parser of stored
// password hashes: it never panics, fails only with ErrMalformedHash, and
// what it accepts has a key and re-encodes to a string it reads back the
// same. Any salt and key it encodes itself read back exactly.
func FuzzDecodePHC(f *testing.F) {
	h := NewHasher(1, DefaultParams, 0)
	f.Add(h.dummy, []byte("0123456789abcdef"), []byte("k"))
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5", []byte{}, []byte{0})
	f.Add("$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", []byte{1}, []byte{2})
	f.Add("$argon2id$v=18$m=1,t=1,p=1$$", []byte(nil), []byte(nil))
	f.Add("$argon2id$v=19$m=-1,t=+2,p=300$c2FsdA$a2V5", []byte{}, []byte{})
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA==$a2V5$", []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, s string, salt, key []byte) {
		p, gotSalt, gotKey, err := decode(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("decode(%q): %v, want ErrMalformedHash", s, err)
			}
		} else {
			if len(gotKey) == 0 {
				t.Fatalf("decode(%q) accepted an empty key", s)
			}
			// Its canonical form reads back the same.
			canonical := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
				base64.RawStdEncoding.EncodeToString(gotSalt), base64.RawStdEncoding.EncodeToString(gotKey))
			p2, salt2, key2, err := decode(canonical)
			if err != nil || p2 != p || !bytes.Equal(salt2, gotSalt) || !bytes.Equal(key2, gotKey) {
				t.Fatalf("decode(%q) = %+v, but its canonical form %q: %+v %v", s, p, canonical, p2, err)
			}
		}
		if len(key) == 0 {
			return
		}
		d := DefaultParams
		p, gotSalt, gotKey, err = decode(encode(d, salt, key))
		if err != nil || p != (argonParams{memory: d.Memory, time: d.Time, threads: d.Threads}) ||
			!bytes.Equal(gotSalt, salt) || !bytes.Equal(gotKey, key) {
			t.Fatalf("round trip of salt %x key %x: %+v %x %x %v", salt, key, p, gotSalt, gotKey, err)
		}
	})
}
