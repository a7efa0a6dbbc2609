package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
)

// CreateOrganisation validates o, gives it a new id and creation time, and
// stores it. In the same transaction it appends ev (org.created) to the
// audit log, with the new organisation as its record and organisation (and
// At set to now if zero). It returns the stored organisation, or an
// Invalid error naming the field, or a Conflict error if an organisation of
// that name exists.
func (d *DB) CreateOrganisation(ctx context.Context, o account.Organisation, ev audit.Event) (account.Organisation, error) {
	o.Name = strings.TrimSpace(o.Name)
	if err := o.Validate(); err != nil {
		return account.Organisation{}, err
	}
	o.ID = directory.NewUUID()
	o.CreatedAt = d.Now().UTC().Truncate(time.Microsecond)
	ev.RecordType, ev.RecordID, ev.OrgID = "organisation", o.ID, o.ID
	if ev.At.IsZero() {
		ev.At = o.CreatedAt
	}
	if err := ev.Validate(); err != nil {
		return account.Organisation{}, err
	}
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		if err := d.insertOrganisation(ctx, tx, o); err != nil {
			return err
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
	if err != nil {
		return account.Organisation{}, err
	}
	return o, nil
}

func (d *DB) insertOrganisation(ctx context.Context, tx *sql.Tx, o account.Organisation) error {
	_, err := tx.ExecContext(ctx, `/* insertOrganisation */
INSERT INTO organisation (id, name, kind, hsds_organization_id, trusted, created_at)
VALUES ($1, $2, $3, $4, $5, $6)`,
		o.ID, o.Name, string(o.Kind), nullString(o.HSDSOrganizationID), o.Trusted, formatTime(o.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create organisation %q: %w", o.Name, d.dialect.translate(err))
	}
	return nil
}

const organisationColumns = `id, name, kind, hsds_organization_id, trusted, created_at`

// Organisation returns the organisation with id, or a NotFound error.
func (d *DB) Organisation(ctx context.Context, id string) (account.Organisation, error) {
	row := d.db.QueryRowContext(ctx, `/* Organisation */ SELECT `+organisationColumns+` FROM organisation WHERE id = $1`, id)
	o, err := scanOrganisation(row)
	if err != nil {
		return account.Organisation{}, fmt.Errorf("store: organisation %s: %w", id, notFound(err, "organisation"))
	}
	return o, nil
}

// OrganisationByName returns the organisation called name (an exact match),
// or a NotFound error.
func (d *DB) OrganisationByName(ctx context.Context, name string) (account.Organisation, error) {
	row := d.db.QueryRowContext(ctx, `/* OrganisationByName */ SELECT `+organisationColumns+` FROM organisation WHERE name = $1`, name)
	o, err := scanOrganisation(row)
	if err != nil {
		return account.Organisation{}, fmt.Errorf("store: organisation %q: %w", name, notFound(err, "organisation"))
	}
	return o, nil
}

// OrganisationByHSDS returns the organisation that owns the HSDS
// organization hsdsID (whose staff edit its listings), or a NotFound error
// when no organisation has claimed it.
func (d *DB) OrganisationByHSDS(ctx context.Context, hsdsID string) (account.Organisation, error) {
	row := d.db.QueryRowContext(ctx, `/* OrganisationByHSDS */ SELECT `+organisationColumns+` FROM organisation WHERE hsds_organization_id = $1 ORDER BY created_at LIMIT 1`, hsdsID)
	o, err := scanOrganisation(row)
	if err != nil {
		return account.Organisation{}, fmt.Errorf("store: organisation for HSDS organization %s: %w", hsdsID, notFound(err, "organisation"))
	}
	return o, nil
}

// Organisations returns every organisation, ordered by name.
func (d *DB) Organisations(ctx context.Context) ([]account.Organisation, error) {
	return queryAll(ctx, d.db, "organisations",
		`/* Organisations */ SELECT `+organisationColumns+` FROM organisation ORDER BY name, id`,
		scanOrganisation)
}

func scanOrganisation(s scanner) (account.Organisation, error) {
	var (
		o        account.Organisation
		kind, at string
		hsds     sql.NullString
	)
	if err := s.Scan(&o.ID, &o.Name, &kind, &hsds, &o.Trusted, &at); err != nil {
		return o, err
	}
	created, err := parseTime(at)
	if err != nil {
		return o, err
	}
	o.Kind, o.HSDSOrganizationID, o.CreatedAt = account.OrgKind(kind), hsds.String, created
	return o, nil
}

// CreateUser validates u, gives it a new id and creation time, and stores
// it with its memberships and its password hash (which may be empty for a
// single-sign-on-only user). In the same transaction it appends ev to the
// audit log, with RecordType "user" and RecordID set to the new user's id
// (and At set to now if zero), so the account and its audit row exist
// together or not at all. The email is normalised. It returns the stored
// user, or an Invalid error naming the field (including a membership of an
// organisation that does not exist), or a Conflict error if the email is
// taken.
func (d *DB) CreateUser(ctx context.Context, u account.User, passwordHash string, ev audit.Event) (account.User, error) {
	email, err := account.NormalizeEmail(u.Email)
	if err != nil {
		return account.User{}, err
	}
	u.Email = email
	u.Name = strings.TrimSpace(u.Name)
	if err := u.Validate(); err != nil {
		return account.User{}, err
	}
	u.ID = directory.NewUUID()
	u.CreatedAt = d.Now().UTC().Truncate(time.Microsecond)
	u.TOTPEnabled = false
	ms := make([]account.Membership, len(u.Memberships))
	for i, m := range u.Memberships {
		m.UserID = u.ID
		ms[i] = m
	}
	u.Memberships = ms
	ev.RecordType, ev.RecordID = "user", u.ID
	if ev.At.IsZero() {
		ev.At = u.CreatedAt
	}
	if err := ev.Validate(); err != nil {
		return account.User{}, err
	}
	err = d.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `/* CreateUser */
INSERT INTO app_user (id, email, name, admin, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			u.ID, u.Email, u.Name, u.Admin, u.Disabled, formatTime(u.CreatedAt)); err != nil {
			err = d.dialect.translate(err)
			if errors.Is(err, apperr.Conflict) {
				return fmt.Errorf("store: create user: %w", &conflictError{msg: fmt.Sprintf("email: a user with the address %s already exists", u.Email)})
			}
			return fmt.Errorf("store: create user: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `/* CreateUser */
INSERT INTO credential (user_id, password_hash) VALUES ($1, $2)`, u.ID, passwordHash); err != nil {
			return fmt.Errorf("store: create user credentials: %w", d.dialect.translate(err))
		}
		for i, m := range u.Memberships {
			if _, err := tx.ExecContext(ctx, `/* CreateUser */
INSERT INTO membership (user_id, org_id, role) VALUES ($1, $2, $3)`, u.ID, m.OrgID, string(m.Role)); err != nil {
				err = d.dialect.translate(err)
				if errors.Is(err, apperr.Invalid) {
					return apperr.Field(fmt.Sprintf("memberships[%d].org_id", i), "organisation %s does not exist", m.OrgID)
				}
				return fmt.Errorf("store: create membership: %w", err)
			}
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
	if err != nil {
		return account.User{}, err
	}
	return u, nil
}

// conflictError is a Conflict with a message of our own rather than the
// engine's.
type conflictError struct{ msg string }

func (e *conflictError) Error() string        { return e.msg }
func (e *conflictError) Is(target error) bool { return target == apperr.Conflict }

const userColumns = `u.id, u.email, u.name, u.admin, u.disabled, u.created_at, COALESCE(c.totp_secret, '')`

// User returns the user with id and their memberships, or a NotFound error.
func (d *DB) User(ctx context.Context, id string) (account.User, error) {
	return d.userWhere(ctx, `u.id = $1`, id)
}

// UserByEmail returns the user with the given address (compared after
// normalising it) and their memberships, or a NotFound error.
func (d *DB) UserByEmail(ctx context.Context, email string) (account.User, error) {
	norm, err := account.NormalizeEmail(email)
	if err != nil {
		return account.User{}, apperr.Errorf(apperr.NotFound, "user not found")
	}
	return d.userWhere(ctx, `u.email = $1`, norm)
}

func (d *DB) userWhere(ctx context.Context, where string, arg string) (account.User, error) {
	var u account.User
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		var (
			at, totp string
		)
		err := tx.QueryRowContext(ctx, `/* userWhere */ SELECT `+userColumns+`
FROM app_user u LEFT JOIN credential c ON c.user_id = u.id WHERE `+where, arg).
			Scan(&u.ID, &u.Email, &u.Name, &u.Admin, &u.Disabled, &at, &totp)
		if err != nil {
			return fmt.Errorf("store: user: %w", notFound(err, "user"))
		}
		if u.CreatedAt, err = parseTime(at); err != nil {
			return err
		}
		u.TOTPEnabled = totp != ""
		rows, err := tx.QueryContext(ctx, `/* userWhere */ SELECT org_id, role FROM membership WHERE user_id = $1 ORDER BY org_id`, u.ID)
		if err != nil {
			return fmt.Errorf("store: memberships: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			m := account.Membership{UserID: u.ID}
			var role string
			if err := rows.Scan(&m.OrgID, &role); err != nil {
				return fmt.Errorf("store: memberships: %w", err)
			}
			m.Role = account.Role(role)
			u.Memberships = append(u.Memberships, m)
		}
		return rows.Err()
	})
	if err != nil {
		return account.User{}, err
	}
	return u, nil
}

// Credentials returns the secrets of the user with id, with their count of
// failed sign-ins and any lock-out, or a NotFound error.
func (d *DB) Credentials(ctx context.Context, userID string) (account.Credentials, error) {
	c := account.Credentials{UserID: userID}
	var (
		recovery string
		locked   sql.NullString
	)
	err := d.db.QueryRowContext(ctx, `/* Credentials */
SELECT password_hash, totp_secret, totp_last_step, recovery_hashes, failed_count, locked_until FROM credential WHERE user_id = $1`, userID).
		Scan(&c.PasswordHash, &c.TOTPSecret, &c.TOTPLastStep, &recovery, &c.FailedCount, &locked)
	if err != nil {
		return account.Credentials{}, fmt.Errorf("store: credentials: %w", notFound(err, "user"))
	}
	if secret, err := d.openSecret(c.TOTPSecret, userID); err != nil {
		// The password and recovery codes still work; the unreadable
		// secret is reported, not fatal, so the person can be helped.
		c.TOTPSecret, c.TOTPUnreadable = "", true
	} else {
		c.TOTPSecret = secret
	}
	if c.RecoveryHashes, err = decodeRecoveryHashes(recovery); err != nil {
		return account.Credentials{}, fmt.Errorf("store: credentials: %w", err)
	}
	if locked.Valid {
		if c.LockedUntil, err = parseTime(locked.String); err != nil {
			return account.Credentials{}, fmt.Errorf("store: credentials: %w", err)
		}
	}
	return c, nil
}

// CountUsers returns how many users exist, so that the first-run path can
// tell an empty database.
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, `/* CountUsers */ SELECT count(*) FROM app_user`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: stored time %q: %w", s, err)
	}
	return t, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
