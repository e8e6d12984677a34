package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/shared/api"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBuilds()
	os.Exit(code)
}

const userPassword = "a long enough password"

// code returns the TOTP code of secret for the step at now+offset steps
// (the real clock: the processes have no fake one).
func code(t testing.TB, secret string, offset int) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Now().Add(time.Duration(offset)*30*time.Second),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fixture is a running two-instance cluster with a signed-in admin.
type fixture struct {
	c     *Cluster
	a, b  *Instance
	admin *Client
	n     atomic.Int64
}

func newFixture(t *testing.T, vars map[string]string) *fixture {
	bin := Build(t)
	c := New(t, vars)
	f := &fixture{c: c}
	f.a = c.Start("A", bin, nil)
	f.b = c.Start("B", bin, nil)
	f.admin = c.NewClient()
	f.admin.On(f.a).Login("admin", servertest.AdminPassword)
	return f
}

// user creates a user through the admin API (on A) and returns its id and
// name.
func (f *fixture) user(t *testing.T, email bool) (int64, string) {
	t.Helper()
	name := fmt.Sprintf("user%d", f.n.Add(1))
	body := map[string]any{"username": name, "password": userPassword}
	if email {
		body["email"] = name + "@example.com"
	}
	var cr api.AdminUserCreated
	f.admin.On(f.a).Must(201, "POST", api.PathAdminUsers, body).JSON(t, &cr)
	return cr.User.ID, name
}

// totpUser creates a user with TOTP on and returns its name, secret and
// backup codes. The secret's current step is used up by the enabling.
func (f *fixture) totpUser(t *testing.T) (string, string, []string) {
	t.Helper()
	_, name := f.user(t, true)
	cl := f.c.NewClient().On(f.a)
	cl.Login(name, userPassword)
	var setup api.TOTPSetup
	cl.Must(200, "POST", api.PathTOTPSetup, map[string]any{}).JSON(t, &setup)
	var en api.TOTPEnabled
	cl.Must(200, "POST", api.PathTOTPEnable, map[string]string{"code": code(t, setup.Secret, 0)}).JSON(t, &en)
	return name, setup.Secret, en.BackupCodes
}

