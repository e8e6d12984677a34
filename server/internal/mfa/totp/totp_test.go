package totp

import (
	"testing"
	"time"

	"github.com/pquerna/otp"
)

// RFC 6238, Appendix B: the seeds are the ASCII strings of 20, 32 and 64
// bytes for SHA-1, SHA-256 and SHA-512; codes have 8 digits.
func TestRFC6238Vectors(t *testing.T) {
	seeds := map[otp.Algorithm][]byte{
		otp.AlgorithmSHA1:   []byte("12345678901234567890"),
		otp.AlgorithmSHA256: []byte("12345678901234567890123456789012"),
		otp.AlgorithmSHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	vectors := []struct {
		unix int64
		alg  otp.Algorithm
		code string
	}{
		{59, otp.AlgorithmSHA1, "94287082"},
		{59, otp.AlgorithmSHA256, "46119246"},
		{59, otp.AlgorithmSHA512, "90693936"},
		{1111111109, otp.AlgorithmSHA1, "07081804"},
		{1111111109, otp.AlgorithmSHA256, "68084774"},
		{1111111109, otp.AlgorithmSHA512, "25091201"},
		{1111111111, otp.AlgorithmSHA1, "14050471"},
		{1111111111, otp.AlgorithmSHA256, "67062674"},
		{1111111111, otp.AlgorithmSHA512, "99943326"},
		{1234567890, otp.AlgorithmSHA1, "89005924"},
		{1234567890, otp.AlgorithmSHA256, "91819424"},
		{1234567890, otp.AlgorithmSHA512, "93441116"},
		{2000000000, otp.AlgorithmSHA1, "69279037"},
		{2000000000, otp.AlgorithmSHA256, "90698825"},
		{2000000000, otp.AlgorithmSHA512, "38618901"},
		{20000000000, otp.AlgorithmSHA1, "65353130"},
		{20000000000, otp.AlgorithmSHA256, "77737706"},
		{20000000000, otp.AlgorithmSHA512, "47863826"},
	}
	for _, v := range vectors {
		o := Options{Algorithm: v.alg, Digits: otp.DigitsEight}
		now := time.Unix(v.unix, 0)
		step, ok := Match(seeds[v.alg], v.code, now, o)
		if !ok || step != v.unix/30 {
			t.Errorf("%s at %d: Match(%s) = %d, %v; want step %d", v.alg, v.unix, v.code, step, ok, v.unix/30)
		}
		if got, _ := Code(seeds[v.alg], v.unix/30, o); got != v.code {
			t.Errorf("%s at %d: Code = %s, want %s", v.alg, v.unix, got, v.code)
		}
		// One digit off is refused.
		wrong := []byte(v.code)
		wrong[0] = '0' + (wrong[0]-'0'+1)%10
		if _, ok := Match(seeds[v.alg], string(wrong), now, o); ok {
			t.Errorf("%s at %d: a wrong code matched", v.alg, v.unix)
		}
	}
}

func TestMatchWindow(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1_800_000_000, 0)
	center := Step(now)
	for offset, want := range map[int64]bool{-3: false, -2: false, -1: true, 0: true, 1: true, 2: false} {
		code, _ := Code(secret, center+offset, Options{})
		step, ok := Match(secret, code, now, Options{})
		if ok != want || (ok && step != center+offset) {
			t.Errorf("offset %d: step %d ok %v, want ok %v", offset, step, ok, want)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := Match(secret, bad, now, Options{}); ok {
			t.Errorf("%q matched", bad)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1_800_000_000, 0)
	code, _ := Code(secret, Step(now), Options{})
	for b.Loop() {
		if _, ok := Match(secret, code, now, Options{}); !ok {
			b.Fatal("no match")
		}
	}
}
