package cli

import (
	"log/slog"
	"os"
	"runtime/debug"

	"twofold/server/internal/account"
)

// limitMemory sets the Go runtime's soft memory limit from the password
// hasher (Hasher.MemoryLimit), unless GOMEMLIMIT sets one: without it the
// collector lets the heap grow to twice the live heap, and the live heap
// holds every slot's argon2 memory during a burst of sign-ins.
func limitMemory(h *account.Hasher, logger *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	n := h.MemoryLimit()
	debug.SetMemoryLimit(n)
	logger.Info("memory limit", "mib", n>>20, "hash_slots", h.Slots(), "argon2", h.Params().String())
}
