// Package reminder warns users before their 2FA turns "expired" (14 days
// before, then 3 days before) and when their backup codes run low (2 or
// fewer left): one mail per cause, and the banners of the settings page.
//
// A cause is a kind and a reference: the secret (its enabled_at) for the
// expiry, the set of backup codes (its first id) for the codes, so a
// renewal or a regeneration starts fresh. The reminders table holds one
// row per user and cause, inserted under a unique key in the transaction
// that decides to send: whatever the restarts and however many instances
// run the job, a cause is mailed at most once. The mail goes after the
// commit; a mail the server refused is released and tried again by a
// later run (at most MaxAttempts times). A run that dies while a mail is
// under way leaves it claimed and never sends it again: a reminder may be
// lost that way, never doubled (the banner still shows).
package reminder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"twofold/server/internal/clock"
	"twofold/server/internal/db"
	"twofold/server/internal/mail"
	"twofold/server/internal/notify"
	"twofold/shared/api"
)

// Kinds of reminders (the reminders table's kind).
const (
	KindTFAExpiry14    = "tfa_expiry_14d"
	KindTFAExpiry3     = "tfa_expiry_3d"
	KindBackupCodesLow = "backup_codes_low"
)

// Defaults of a Job.
const (
	// DefaultBatch bounds the mails of one run.
	DefaultBatch = 200
	// DefaultBudget bounds the time of one run.
	DefaultBudget = 2 * time.Minute
	// MaxAttempts bounds the sends of one reminder the mail server refused.
	MaxAttempts = 5
	// page is the number of users read at a time.
	page = 500
)

// Notices returns the banners of the settings page for a 2FA state at now.
func Notices(st api.TFA, now time.Time) []api.Notice {
	out := []api.Notice{}
	if st.State == api.TFANotEnabled {
		return out
	}
	if st.ExpiresAt != nil {
		at := st.ExpiresAt.UTC()
		switch {
		case st.State == api.TFAExpired:
			out = append(out, api.Notice{Kind: api.NoticeTFAExpired, Action: api.ActionRenewTFA, ExpiresAt: &at})
		case at.Sub(now) <= api.TFAExpiryNotice:
			out = append(out, api.Notice{Kind: api.NoticeTFAExpiring, Action: api.ActionRenewTFA, ExpiresAt: &at, DaysLeft: DaysLeft(at, now)})
		}
	}
	if left := st.BackupCodesRemaining; left <= api.BackupCodesLow {
		out = append(out, api.Notice{Kind: api.NoticeBackupCodesLow, Action: api.ActionRegenerateBackupCodes, BackupCodesRemaining: &left})
	}
	return out
}

// DaysLeft is the number of days from now until t, rounded up, at least 1.
func DaysLeft(t, now time.Time) int {
	return max(int((t.Sub(now)+24*time.Hour-1)/(24*time.Hour)), 1)
}

// expiryKind returns the reminder due for a secret that turns "expired"
// at expiresAt ("" when none): the most urgent stage only, so a reminder
// first seen within 3 days is mailed once, not twice.
func expiryKind(expiresAt, now time.Time) string {
	left := expiresAt.Sub(now)
	switch {
	case left <= 0:
		return ""
	case left <= api.TFAExpiryLastNotice:
		return KindTFAExpiry3
	case left <= api.TFAExpiryNotice:
		return KindTFAExpiry14
	}
	return ""
}

// Job mails the reminders that are due. Run it under a lease (package
// jobs); it is safe without one too.
type Job struct {
	DB     *db.DB
	Clock  clock.Clock
	Logger *slog.Logger
	Mail   mail.Sender
	Notify *notify.Notifier
	// Expiry is TWOFOLD_TFA_EXPIRY.
	Expiry time.Duration
	// Batch bounds the mails of a run (0: DefaultBatch); Budget its time
	// (0: DefaultBudget).
	Batch  int
	Budget time.Duration
}

// Report is what a run did.
type Report struct {
	// Sent: mails the mail server took; Failed: mails it refused (tried
	// again later); Retried: of those, mails that had failed before.
	Sent, Failed, Retried int
	// Dropped: failed reminders whose cause went away before a retry.
	Dropped int
	// More: the run stopped at its batch or time budget with reminders
	// left for the next run.
	More bool
}

// due is a reminder that applies now.
type due struct {
	user      account
	kind, ref string
	expiresAt time.Time
	left      int
}

// account is what a reminder needs of a user.
type account struct {
	ID        int64     `bun:"id"`
	Username  string    `bun:"username"`
	Email     string    `bun:"email"`
	Language  string    `bun:"language"`
	EnabledAt time.Time `bun:"enabled_at"`
	Remaining int       `bun:"remaining"`
	SetID     int64     `bun:"set_id"`
}

