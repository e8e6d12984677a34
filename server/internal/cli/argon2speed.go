package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"twofold/server/internal/account"
)

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
	s := account.MeasureSpeed(ctx, cfg.Argon2, 0, time.Duration(*seconds*float64(time.Second)))
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(s)
	}
	_, err = fmt.Fprintf(env.Stdout, "argon2id %s: one hash %.1f ms (%.1f ms of CPU with %d at once); at most %.1f hashes/s with %d slots\n",
		s.Argon2, s.OneMs, s.CPUms, s.Slots, s.LimitPerS, s.Slots)
	return err
}
