package reminder_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"twofold/server/internal/account"
	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/reminder"
	"twofold/server/internal/servertest"
	"twofold/server/internal/smtptest"
	"twofold/server/internal/testdb"
	"twofold/shared/api"
)

// env is a server with a real SMTP server in the test process.
func env(t *testing.T, dbURL string, opts servertest.Options) (*servertest.Env, *smtptest.Server) {
	t.Helper()
	mails := smtptest.Start(t)
	opts.Vars = map[string]string{config.EnvSMTPURL: mails.URL()}
	return servertest.Start(t, dbURL, opts), mails
}

// seed makes a user with TOTP enabled at enabledAt (its secret is not
// needed here) and six backup codes of which unused are unused.
func seed(t *testing.T, e *servertest.Env, name, email string, enabledAt time.Time, unused int) int64 {
	t.Helper()
	ctx := context.Background()
	u, err := e.Server.Users.Create(ctx, e.Server.DB, account.NewUser{Username: name, Email: email, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	setTOTP(t, e, u.ID, enabledAt)
	setCodes(t, e, u.ID, unused)
	return u.ID
}

// setTOTP gives user uid a secret enabled at enabledAt (a renewal when it
// had one).
func setTOTP(t *testing.T, e *servertest.Env, uid int64, enabledAt time.Time) {
	t.Helper()
	row := &db.TOTPSecret{UserID: uid, Secret: []byte("sealed"), EnabledAt: &enabledAt, UpdatedAt: enabledAt}
	if _, err := e.Server.DB.NewInsert().Model(row).On("CONFLICT (user_id) DO UPDATE").Set("enabled_at = EXCLUDED.enabled_at").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// setCodes replaces user uid's backup codes with a new set of six, of
// which unused are unused.
func setCodes(t *testing.T, e *servertest.Env, uid int64, unused int) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Server.DB.NewDelete().Model((*db.BackupCode)(nil)).Where("user_id = ?", uid).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	now := e.Clock.Now()
	for i := 0; i < 6; i++ {
		c := &db.BackupCode{UserID: uid, Salt: []byte{byte(i)}, MAC: []byte{byte(i)}, CreatedAt: now}
		if i >= unused {
			c.UsedAt = &now
		}
		if _, err := e.Server.DB.NewInsert().Model(c).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// useCode marks one more of user uid's backup codes used.
func useCode(t *testing.T, e *servertest.Env, uid int64) {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := e.Server.DB.NewSelect().Model((*db.BackupCode)(nil)).Column("id").Where("user_id = ?", uid).
		Where("used_at IS NULL").Order("id").Limit(1).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Server.DB.NewUpdate().Model((*db.BackupCode)(nil)).Set("used_at = ?", e.Clock.Now()).Where("id = ?", id).Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// run runs the job once and returns the mails it sent.
func run(t *testing.T, e *servertest.Env, mails *smtptest.Server) ([]smtptest.Mail, reminder.Report) {
	t.Helper()
	n := len(mails.Mails())
	rep, err := e.Server.Reminders.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return mails.Mails()[n:], rep
}

const day = 24 * time.Hour

// TestReminderStages: 14 days and 3 days before 2FA turns "expired", one
// mail each, for a user with an email who is not disabled; nothing twice;
// a renewal starts fresh.
func TestReminderStages(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails := env(t, dbURL, servertest.Options{})
		expiry := e.Server.Config.TFAExpiry
		t0 := e.Clock.Now()
		alice := seed(t, e, "alice", "alice@example.com", t0, 6)
		seed(t, e, "nomail", "", t0, 6)
		carol := seed(t, e, "carol", "carol@example.com", t0, 6)
		if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("disabled = TRUE").Where("id = ?", carol).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name string
			at   time.Time
			want []string // subjects' and texts' fragments, one per mail
		}{
			{"enabled", t0, nil},
			{"15 days before", t0.Add(expiry - 15*day), nil},
			{"14 days before", t0.Add(expiry - 14*day), []string{"(in 14 days)"}},
			{"again", t0.Add(expiry - 14*day), nil},
			{"13 days before", t0.Add(expiry - 13*day), nil},
			{"4 days before", t0.Add(expiry - 4*day), nil},
			{"3 days before", t0.Add(expiry - 3*day), []string{"(in 3 days)"}},
			{"2 days before", t0.Add(expiry - 2*day), nil},
			{"expired", t0.Add(expiry + day), nil},
		}
		for _, s := range steps {
			e.Clock.Set(s.at)
			got, _ := run(t, e, mails)
			if len(got) != len(s.want) {
				t.Fatalf("%s: %d mails, want %d", s.name, len(got), len(s.want))
			}
			for i, w := range s.want {
				m := got[i]
				if !smtptest.To("alice@example.com")(m) || m.Subject != "Twofold: Renew your two-factor authentication" ||
					!strings.Contains(m.Text, w) || !strings.Contains(m.Text, e.Server.Config.PublicURL.String()+"/settings") {
					t.Fatalf("%s: mail to %v %q:\n%s", s.name, m.To, m.Subject, m.Text)
				}
			}
		}
		// A renewal starts fresh: its own 14-day reminder.
		renewed := e.Clock.Now()
		setTOTP(t, e, alice, renewed)
		e.Clock.Set(renewed.Add(expiry - 10*day))
		if got, _ := run(t, e, mails); len(got) != 1 || !strings.Contains(got[0].Text, "(in 10 days)") {
			t.Fatalf("after a renewal: %d mails", len(got))
		}
		// First seen within 3 days (the server was down): one mail only.
		late := seed(t, e, "late", "late@example.com", e.Clock.Now().Add(-expiry+2*day), 6)
		got, _ := run(t, e, mails)
		if len(got) != 1 || !smtptest.To("late@example.com")(got[0]) || !strings.Contains(got[0].Text, "(in 2 days)") {
			t.Fatalf("first seen 2 days before: %d mails", len(got))
		}
		var kinds []string
		if err := e.Server.DB.NewSelect().Model((*db.Reminder)(nil)).Column("kind").Where("user_id = ?", late).Scan(context.Background(), &kinds); err != nil || len(kinds) != 1 || kinds[0] != reminder.KindTFAExpiry3 {
			t.Fatalf("late user's reminders: %v %v", kinds, err)
		}
	})
}

// TestBackupCodesReminder: 2 or fewer unused backup codes, one mail per
// set of codes; a regeneration starts fresh.
func TestBackupCodesReminder(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails := env(t, dbURL, servertest.Options{})
		uid := seed(t, e, "alice", "alice@example.com", e.Clock.Now(), 3)
		if got, _ := run(t, e, mails); len(got) != 0 {
			t.Fatalf("3 codes left: %d mails", len(got))
		}
		useCode(t, e, uid)
		got, _ := run(t, e, mails)
		if len(got) != 1 || got[0].Subject != "Twofold: Few backup codes left" || !strings.Contains(got[0].Text, "Only 2 backup codes are left") {
			t.Fatalf("2 codes left: %d mails", len(got))
		}
		useCode(t, e, uid)
		if got, _ := run(t, e, mails); len(got) != 0 {
			t.Fatalf("1 code left, same set: %d mails", len(got))
		}
		setCodes(t, e, uid, 6) // regenerated
		if got, _ := run(t, e, mails); len(got) != 0 {
			t.Fatalf("new set: %d mails", len(got))
		}
		for i := 0; i < 4; i++ {
			useCode(t, e, uid)
		}
		if got, _ := run(t, e, mails); len(got) != 1 || !strings.Contains(got[0].Text, "Only 2 backup codes") {
			t.Fatalf("new set, 2 left: %d mails", len(got))
		}
		if got, _ := run(t, e, mails); len(got) != 0 {
			t.Fatalf("run again: %d mails", len(got))
		}
	})
}