// TestCluster: two instances on one database behave as one server.
func TestCluster(t *testing.T) {
	f := newFixture(t, map[string]string{config.EnvTestJobsEvery: "300ms"})
	a, b := f.a, f.b

	t.Run("password on A, TOTP on B", func(t *testing.T) {
		name, secret, _ := f.totpUser(t)
		cl := f.c.NewClient()
		var lr api.LoginResponse
		cl.On(a).Login(name, userPassword).JSON(t, &lr)
		if lr.Status != "verify" || lr.Method != "totp" {
			t.Fatalf("login on A: %+v", lr)
		}
		// The step after the enabling one: accepted (±1 step), unused.
		cl.On(b).Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, secret, 1)})
		cl.On(a).Must(200, "GET", api.PathAccount, nil)
		cl.On(b).Must(200, "GET", api.PathAccount, nil)
	})

	t.Run("email code mailed by A is accepted by B once", func(t *testing.T) {
		id, name := f.user(t, true)
		f.admin.On(b).Must(200, "PATCH", strings.Replace(api.PathAdminUser, "{id}", fmt.Sprint(id), 1), map[string]any{"email_verification": true})
		n := len(f.c.Mail.Mails())
		cl := f.c.NewClient()
		var lr api.LoginResponse
		cl.On(a).Login(name, userPassword).JSON(t, &lr)
		if lr.Method != "email" {
			t.Fatalf("login on A: %+v", lr)
		}
		m := f.c.Mail.Wait(n, func(m smtptest.Mail) bool { return smtptest.To(name+"@example.com")(m) && m.Code() != "" })
		// The same code with the same pending session, to A and B at once.
		statuses := race(t, 10, func(i int) int {
			in := []*Instance{a, b}[i%2]
			return cl.On(in).Do("POST", api.PathVerify, map[string]string{"code": m.Code()}).Status
		})
		if statuses[200] != 1 {
			t.Fatalf("statuses %v, want exactly one 200", statuses)
		}
	})

	t.Run("TOTP code accepted on A is refused on B", func(t *testing.T) {
		name, secret, _ := f.totpUser(t)
		onA, onB := f.c.NewClient(), f.c.NewClient()
		onA.On(a).Login(name, userPassword)
		onB.On(b).Login(name, userPassword)
		c := code(t, secret, 1)
		onA.On(a).Must(200, "POST", api.PathVerify, map[string]string{"code": c})
		r := onB.On(b).Do("POST", api.PathVerify, map[string]string{"code": c})
		if r.Status != 401 || r.Code() != api.CodeInvalidCode {
			t.Fatalf("the same code on B: %d %s, want 401 invalid_code", r.Status, r.Body)
		}
	})

	t.Run("one backup code, 20 parallel tries on A and B", func(t *testing.T) {
		name, _, backups := f.totpUser(t)
		cls := make([]*Client, 20)
		for i := range cls {
			cls[i] = f.c.NewClient()
			cls[i].On([]*Instance{a, b}[i%2]).Login(name, userPassword)
		}
		statuses := race(t, 20, func(i int) int {
			return cls[i].On([]*Instance{b, a}[i%2]).Do("POST", api.PathVerify, map[string]string{"code": backups[0]}).Status
		})
		// The failures lock the second factor after 10: 401 then 429.
		if statuses[200] != 1 || statuses[401]+statuses[429] != 19 {
			t.Fatalf("statuses %v, want one 200 and 19 401 or 429", statuses)
		}
	})

	t.Run("10 wrong codes over A and B lock both", func(t *testing.T) {
		name, secret, _ := f.totpUser(t)
		cl := f.c.NewClient()
		cl.On(a).Login(name, userPassword)
		wrong := fmt.Sprintf("%06d", (atoiCode(code(t, secret, 0))+500000)%1000000)
		for i := 0; i < 10; i++ {
			r := cl.On([]*Instance{a, b}[i%2]).Do("POST", api.PathVerify, map[string]string{"code": wrong})
			if r.Status != 401 {
				t.Fatalf("wrong code %d: %d %s, want 401", i+1, r.Status, r.Body)
			}
		}
		for _, in := range []*Instance{a, b} {
			r := cl.On(in).Do("POST", api.PathVerify, map[string]string{"code": code(t, secret, 1)})
			if r.Status != 429 || r.Code() != api.CodeRateLimited || r.Header.Get("Retry-After") == "" {
				t.Fatalf("on %s after 10 failures: %d %s, want 429 rate_limited", in.Name, r.Status, r.Body)
			}
		}
	})

	t.Run("logout on A kills the cookie on B", func(t *testing.T) {
		_, name := f.user(t, false)
		cl := f.c.NewClient()
		cookie := sessionCookie(t, cl.On(a).Login(name, userPassword))
		cl.On(b).Must(200, "GET", api.PathAccount, nil)
		cl.On(a).Must(204, "POST", api.PathLogout, nil)
		// The old cookie, replayed on B.
		other := f.c.NewClient()
		ob := other.On(b)
		ob.Headers["Cookie"] = cookie.Name + "=" + cookie.Value
		if r := ob.Do("GET", api.PathAccount, nil); r.Status != 401 || r.Code() != api.CodeUnauthorized {
			t.Fatalf("the logged-out cookie on B: %d %s", r.Status, r.Body)
		}
	})

	t.Run("step-up on A counts on B", func(t *testing.T) {
		name, secret, backups := f.totpUser(t)
		cl := f.c.NewClient()
		cl.On(a).Login(name, userPassword)
		cl.On(a).Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, secret, 1)})
		if r := cl.On(b).Do("POST", api.PathBackupCodes, nil); r.Status != 403 || r.Code() != api.CodeStepUpRequired {
			t.Fatalf("before the step-up, on B: %d %s", r.Status, r.Body)
		}
		// A backup code: the TOTP step after the enabling one is used up.
		cl.On(a).Must(200, "POST", api.PathAccountVerify, map[string]string{"code": backups[0]})
		cl.On(b).Must(200, "POST", api.PathBackupCodes, nil)
	})

	t.Run("admin sign-out on A ends sessions used on B", func(t *testing.T) {
		id, name := f.user(t, false)
		cl := f.c.NewClient()
		cl.On(b).Login(name, userPassword)
		cl.On(b).Must(200, "GET", api.PathAccount, nil)
		f.admin.On(a).Must(204, "POST", strings.Replace(api.PathAdminUserSignOut, "{id}", fmt.Sprint(id), 1), map[string]any{"reason": "test"})
		if r := cl.On(b).Do("GET", api.PathAccount, nil); r.Status != 401 {
			t.Fatalf("after the sign-out, on B: %d %s", r.Status, r.Body)
		}
	})

	t.Run("background jobs do their work once", func(t *testing.T) {
		testJobs(t, f)
	})

	// Last: it cuts the database.
	t.Run("database cut under load", func(t *testing.T) {
		testDatabaseCut(t, f)
	})
}

