package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"throughcare/internal/apperr"
)

// Keeping listings fresh: a row of listing_reminder says when the staff of
// the organisation owning a stale service were last reminded to confirm
// it. The reminder job claims a service before e-mailing about it, and the
// claim succeeds for one caller only per period, so reminders are not
// repeated however often the job runs, or on however many servers.

// ClaimReminder records that the owners of service serviceID (the account
// organisation orgID) are being reminded about it at now, unless they were
// already reminded less than every before now. It reports whether the
// claim was made: false means a reminder went out within the period (or
// another process has just claimed it), and the caller must not send one.
// It returns an Invalid error naming "service_id" or "org_id" if either is
// missing or does not exist, or "every" if every is not positive.
func (d *DB) ClaimReminder(ctx context.Context, serviceID, orgID string, now time.Time, every time.Duration) (bool, error) {
	switch {
	case serviceID == "":
		return false, apperr.Field("service_id", "is required")
	case orgID == "":
		return false, apperr.Field("org_id", "is required")
	case every <= 0:
		return false, apperr.Field("every", "must be a positive duration")
	}
	// The upsert only replaces a row old enough, atomically, so of two
	// servers claiming at once exactly one sees a row affected.
	res, err := d.db.ExecContext(ctx, `/* ClaimReminder */
INSERT INTO listing_reminder (service_id, org_id, sent_at) VALUES ($1, $2, $3)
ON CONFLICT (service_id) DO UPDATE SET org_id = excluded.org_id, sent_at = excluded.sent_at
WHERE listing_reminder.sent_at <= $4`,
		serviceID, orgID, formatTime(now), formatTime(now.Add(-every)))
	if err != nil {
		err = d.dialect.translate(err)
		if errors.Is(err, apperr.Invalid) {
			return false, apperr.Field("service_id", "service %s or organisation %s does not exist", serviceID, orgID)
		}
		return false, fmt.Errorf("store: claim reminder for %s: %w", serviceID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim reminder for %s: %w", serviceID, err)
	}
	return n > 0, nil
}

// ReleaseReminder undoes a claim made by ClaimReminder at claimedAt, for
// a reminder that could not be sent, so that the next run tries again. A
// claim made since by someone else is left alone.
func (d *DB) ReleaseReminder(ctx context.Context, serviceID string, claimedAt time.Time) error {
	_, err := d.db.ExecContext(ctx, `/* ReleaseReminder */
DELETE FROM listing_reminder WHERE service_id = $1 AND sent_at = $2`, serviceID, formatTime(claimedAt))
	if err != nil {
		return fmt.Errorf("store: release reminder for %s: %w", serviceID, err)
	}
	return nil
}

// RemindersSent returns, for every service whose owners have been
// reminded, when the last reminder went out.
func (d *DB) RemindersSent(ctx context.Context) (map[string]time.Time, error) {
	rows, err := d.db.QueryContext(ctx, `/* RemindersSent */ SELECT service_id, sent_at FROM listing_reminder`)
	if err != nil {
		return nil, fmt.Errorf("store: reminders sent: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id, at string
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("store: reminders sent: %w", err)
		}
		t, err := parseTime(at)
		if err != nil {
			return nil, err
		}
		out[id] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reminders sent: %w", err)
	}
	return out, nil
}

// ClaimDigest records that user userID is being sent their digest at now,
// unless they were sent one less than every before now (by the
// digest_state table that LastDigest reads). It reports whether the claim
// was made: false means a digest went out within the period, or another
// process has just claimed it, and the caller must not send one. Use
// ReleaseDigest if the digest then cannot be sent. It returns an Invalid
// error naming "user_id" for an unknown user, or "every" if every is not
// positive.
func (d *DB) ClaimDigest(ctx context.Context, userID string, now time.Time, every time.Duration) (bool, error) {
	if every <= 0 {
		return false, apperr.Field("every", "must be a positive duration")
	}
	res, err := d.db.ExecContext(ctx, `/* ClaimDigest */
INSERT INTO digest_state (user_id, last_digest_at) VALUES ($1, $2)
ON CONFLICT (user_id) DO UPDATE SET last_digest_at = excluded.last_digest_at
WHERE digest_state.last_digest_at <= $3`,
		userID, formatTime(now), formatTime(now.Add(-every)))
	if err != nil {
		err = d.dialect.translate(err)
		if errors.Is(err, apperr.Invalid) {
			return false, apperr.Field("user_id", "user %s does not exist", userID)
		}
		return false, fmt.Errorf("store: claim digest for %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim digest for %s: %w", userID, err)
	}
	return n > 0, nil
}

// ReleaseDigest undoes a claim ClaimDigest made at claimedAt, for a digest
// that could not be sent: the user's last digest goes back to prev (or to
// none, when prev is zero), so the next run tries again. A claim made
// since by someone else is left alone.
func (d *DB) ReleaseDigest(ctx context.Context, userID string, claimedAt, prev time.Time) error {
	var err error
	if prev.IsZero() {
		_, err = d.db.ExecContext(ctx, `/* ReleaseDigest */
DELETE FROM digest_state WHERE user_id = $1 AND last_digest_at = $2`, userID, formatTime(claimedAt))
	} else {
		_, err = d.db.ExecContext(ctx, `/* ReleaseDigest */
UPDATE digest_state SET last_digest_at = $1 WHERE user_id = $2 AND last_digest_at = $3`,
			formatTime(prev), userID, formatTime(claimedAt))
	}
	if err != nil {
		return fmt.Errorf("store: release digest for %s: %w", userID, err)
	}
	return nil
}