// TestRemindersOnTwoInstances: two servers on one database run the job
// at the same moment, under their leases and without them, again and
// again: each reminder goes out once.
func TestRemindersOnTwoInstances(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		dir := t.TempDir()
		e1, mails := env(t, dbURL, servertest.Options{Dir: dir})
		e2 := servertest.Start(t, dbURL, servertest.Options{Dir: dir, Clock: e1.Clock, Vars: map[string]string{config.EnvSMTPURL: mails.URL()}})
		expiry := e1.Server.Config.TFAExpiry
		const users = 12
		for i := 0; i < users; i++ {
			name := "user" + string(rune('a'+i))
			seed(t, e1, name, name+"@example.com", e1.Clock.Now().Add(-expiry+5*day), 2)
		}
		var wg sync.WaitGroup
		leased := make(chan bool, 4)
		for round := 0; round < 3; round++ {
			for _, e := range []*servertest.Env{e1, e2} {
				wg.Add(2)
				go func() {
					defer wg.Done()
					if _, err := e.Server.Reminders.Run(context.Background()); err != nil {
						t.Error(err)
					}
				}()
				go func() {
					defer wg.Done()
					for _, j := range e.Server.Jobs() {
						if j.Name != "reminders" {
							continue
						}
						ran, err := e.Server.Leases.RunOnce(context.Background(), j)
						if err != nil {
							t.Error(err)
						}
						if round == 0 {
							leased <- ran
						}
					}
				}()
			}
			wg.Wait()
		}
		close(leased)
		ran := 0
		for r := range leased {
			if r {
				ran++
			}
		}
		if ran == 0 {
			t.Fatal("no instance ran the job under its lease")
		}
		if got := len(mails.Mails()); got != 2*users {
			t.Fatalf("%d mails, want %d (one expiry and one backup-code reminder per user)", got, 2*users)
		}
		seen := map[string]bool{}
		for _, m := range mails.Mails() {
			k := m.To[0] + "|" + m.Subject
			if seen[k] {
				t.Fatalf("twice: %s", k)
			}
			seen[k] = true
		}
		e1.Clock.Advance(time.Hour)
		for _, e := range []*servertest.Env{e1, e2} {
			if got, _ := run(t, e, mails); len(got) != 0 {
				t.Fatalf("after restart-like runs: %d more mails", len(got))
			}
		}
	})
}