// testJobs: with both instances running the jobs every 300 ms, a reminder
// goes out once and expired sessions are purged once.
func testJobs(t *testing.T, f *fixture) {
	a, b := f.a, f.b
	name, secret, backups := f.totpUser(t)
	cl := f.c.NewClient()
	cl.On(a).Login(name, userPassword)
	cl.On(b).Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, secret, 1)})
	for i, bc := range backups[:4] { // 2 left: the backup-codes reminder is due
		cl.On([]*Instance{a, b}[i%2]).Must(200, "POST", api.PathAccountVerify, map[string]string{"code": bc})
	}
	var uid int64
	if err := f.c.DB.NewRaw("SELECT id FROM users WHERE username_key = ?", name).Scan(context.Background(), &uid); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	const expired = 5
	for i := 0; i < expired; i++ {
		if _, err := f.c.DB.NewInsert().Model(&db.Session{TokenHash: []byte(fmt.Sprintf("expired-%d", i)), UserID: uid, Level: db.LevelFull,
			Kind: db.KindConsole, CreatedAt: old, LastSeenAt: old, ExpiresAt: old}).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	low := func(m smtptest.Mail) bool {
		return smtptest.To(name+"@example.com")(m) && m.Subject == "Twofold: Few backup codes left"
	}
	f.c.Mail.Wait(0, low)
	time.Sleep(3 * time.Second) // 10 more periods of each job on each instance
	n := 0
	for _, m := range f.c.Mail.Mails() {
		if low(m) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d backup-codes reminders, want 1", n)
	}
	var left int
	if err := f.c.DB.NewRaw("SELECT count(*) FROM sessions WHERE user_id = ? AND expires_at < ?", uid, time.Now()).Scan(context.Background(), &left); err != nil || left != 0 {
		t.Errorf("%d expired sessions left (%v)", left, err)
	}
	var purged float64
	runs := map[string]int{}
	for _, in := range []*Instance{a, b} {
		for _, rec := range in.LogRecords("purge") {
			purged += rec["sessions"].(float64)
			runs[in.Name]++
		}
	}
	if purged != expired {
		t.Errorf("the purges of A and B removed %v sessions in all, want %d", purged, expired)
	}
	t.Logf("purge runs: %v; reminder runs: A %d, B %d", runs, len(a.LogRecords("reminders")), len(b.LogRecords("reminders")))
}

