package account

import "crypto/rand"

// passwordAlphabet has no look-alikes (no i, l, o, 0, 1).
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// RandomPassword returns a password of about 99 random bits (20 characters
// of a 31-letter alphabet, from crypto/rand) that is easy to read and
// type: four groups of five characters, 23 characters in all. It passes the
// password policy of any username.
func RandomPassword() string {
	const groups, size = 4, 5
	b := make([]byte, 0, groups*size+groups-1)
	var buf [64]byte
	for n := 0; n < groups*size; {
		rand.Read(buf[:]) // never fails (crypto/rand since Go 1.24)
		for _, c := range buf {
			// Rejection sampling: 248 = 8 × 31, so every letter is as likely.
			if c >= 248 || n == groups*size {
				continue
			}
			if n > 0 && n%size == 0 {
				b = append(b, '-')
			}
			b = append(b, passwordAlphabet[int(c)%len(passwordAlphabet)])
			n++
		}
	}
	return string(b)
}
