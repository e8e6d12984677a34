package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"twofold/server/internal/account"
)

// Speed is what argon2-speed measured: the password hash of
// TWOFOLD_ARGON2 in this binary, on this machine.
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

// argon2Speed measures the configured password hash in this binary: the
// server's own hasher, so the figure is the server's, not that of another
// build (the same argon2 code ran 30 % slower in the load generator's
// binary on one machine, in repeated runs; probably code and data placement,
// which differ between binaries).
// It helps to choose TWOFOLD_ARGON2, and `make bench` compares sign-ins
// per second with it.
func argon2Speed(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("argon2-speed", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	seconds := fs.Float64("seconds", 3, "how long every slot hashes")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *seconds <= 0 || *seconds > 600 {
		return fmt.Errorf("argon2-speed takes --seconds (0 to 600) and --json only")
	}
	cfg, _, err := loadConfig(env)
	if err != nil {
		return err
	}
	s := MeasureSpeed(ctx, cfg.Argon2, 0, time.Duration(*seconds*float64(time.Second)))
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(s)
	}
	_, err = fmt.Fprintf(env.Stdout, "argon2id %s: one hash %.1f ms (%.1f ms of CPU with %d at once); at most %.1f hashes/s with %d slots\n",
		s.Argon2, s.OneMs, s.CPUms, s.Slots, s.LimitPerS, s.Slots)
	return err
}

// MeasureSpeed times a hasher with p and slots slots (0: one per CPU, as
// the server): one hash alone, then every slot hashing for dur.
func MeasureSpeed(ctx context.Context, p account.Params, slots int, dur time.Duration) Speed {
	const password = "correct horse battery staple"
	h := account.NewHasher(slots, p, 0)
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