// Run mails the reminders due now: first those a mail server refused
// before, then new ones, user by user, until its batch or time budget is
// spent.
func (j *Job) Run(ctx context.Context) (Report, error) {
	batch, budget := j.Batch, j.Budget
	if batch <= 0 {
		batch = DefaultBatch
	}
	if budget <= 0 {
		budget = DefaultBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var rep Report
	err := j.run(ctx, batch, &rep)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		rep.More, err = true, nil
	}
	if rep.Sent+rep.Failed+rep.Dropped > 0 || rep.More {
		j.Logger.Info("reminders", "sent", rep.Sent, "failed", rep.Failed, "retried", rep.Retried, "dropped", rep.Dropped, "more", rep.More)
	}
	return rep, err
}

func (j *Job) run(ctx context.Context, batch int, rep *Report) error {
	full := func() bool { return rep.Sent+rep.Failed >= batch }
	if err := j.retry(ctx, batch, rep); err != nil {
		return err
	}
	for after := int64(0); ; {
		if full() {
			rep.More = true
			return nil
		}
		users, err := j.candidates(ctx, j.DB, after, 0)
		if err != nil || len(users) == 0 {
			return err
		}
		after = users[len(users)-1].ID
		dues, err := j.fresh(ctx, j.dues(users))
		if err != nil {
			return err
		}
		for _, d := range dues {
			if full() {
				rep.More = true
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			id, ok, err := j.claim(ctx, d, 0)
			if err != nil {
				return err
			}
			if ok {
				j.send(ctx, id, d, rep)
			}
		}
	}
}

// candidates reads users to whom a reminder may apply now, by id after
// after (or only user only, when not 0), page at a time.
func (j *Job) candidates(ctx context.Context, idb bun.IDB, after, only int64) ([]account, error) {
	now := j.Clock.Now()
	which, arg := "u.id > ?", after
	if only != 0 {
		which, arg = "u.id = ?", only
	}
	var out []account
	err := idb.NewRaw(`SELECT u.id, u.username, u.email, u.language, t.enabled_at,
			(SELECT count(*) FROM backup_codes b WHERE b.user_id = u.id AND b.used_at IS NULL) AS remaining,
			(SELECT COALESCE(min(b.id), 0) FROM backup_codes b WHERE b.user_id = u.id) AS set_id
		FROM users u JOIN totp_secrets t ON t.user_id = u.id
		WHERE t.secret IS NOT NULL AND t.enabled_at IS NOT NULL AND NOT u.disabled AND u.email <> ''
			AND ((t.enabled_at > ? AND t.enabled_at <= ?)
				OR (SELECT count(*) FROM backup_codes b WHERE b.user_id = u.id AND b.used_at IS NULL) <= ?)
			AND `+which+`
		ORDER BY u.id LIMIT ?`,
		now.Add(-j.Expiry), now.Add(-j.Expiry+api.TFAExpiryNotice), api.BackupCodesLow, arg, page).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("read reminder candidates: %w", err)
	}
	return out, nil
}

// dues returns the reminders that apply to users now.
func (j *Job) dues(users []account) []due {
	now := j.Clock.Now()
	var out []due
	for _, u := range users {
		expiresAt := u.EnabledAt.Add(j.Expiry).UTC()
		if k := expiryKind(expiresAt, now); k != "" {
			out = append(out, due{user: u, kind: k, ref: u.EnabledAt.UTC().Format(time.RFC3339Nano), expiresAt: expiresAt})
		}
		if u.Remaining <= api.BackupCodesLow {
			out = append(out, due{user: u, kind: KindBackupCodesLow, ref: strconv.FormatInt(u.SetID, 10), left: u.Remaining})
		}
	}
	return out
}

// fresh keeps the reminders that have no row yet.
func (j *Job) fresh(ctx context.Context, dues []due) ([]due, error) {
	if len(dues) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(dues))
	for _, d := range dues {
		ids = append(ids, d.user.ID)
	}
	var rows []db.Reminder
	if err := j.DB.NewSelect().Model(&rows).Column("user_id", "kind", "ref").
		Where("user_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read reminders: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[key(r.UserID, r.Kind, r.Ref)] = true
	}
	var out []due
	for _, d := range dues {
		if !seen[key(d.user.ID, d.kind, d.ref)] {
			out = append(out, d)
		}
	}
	return out, nil
}

func key(userID int64, kind, ref string) string {
	return strconv.FormatInt(userID, 10) + "|" + kind + "|" + ref
}

// still returns the reminder of kind and ref if it still applies to
// userID within tx (the user may have renewed, regenerated, lost their
// email, or been disabled since it was read).
func (j *Job) still(ctx context.Context, tx bun.Tx, userID int64, kind, ref string) (*due, error) {
	if err := j.DB.LockUser(ctx, tx, userID); err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	users, err := j.candidates(ctx, tx, 0, userID)
	if err != nil {
		return nil, err
	}
	for _, d := range j.dues(users) {
		if d.kind == kind && d.ref == ref {
			return &d, nil
		}
	}
	return nil, nil
}

