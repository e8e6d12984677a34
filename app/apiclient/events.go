package apiclient

import (
	"sync"
	"sync/atomic"
	"time"

	"twofold/shared/api"
)

// What every call tells the console, whatever page made it: whether the
// server answered at all, whether the session has ended, and the
// server's clock.

var (
	hooksMu     sync.Mutex
	endedHooks  []func()
	reachHooks  []func(reachable bool)
	reachable   atomic.Int32 // 0 unknown, 1 reachable, 2 unreachable
	serverSkewN atomic.Int64 // server clock minus browser clock, in ns
)

// OnSessionEnded registers f to run when the session is known to be gone:
// a successful logout, or any answer unauthorized or login_expired. The
// console clears the account data it keeps in the browser there.
func OnSessionEnded(f func()) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	endedHooks = append(endedHooks, f)
}

// OnReachability registers f to run when calls start or stop reaching the
// server: f(false) after a call got no answer, f(true) after one got an
// answer while the server was unreachable.
func OnReachability(f func(reachable bool)) {
	hooksMu.Lock()
	defer hooksMu.Unlock()
	reachHooks = append(reachHooks, f)
}

// Reachable reports whether the last call got an answer (true before any
// call).
func Reachable() bool { return reachable.Load() != 2 }

func sessionEnded() {
	hooksMu.Lock()
	hooks := append([]func(){}, endedHooks...)
	hooksMu.Unlock()
	for _, f := range hooks {
		f()
	}
}

// answered records whether a call got an answer, and tells the hooks when
// that changes (the first answer tells nothing: nothing changed).
func answered(ok bool) {
	now := int32(2)
	if ok {
		now = 1
	}
	before := reachable.Swap(now)
	if before == now || (before == 0 && ok) {
		return
	}
	hooksMu.Lock()
	hooks := append([]func(bool){}, reachHooks...)
	hooksMu.Unlock()
	for _, f := range hooks {
		f(ok)
	}
}

// noteServerTime keeps the difference between the server's clock (the
// account's server_time) and the browser's.
func noteServerTime(acc *api.Account) {
	if acc.ServerTime.IsZero() {
		return
	}
	serverSkewN.Store(int64(time.Until(acc.ServerTime)))
}

// ServerNow is the server's time now, as far as the last account told: the
// time to compare the server's times (elevated_until) with, since the
// browser's clock may be wrong.
func ServerNow() time.Time {
	return time.Now().Add(time.Duration(serverSkewN.Load()))
}