// testDatabaseCut: with PostgreSQL cut under load, both instances answer
// 503 unavailable within 5 s, health 200 and ready 503; when it is back
// they recover without a restart, and no transaction was half-written.
func testDatabaseCut(t *testing.T, f *fixture) {
	a, b := f.a, f.b
	name, secret, backups := f.totpUser(t)
	cl := f.c.NewClient()
	cl.On(a).Login(name, userPassword)
	cookie := sessionCookie(t, cl.On(a).Must(200, "POST", api.PathVerify, map[string]string{"code": code(t, secret, 1)}))
	cl.On(b).Must(200, "POST", api.PathAccountVerify, map[string]string{"code": backups[0]}) // elevated

	// Load: reads and backup-code regenerations (a delete and 6 inserts in
	// one transaction) on both instances.
	type result struct {
		status int
		code   string
	}
	var mu sync.Mutex
	results := map[result]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := []*Instance{a, b}[w%2]
			method, path := "GET", api.PathAccount
			if w >= 4 {
				method, path = "POST", api.PathBackupCodes
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				st, c := do(in, method, path, cookie)
				mu.Lock()
				results[result{st, c}]++
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	time.Sleep(500 * time.Millisecond)

	f.c.Proxy.Cut()
	cut := time.Now()
	for _, in := range []*Instance{a, b} {
		for {
			st, c := do(in, "GET", api.PathAccount, cookie)
			if st == 503 && c == api.CodeUnavailable {
				break
			}
			if time.Since(cut) > 5*time.Second {
				t.Fatalf("%s still answers %d %q 5 s after the cut", in.Name, st, c)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s answers 503 unavailable %v after the cut", in.Name, time.Since(cut).Round(time.Millisecond))
		if st, _ := Get(t, in.URL+api.PathHealth); st != 200 {
			t.Errorf("%s: health %d during the cut, want 200", in.Name, st)
		}
		if st, body := Get(t, in.URL+api.PathReady); st != 503 || !strings.Contains(body, api.CodeUnavailable) {
			t.Errorf("%s: ready %d %s during the cut, want 503 unavailable", in.Name, st, body)
		}
	}
	time.Sleep(time.Second) // load keeps hitting the cut database

	f.c.Proxy.Restore()
	back := time.Now()
	for _, in := range []*Instance{a, b} {
		for {
			st, _ := do(in, "GET", api.PathAccount, cookie)
			rst, _ := Get(t, in.URL+api.PathReady)
			if st == 200 && rst == 200 {
				break
			}
			if time.Since(back) > 15*time.Second {
				t.Fatalf("%s has not recovered 15 s after the database came back: account %d, ready %d", in.Name, st, rst)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("%s recovered %v after the database came back", in.Name, time.Since(back).Round(time.Millisecond))
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	for r, n := range results {
		if r.status != 200 && !(r.status == 503 && r.code == api.CodeUnavailable) {
			t.Errorf("%d answers %d %q under load, want only 200 and 503 unavailable", n, r.status, r.code)
		}
	}
	if results[result{503, api.CodeUnavailable}] == 0 || results[result{200, ""}] == 0 {
		t.Errorf("the load saw %v: want both 200 and 503", results)
	}
	// Nothing half-written: the user has exactly one whole set of codes.
	var unused, used int
	ctx := context.Background()
	if err := f.c.DB.NewRaw(`SELECT count(*) FILTER (WHERE used_at IS NULL), count(*) FILTER (WHERE used_at IS NOT NULL)
		FROM backup_codes WHERE user_id = (SELECT id FROM users WHERE username_key = ?)`, name).Scan(ctx, &unused, &used); err != nil {
		t.Fatal(err)
	}
	if unused != 6 || used != 0 {
		t.Errorf("after the cut the user has %d unused and %d used backup codes, want one whole set of 6", unused, used)
	}
	t.Logf("load answers: %v", results)
}

// sessionCookie returns the session cookie a response sets.
func sessionCookie(t *testing.T, r *servertest.Response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if strings.HasSuffix(c.Name, "twofold_session") {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", r.Header)
	return nil
}

// do sends one request with a session cookie and returns the status and
// error code (transport failures count as status 0).
func do(in *Instance, method, path string, cookie *http.Cookie) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, in.URL+path, nil)
	req.Host = PublicHost
	req.AddCookie(cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	var e struct {
		Code string `json:"code"`
	}
	json.NewDecoder(res.Body).Decode(&e)
	return res.StatusCode, e.Code
}

// race runs fn(0..n-1) at once and counts the statuses.
func race(t *testing.T, n int, fn func(i int) int) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	out := map[int]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := fn(i)
			mu.Lock()
			out[s]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func atoiCode(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
