package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
)

// Administration of users and organisations. Each change appends its audit
// event in its own transaction and writes nothing if any part fails.

// ListUsers returns every user with their memberships, ordered by e-mail
// address.
func (d *DB) ListUsers(ctx context.Context) ([]account.User, error) {
	return d.listUsers(ctx, "list users", "")
}

// MembersOf returns the users who are members of organisation orgID, each
// with all their memberships, ordered by e-mail address. It returns a
// NotFound error if there is no such organisation.
func (d *DB) MembersOf(ctx context.Context, orgID string) ([]account.User, error) {
	var one int
	err := d.db.QueryRowContext(ctx, `/* MembersOf */ SELECT 1 FROM organisation WHERE id = $1`, orgID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: members: %w", orgNotFound(orgID))
	}
	if err != nil {
		return nil, fmt.Errorf("store: members: %w", err)
	}
	return d.listUsers(ctx, "members", `u.id IN (SELECT user_id FROM membership WHERE org_id = $1)`, orgID)
}

// listUsers returns the users matching where (a condition on app_user u;
// empty for all), ordered by e-mail address, with their memberships.
func (d *DB) listUsers(ctx context.Context, op, where string, args ...any) ([]account.User, error) {
	if where != "" {
		where = ` WHERE ` + where
	}
	rows, err := d.db.QueryContext(ctx, `/* listUsers */ SELECT `+userColumns+`
FROM app_user u LEFT JOIN credential c ON c.user_id = u.id`+where+` ORDER BY u.email`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	defer rows.Close()
	var (
		out   []account.User
		index = map[string]int{}
	)
	for rows.Next() {
		var (
			u        account.User
			at, totp string
		)
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Admin, &u.Disabled, &at, &totp); err != nil {
			return nil, fmt.Errorf("store: %s: %w", op, err)
		}
		if u.CreatedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("store: %s: %w", op, err)
		}
		u.TOTPEnabled = totp != ""
		index[u.ID] = len(out)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	mrows, err := d.db.QueryContext(ctx, `/* listUsers */ SELECT m.user_id, m.org_id, m.role
FROM membership m JOIN app_user u ON u.id = m.user_id`+where+` ORDER BY m.user_id, m.org_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: memberships: %w", op, err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var m account.Membership
		var role string
		if err := mrows.Scan(&m.UserID, &m.OrgID, &role); err != nil {
			return nil, fmt.Errorf("store: %s: memberships: %w", op, err)
		}
		m.Role = account.Role(role)
		// A user created between the two reads is not in the list.
		if i, ok := index[m.UserID]; ok {
			out[i].Memberships = append(out[i].Memberships, m)
		}
	}
	if err := mrows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: memberships: %w", op, err)
	}
	return out, nil
}

// SetMemberships replaces every membership of user userID with ms (the
// organisations they work for, one role each), and appends ev
// (permission.changed unless ev says otherwise, with the roles before and
// after as Detail unless ev has one) about the user in the same
// transaction. It returns an Invalid error naming the field
// ("memberships[i].org_id", "memberships[i].role") for a membership with
// no organisation, an organisation given twice or that does not exist, or
// a role an organisation cannot give, or a NotFound error if there is no
// such user.
func (d *DB) SetMemberships(ctx context.Context, userID string, ms []account.Membership, ev audit.Event) error {
	if err := d.prepareEvent(&ev, audit.PermissionChanged, "user", userID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		u := account.User{ID: userID}
		err := tx.QueryRowContext(ctx, `/* SetMemberships */ SELECT email, name FROM app_user WHERE id = $1`, userID).Scan(&u.Email, &u.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: set memberships: %w", userNotFound(userID))
		}
		if err != nil {
			return fmt.Errorf("store: set memberships: %w", err)
		}
		for _, m := range ms {
			m.UserID = userID
			u.Memberships = append(u.Memberships, m)
		}
		if err := u.Validate(); err != nil {
			return err
		}
		before, err := rolesOf(ctx, tx, userID)
		if err != nil {
			return fmt.Errorf("store: set memberships: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `/* SetMemberships */ DELETE FROM membership WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("store: set memberships: %w", err)
		}
		after := make(map[string]string, len(u.Memberships))
		for i, m := range u.Memberships {
			if _, err := tx.ExecContext(ctx, `/* SetMemberships */
INSERT INTO membership (user_id, org_id, role) VALUES ($1, $2, $3)`, userID, m.OrgID, string(m.Role)); err != nil {
				err = d.dialect.translate(err)
				if errors.Is(err, apperr.Invalid) {
					return apperr.Field(fmt.Sprintf("memberships[%d].org_id", i), "organisation %s does not exist", m.OrgID)
				}
				return fmt.Errorf("store: set memberships: %w", err)
			}
			after[m.OrgID] = string(m.Role)
		}
		defaultDetail(&ev, map[string]map[string]string{"before": before, "after": after})
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
}

