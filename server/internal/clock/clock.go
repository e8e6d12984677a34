// Package clock gives the server one source of time that tests can move.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time. Every service reads time through it, so tests move
// time (expiry, code windows, lockouts) instead of sleeping.
type Clock interface {
	Now() time.Time
}

// System is the real clock, in UTC and truncated to microseconds (what both
// databases store), so a time read back compares equal to the one written.
type System struct{}

// Now returns the current UTC time truncated to microseconds.
func (System) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Fake is a clock that only moves when told to. The zero value starts at the
// real time of its first use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{now: t.UTC().Truncate(time.Microsecond)} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.now.IsZero() {
		f.now = System{}.Now()
	}
	return f.now
}

// Advance moves the fake time forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.now.IsZero() {
		f.now = System{}.Now()
	}
	f.now = f.now.Add(d).Truncate(time.Microsecond)
}

// Set moves the fake time to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t.UTC().Truncate(time.Microsecond)
}
