package account

import (
	"context"
	"runtime/debug"
	"slices"
	"syscall"
	"time"
)

// Speed is what MeasureSpeed found: a password hash in this binary, on
// this machine (`twofold argon2-speed` prints it).
type Speed struct {
	Argon2 string `json:"argon2"`
	// Slots is the number of hashes the server runs at once (one per CPU).
	Slots int `json:"slots"`
	// OneMs is one hash alone (the median of seven), in milliseconds.
	OneMs float64 `json:"one_hash_ms"`
	// CPUms is the CPU time of one hash while every slot hashes.
	CPUms float64 `json:"cpu_ms_per_hash"`
	// LimitPerS is hashes per second with every slot busy: what bounds
	// sign-ins per second.
	LimitPerS float64 `json:"limit_per_second"`
}

// MeasureSpeed times a hasher with p and slots slots (0: one per CPU, as
// the server): one hash alone, then every slot hashing for dur.
func MeasureSpeed(ctx context.Context, p Params, slots int, dur time.Duration) Speed {
	const password = "correct horse battery staple"
	h := NewHasher(slots, p, 0)
	slots = h.Slots()
	enc, _ := h.Hash(ctx, password)
	var one []time.Duration
	for range 7 {
		t := time.Now()
		_, _ = h.Verify(ctx, enc, password)
		one = append(one, time.Since(t))
	}
	slices.Sort(one)
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	done := make(chan int)
	t0 := time.Now()
	deadline := t0.Add(dur)
	for range slots {
		go func() {
			k := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				_, _ = h.Verify(ctx, enc, password)
				k++
			}
			done <- k
		}()
	}
	total := 0
	for range slots {
		total += <-done
	}
	wall := time.Since(t0)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	// The slots' memory goes back to the system now.
	debug.FreeOSMemory()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Speed{Argon2: p.String(), Slots: slots, OneMs: ms(one[len(one)/2]),
		CPUms: ms(cpu) / float64(max(total, 1)), LimitPerS: float64(total) / wall.Seconds()}
}
