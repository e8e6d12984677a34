package argon2id

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestSameAsXCrypto: Key gives argon2.IDKey's output for every parameter
// shape the server accepts, with fresh memory and with one Memory reused
// across hashes of other sizes and inputs (what an earlier hash left
// behind must not change the result).
func TestSameAsXCrypto(t *testing.T) {
	cases := []struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}{
		{1, 8, 1, 32},
		{1, 64, 1, 32},
		{2, 64, 1, 16},
		{3, 100, 1, 32}, // memory not a multiple of 4·threads
		{1, 1024, 2, 32},
		{2, 1024, 4, 64},
		{4, 333, 3, 32},
		{2, 19456, 1, 32}, // the default (OWASP)
		{1, 9, 1, 32},
	}
	reused := new(Memory)
	for i, c := range cases {
		for _, pw := range []string{"", "correct horse battery staple", "mot de passe très long ünïcödé"} {
			salt := []byte(fmt.Sprintf("salt-%02d-0123456789", i))
			want := argon2.IDKey([]byte(pw), salt, c.time, c.memory, c.threads, c.keyLen)
			if got := Key(nil, []byte(pw), salt, c.time, c.memory, c.threads, c.keyLen); !bytes.Equal(got, want) {
				t.Fatalf("%+v %q: fresh memory: %x, want %x", c, pw, got, want)
			}
			if got := Key(reused, []byte(pw), salt, c.time, c.memory, c.threads, c.keyLen); !bytes.Equal(got, want) {
				t.Fatalf("%+v %q: reused memory (%d KiB): %x, want %x", c, pw, reused.Size(), got, want)
			}
		}
	}
	if reused.Size() < 19456 {
		t.Fatalf("reused memory holds %d KiB, want it grown to the largest hash", reused.Size())
	}
	// A dirty buffer larger than needed, then a smaller hash.
	want := argon2.IDKey([]byte("pw"), []byte("saltsaltsaltsalt"), 2, 64, 1, 32)
	if got := Key(reused, []byte("pw"), []byte("saltsaltsaltsalt"), 2, 64, 1, 32); !bytes.Equal(got, want) {
		t.Fatalf("small hash after a large one: %x, want %x", got, want)
	}
}

// TestReusedMemoryDoesNotAllocate: a hash in a Memory that is large enough
// allocates only its result and small temporaries, not its 4 MiB of blocks.
func TestReusedMemoryDoesNotAllocate(t *testing.T) {
	m := new(Memory)
	salt := []byte("0123456789abcdef")
	Key(m, []byte("pw"), salt, 1, 4096, 1, 32)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 5
	for range n {
		Key(m, []byte("pw"), salt, 1, 4096, 1, 32)
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 64<<10 {
		t.Fatalf("a hash in reused memory allocates %d bytes, want far below its 4 MiB", per)
	}
}

func BenchmarkKey(b *testing.B) {
	salt := []byte("0123456789abcdef")
	b.Run("x/crypto", func(b *testing.B) {
		for b.Loop() {
			argon2.IDKey([]byte("pw"), salt, 2, 19456, 1, 32)
		}
	})
	b.Run("reused", func(b *testing.B) {
		m := new(Memory)
		for b.Loop() {
			Key(m, []byte("pw"), salt, 2, 19456, 1, 32)
		}
	})
}
