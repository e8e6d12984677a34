package console_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/account"
	"twofold/server/internal/db"
	"twofold/server/internal/servertest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// TestHonestBurstFromOneIP: 300 parallel correct sign-ins (password and
// TOTP) from one IP, as behind a NAT, all succeed: the per-IP limit counts
// failures only, and no row is locked by every sign-in from one IP.
func TestHonestBurstFromOneIP(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("300 sign-ins")
	}
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		ctx := context.Background()
		const n = 300
		// Users with TOTP on, written directly (one hash for all): the test
		// is about the limits, not about hashing or enrolment.
		hash, err := account.NewHasher(1, e.Server.Config.Argon2, 0).Hash(ctx, "burst password 1")
		if err != nil {
			t.Fatal(err)
		}
		secrets := make([]string, n)
		for i := range n {
			now := e.Clock.Now()
			name := fmt.Sprintf("burst%03d", i)
			u := &db.User{Username: name, UsernameKey: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now, PasswordChangedAt: now}
			if _, err := e.Server.DB.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			raw := make([]byte, 20)
			raw[0], raw[1] = byte(i), byte(i>>8)
			if err := e.Server.TOTP.Begin(ctx, e.Server.DB, u.ID, raw); err != nil {
				t.Fatal(err)
			}
			setup, _ := e.Server.TOTP.SetupOf(u.Username, raw)
			secrets[i] = setup.Secret
			err = e.Server.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, ok, err := e.Server.TOTP.Enable(ctx, tx, u.ID, code(t, setup.Secret, e.Clock.Now()))
				if err == nil && !ok.OK {
					err = fmt.Errorf("enable refused")
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		e.Clock.Advance(30 * time.Second)
		var wg sync.WaitGroup
		var mu sync.Mutex
		fails := map[string]int{}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := e.NewClient()
				name := fmt.Sprintf("burst%03d", i)
				r := c.Do("POST", api.PathLogin, map[string]string{"username": name, "password": "burst password 1"})
				// A saturated hasher answers 503 with Retry-After (its queue
				// is bounded): an honest client comes back. That is load
				// shedding, not a limit.
				for try := 0; r.Status == 503 && r.Header.Get("Retry-After") != "" && try < 20; try++ {
					time.Sleep(time.Second)
					r = c.Do("POST", api.PathLogin, map[string]string{"username": name, "password": "burst password 1"})
				}
				if r.Status == 200 {
					r = c.Do("POST", api.PathVerify, map[string]string{"code": code(t, secrets[i], e.Clock.Now())})
				}
				if r.Status != 200 {
					mu.Lock()
					fails[fmt.Sprintf("%d %s", r.Status, r.Code())]++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(fails) > 0 {
			t.Fatalf("correct sign-ins refused: %v", fails)
		}
	})
}

// TestParallelWrongCodesCappedExactly: 30 parallel wrong codes on one
// account: exactly 10 are checked, the rest get 429 (the account's counter
// is counted under the user's lock, before any further check).
func TestParallelWrongCodesCappedExactly(t *testing.T) {
	t.Parallel()
	testdb.Engines(t, func(t *testing.T, url string) {
		e := servertest.Start(t, url, servertest.Options{})
		c := e.NewClient()
		c.Login(admin, servertest.AdminPassword)
		enable(t, e, c, nil)
		clients := make([]*servertest.Client, 30)
		for i := range clients {
			clients[i] = loginTOTP(t, e, admin, servertest.AdminPassword)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		status := map[int]int{}
		for _, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := cl.Do("POST", api.PathVerify, map[string]string{"code": "000000"})
				mu.Lock()
				status[r.Status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if status[401] != 10 || status[429] != 20 {
			t.Fatalf("30 parallel wrong codes: %v, want 10×401 and 20×429", status)
		}
	})
}
