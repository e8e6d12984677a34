package console_test

import (
	"os"
	"testing"

	"twofold/server/internal/servertest"
)

// TestMain gives the test servers cheap password hashes: these tests are
// about the console's rules, not the hashes' cost, and at the default
// parameters hashing was most of the package's time under the race
// detector (0.4 s a hash). TestArgon2ParametersConverge sets the real
// parameters itself.
func TestMain(m *testing.M) {
	servertest.Argon2 = servertest.CheapArgon2
	os.Exit(m.Run())
}
