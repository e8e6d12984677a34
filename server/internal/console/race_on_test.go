//go:build race

package console_test

// raceEnabled: the race detector slows code paths unevenly, so timing
// comparisons are not meaningful under it.
const raceEnabled = true