// TestReminderRetries: a mail the server refused is tried again by a later
// run and sent once; one that keeps failing is given up; one whose cause
// went away is dropped; one left claimed by a run that died is never sent
// again.
func TestReminderRetries(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, dbURL string) {
		e, mails := env(t, dbURL, servertest.Options{})
		seed(t, e, "alice", "alice@example.com", e.Clock.Now(), 1)
		mails.Refuse(true)
		if got, rep := run(t, e, mails); len(got) != 0 || rep.Failed != 1 {
			t.Fatalf("refused: %d mails, report %+v", len(got), rep)
		}
		mails.Refuse(false)
		got, rep := run(t, e, mails)
		if len(got) != 1 || rep.Retried != 1 || rep.Sent != 1 {
			t.Fatalf("retry: %d mails, report %+v", len(got), rep)
		}
		if got, _ := run(t, e, mails); len(got) != 0 {
			t.Fatalf("after the retry: %d mails", len(got))
		}

		// Keeps failing: given up after MaxAttempts.
		bob := seed(t, e, "bob", "bob@example.com", e.Clock.Now(), 0)
		mails.Refuse(true)
		for i := 0; i < reminder.MaxAttempts+2; i++ {
			run(t, e, mails)
		}
		mails.Refuse(false)
		if got, _ := run(t, e, mails); len(got) != 0 {
			t.Fatalf("given up, then: %d mails", len(got))
		}
		var r db.Reminder
		if err := e.Server.DB.NewSelect().Model(&r).Where("user_id = ?", bob).Scan(context.Background()); err != nil || r.Attempts != reminder.MaxAttempts || r.SentAt != nil {
			t.Fatalf("given-up reminder: %+v %v", r, err)
		}

		// The cause went away (new codes) before the retry: dropped.
		carol := seed(t, e, "carol", "carol@example.com", e.Clock.Now(), 2)
		mails.Refuse(true)
		run(t, e, mails)
		mails.Refuse(false)
		setCodes(t, e, carol, 6)
		if got, rep := run(t, e, mails); len(got) != 0 || rep.Dropped != 1 {
			t.Fatalf("cause gone: %d mails, report %+v", len(got), rep)
		}

		// A run that died while sending left its claim: never sent again.
		dave := seed(t, e, "dave", "dave@example.com", e.Clock.Now(), 6)
		var setID int64
		if err := e.Server.DB.NewSelect().Model((*db.BackupCode)(nil)).ColumnExpr("min(id)").Where("user_id = ?", dave).Scan(context.Background(), &setID); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			useCode(t, e, dave)
		}
		now := e.Clock.Now()
		claimed := &db.Reminder{UserID: dave, Kind: reminder.KindBackupCodesLow, Ref: itoa(setID), CreatedAt: now, ClaimedAt: &now, Attempts: 1}
		if _, err := e.Server.DB.NewInsert().Model(claimed).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, _ := run(t, e, mails); len(got) != 0 {
			t.Fatalf("claimed by a dead run: %d mails", len(got))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestReminderBounds: a run sends at most its batch and stops at its time
// budget; the next runs go on.
func TestReminderBounds(t *testing.T) {
	e, mails := env(t, testdb.SQLite(t), servertest.Options{})
	for i := 0; i < 5; i++ {
		name := "user" + string(rune('a'+i))
		seed(t, e, name, name+"@example.com", e.Clock.Now(), 0)
	}
	e.Server.Reminders.Batch = 2
	for i, want := range []struct {
		mails int
		more  bool
	}{{2, true}, {2, true}, {1, false}, {0, false}} {
		got, rep := run(t, e, mails)
		if len(got) != want.mails || rep.More != want.more {
			t.Fatalf("run %d: %d mails, report %+v; want %d, more %v", i, len(got), rep, want.mails, want.more)
		}
	}
	seed(t, e, "late", "late@example.com", e.Clock.Now(), 0)
	e.Server.Reminders.Budget = time.Nanosecond
	got, rep := run(t, e, mails)
	if len(got) != 0 || !rep.More {
		t.Fatalf("no time: %d mails, report %+v", len(got), rep)
	}
	e.Server.Reminders.Budget = 0
	if got, _ := run(t, e, mails); len(got) != 1 {
		t.Fatalf("with time: %d mails", len(got))
	}
	if !strings.Contains(e.Logs.String(), "msg=reminders sent=1") {
		t.Errorf("the run is not logged:\n%s", e.Logs.String())
	}
}

// TestNotices: the banners of the settings page.
func TestNotices(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name string
		st   api.TFA
		want []string
	}{
		{"off", api.TFA{State: api.TFANotEnabled}, nil},
		{"fine", api.TFA{State: api.TFAEnabled, ExpiresAt: at(15 * day), BackupCodesRemaining: 3}, nil},
		{"14 days", api.TFA{State: api.TFAEnabled, ExpiresAt: at(14 * day), BackupCodesRemaining: 6}, []string{"tfa_expiring/renew_tfa/14"}},
		{"a day and a minute", api.TFA{State: api.TFAEnabled, ExpiresAt: at(day + time.Minute), BackupCodesRemaining: 6}, []string{"tfa_expiring/renew_tfa/2"}},
		{"expired, no codes", api.TFA{State: api.TFAExpired, ExpiresAt: at(-day), BackupCodesRemaining: 0}, []string{"tfa_expired/renew_tfa/0", "backup_codes_low/regenerate_backup_codes/0"}},
		{"2 codes", api.TFA{State: api.TFAEnabled, ExpiresAt: at(100 * day), BackupCodesRemaining: 2}, []string{"backup_codes_low/regenerate_backup_codes/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reminder.Notices(tt.st, now)
			if got == nil {
				t.Fatal("nil notices: the answer must carry an empty list")
			}
			var s []string
			for _, n := range got {
				s = append(s, n.Kind+"/"+n.Action+"/"+itoa(int64(n.DaysLeft)))
				if n.Kind == api.NoticeBackupCodesLow && (n.BackupCodesRemaining == nil || *n.BackupCodesRemaining != tt.st.BackupCodesRemaining) {
					t.Errorf("backup codes remaining: %v", n.BackupCodesRemaining)
				}
			}
			if strings.Join(s, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", s, tt.want)
			}
		})
	}
}