// claim decides to send d, within one transaction: it checks that d still
// applies and inserts its row (a new one), or takes a released one (id,
// a retry). It reports false when d no longer applies or another run has
// it.
func (j *Job) claim(ctx context.Context, d due, id int64) (int64, bool, error) {
	ok := false
	err := j.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		cur, err := j.still(ctx, tx, d.user.ID, d.kind, d.ref)
		if err != nil || cur == nil {
			return err
		}
		now := j.Clock.Now()
		var res interface{ RowsAffected() (int64, error) }
		if id == 0 {
			row := &db.Reminder{UserID: d.user.ID, Kind: d.kind, Ref: d.ref, CreatedAt: now, ClaimedAt: &now, Attempts: 1}
			res, err = tx.NewInsert().Model(row).On("CONFLICT (user_id, kind, ref) DO NOTHING").Returning("id").Exec(ctx)
			id = row.ID
		} else {
			res, err = tx.NewUpdate().Model((*db.Reminder)(nil)).Set("claimed_at = ?", now).Set("attempts = attempts + 1").
				Where("id = ?", id).Where("sent_at IS NULL").Where("claimed_at IS NULL").Exec(ctx)
		}
		if err != nil {
			return fmt.Errorf("claim reminder %s of user %d: %w", d.kind, d.user.ID, err)
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	return id, ok, err
}

// send mails a claimed reminder and records the outcome: sent, or
// released for a later run.
func (j *Job) send(ctx context.Context, id int64, d due, rep *Report) {
	kind := notify.ReminderBackupCodesLow
	if d.kind != KindBackupCodesLow {
		kind = notify.ReminderTFAExpiring
	}
	m, err := j.Notify.ReminderMail(notify.Reminder{Kind: kind, To: d.user.Email, Username: d.user.Username,
		Lang: d.user.Language, ExpiresAt: d.expiresAt, Now: j.Clock.Now(), Left: d.left})
	if err == nil {
		mctx, cancel := context.WithTimeout(ctx, mail.Timeout)
		err = j.Mail.Send(mctx, m)
		cancel()
	}
	// The outcome is recorded even when the run's time is up.
	wctx := context.WithoutCancel(ctx)
	if err != nil {
		rep.Failed++
		j.Logger.Warn("reminder not sent", "kind", d.kind, "user_id", d.user.ID, "err", err)
		if _, uerr := j.DB.NewUpdate().Model((*db.Reminder)(nil)).Set("claimed_at = NULL").Where("id = ?", id).Exec(wctx); uerr != nil {
			j.Logger.Warn("reminder not released", "kind", d.kind, "user_id", d.user.ID, "err", uerr)
		}
		return
	}
	rep.Sent++
	if _, uerr := j.DB.NewUpdate().Model((*db.Reminder)(nil)).Set("sent_at = ?", j.Clock.Now()).Where("id = ?", id).Exec(wctx); uerr != nil {
		// It stays claimed: never sent again.
		j.Logger.Warn("sent reminder not marked", "kind", d.kind, "user_id", d.user.ID, "err", uerr)
	}
}

// retry sends again the reminders a mail server refused, if they still
// apply; those that no longer do are dropped.
func (j *Job) retry(ctx context.Context, batch int, rep *Report) error {
	var rows []db.Reminder
	if err := j.DB.NewSelect().Model(&rows).Where("sent_at IS NULL").Where("claimed_at IS NULL").
		Where("attempts < ?", MaxAttempts).Order("id").Limit(int64(batch)).Scan(ctx); err != nil {
		return fmt.Errorf("read reminders to retry: %w", err)
	}
	for _, r := range rows {
		if rep.Sent+rep.Failed >= batch {
			rep.More = true
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var cur *due
		err := j.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			cur, err = j.still(ctx, tx, r.UserID, r.Kind, r.Ref)
			if err != nil || cur != nil {
				return err
			}
			_, err = tx.NewDelete().Model((*db.Reminder)(nil)).Where("id = ?", r.ID).Where("sent_at IS NULL").Where("claimed_at IS NULL").Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("retry reminder %d: %w", r.ID, err)
		}
		if cur == nil {
			rep.Dropped++
			continue
		}
		_, ok, err := j.claim(ctx, *cur, r.ID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		failed := rep.Failed
		j.send(ctx, r.ID, *cur, rep)
		rep.Retried++
		if rep.Failed > failed && r.Attempts+1 >= MaxAttempts {
			j.Logger.Warn("reminder given up", "kind", r.Kind, "user_id", r.UserID, "attempts", r.Attempts+1)
		}
	}
	return nil
}
