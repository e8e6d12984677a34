package server

import (
	"crypto/rand"
	"math/big"
)

// randIntn returns a uniform random int in [0, n) from crypto/rand.
func randIntn(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return int(v.Int64())
}