// rolesOf returns the roles of user userID by organisation id.
func rolesOf(ctx context.Context, tx *sql.Tx, userID string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `/* rolesOf */ SELECT org_id, role FROM membership WHERE user_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var org, role string
		if err := rows.Scan(&org, &role); err != nil {
			return nil, err
		}
		out[org] = role
	}
	return out, rows.Err()
}

// SetAdmin grants (admin true) or withdraws the administrator flag of user
// userID, and appends ev (permission.changed unless ev says otherwise, with
// the new flag as Detail unless ev has one) about the user in the same
// transaction. It returns a NotFound error if there is no such user, or a
// Conflict error if withdrawing it would leave no administrator who can
// sign in.
func (d *DB) SetAdmin(ctx context.Context, userID string, admin bool, ev audit.Event) error {
	defaultDetail(&ev, map[string]bool{"admin": admin})
	if err := d.prepareEvent(&ev, audit.PermissionChanged, "user", userID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if !admin {
			if err := d.keepAnAdmin(ctx, tx, userID, "set admin"); err != nil {
				return err
			}
		}
		if err := execUser(ctx, tx, userID, "set admin", `/* SetAdmin */ UPDATE app_user SET admin = $1 WHERE id = $2`, admin, userID); err != nil {
			return err
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
}

// SetDisabled disables (disabled true) or re-enables user userID, and
// appends ev (user.disabled, or user.updated on re-enabling, unless ev says
// otherwise, with the new state as Detail unless ev has one) about the user
// in the same transaction. Disabling also ends every session of the user,
// so they are signed out at once. It returns a NotFound error if there is
// no such user, or a Conflict error if disabling them would leave no
// administrator who can sign in.
func (d *DB) SetDisabled(ctx context.Context, userID string, disabled bool, ev audit.Event) error {
	action := audit.UserUpdated
	if disabled {
		action = audit.UserDisabled
	}
	defaultDetail(&ev, map[string]bool{"disabled": disabled})
	if err := d.prepareEvent(&ev, action, "user", userID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if disabled {
			if err := d.keepAnAdmin(ctx, tx, userID, "disable user"); err != nil {
				return err
			}
		}
		if err := execUser(ctx, tx, userID, "disable user", `/* SetDisabled */ UPDATE app_user SET disabled = $1 WHERE id = $2`, disabled, userID); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `/* SetDisabled */ DELETE FROM session WHERE user_id = $1`, userID); err != nil {
				return fmt.Errorf("store: disable user: end sessions: %w", err)
			}
		}
		_, err := d.appendAudit(ctx, tx, ev)
		return err
	})
}

// keepAnAdmin returns a Conflict error if user userID is an enabled
// administrator and no other is, so that taking their administration away
// would lock everyone out of it, and a NotFound error if there is no such
// user. The audit lock it takes first serialises it with other changes to
// administrators on PostgreSQL (SQLite's write lock already does), so two
// administrators cannot demote each other at once.
func (d *DB) keepAnAdmin(ctx context.Context, tx *sql.Tx, userID, op string) error {
	if err := d.dialect.lock(ctx, tx, auditLock); err != nil {
		return err
	}
	var admin, disabled bool
	err := tx.QueryRowContext(ctx, `/* keepAnAdmin */ SELECT admin, disabled FROM app_user WHERE id = $1`, userID).Scan(&admin, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, userNotFound(userID))
	}
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if !admin || disabled {
		return nil
	}
	var others int
	if err := tx.QueryRowContext(ctx, `/* keepAnAdmin */
SELECT count(*) FROM app_user WHERE admin AND NOT disabled AND id <> $1`, userID).Scan(&others); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if others == 0 {
		return fmt.Errorf("store: %s: %w", op, &conflictError{msg: "admin: this is the only administrator who can sign in; make someone else an administrator first"})
	}
	return nil
}

// orgNotFound is the NotFound error for a missing organisation.
func orgNotFound(orgID string) error {
	return apperr.Errorf(apperr.NotFound, "organisation %s not found", orgID)
}

// UpdateOrganisation replaces the name, kind, trusted flag and HSDS
// organization link of the organisation with id o.ID (its creation time is
// kept), and appends ev (org.updated unless ev says otherwise, with the
// names of the fields changed as Detail unless ev has one, and the
// organisation as OrgID unless ev has one) about it in the same
// transaction. It returns an Invalid error naming the field ("id", "name",
// "kind", "hsds_organization_id"), a NotFound error if there is no such
// organisation, or a Conflict error if another organisation has the name.
func (d *DB) UpdateOrganisation(ctx context.Context, o account.Organisation, ev audit.Event) error {
	if o.ID == "" {
		return apperr.Field("id", "is required")
	}
	o.Name = strings.TrimSpace(o.Name)
	if err := o.Validate(); err != nil {
		return err
	}
	if ev.OrgID == "" {
		ev.OrgID = o.ID
	}
	if err := d.prepareEvent(&ev, audit.OrgUpdated, "organisation", o.ID); err != nil {
		return err
	}
	return d.withTx(ctx, func(tx *sql.Tx) error {
		old, err := scanOrganisation(tx.QueryRowContext(ctx, `/* UpdateOrganisation */ SELECT `+organisationColumns+` FROM organisation WHERE id = $1`, o.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: update organisation: %w", orgNotFound(o.ID))
		}
		if err != nil {
			return fmt.Errorf("store: update organisation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `/* UpdateOrganisation */
UPDATE organisation SET name = $1, kind = $2, hsds_organization_id = $3, trusted = $4 WHERE id = $5`,
			o.Name, string(o.Kind), nullString(o.HSDSOrganizationID), o.Trusted, o.ID); err != nil {
			err = d.dialect.translate(err)
			if errors.Is(err, apperr.Conflict) {
				return fmt.Errorf("store: update organisation: %w", &conflictError{msg: fmt.Sprintf("name: an organisation called %q already exists", o.Name)})
			}
			return fmt.Errorf("store: update organisation: %w", err)
		}
		changed := []string{}
		for _, f := range []struct {
			name string
			diff bool
		}{
			{"name", old.Name != o.Name},
			{"kind", old.Kind != o.Kind},
			{"hsds_organization_id", old.HSDSOrganizationID != o.HSDSOrganizationID},
			{"trusted", old.Trusted != o.Trusted},
		} {
			if f.diff {
				changed = append(changed, f.name)
			}
		}
		defaultDetail(&ev, map[string][]string{"changed": changed})
		_, err = d.appendAudit(ctx, tx, ev)
		return err
	})
}
