// Package account holds users, organisations, roles and the one place where
// permissions are decided (Can), together with the security primitives that
// sign-in needs: password hashing and policy, TOTP second factors, random
// tokens, signed single-use links and login throttling.
//
// # The model
//
// Every signed-in user belongs to one or more organisations. A Membership
// gives the user exactly one Role in one Organisation, so a person who works
// for two organisations may be a provider in one and a practitioner in the
// other, and what they may do with a record depends on their role in the
// organisation that owns it. Administration is not an organisation role: it
// is the global User.Admin flag, because the system owner looks after every
// organisation. A user who is not signed in is represented by a nil *User and
// has the public role.
//
// Secrets (password hash, TOTP secret, recovery codes) live in Credentials,
// apart from User, so that a User can be handed to templates and logs
// without carrying anything that would let someone sign in.
//
// The package is pure: no SQL and no HTTP. Storage and handlers call it.
package account

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"throughcare/internal/apperr"
)

// Role is what a user may do on behalf of an organisation.
type Role string

// The roles, as in the design (section 2).
const (
	// RolePublic is anyone who is not signed in. It is never stored.
	RolePublic Role = "public"
	// RoleProvider is staff of a health or voluntary organisation: edits
	// their organisation's listings and receives referrals.
	RoleProvider Role = "provider"
	// RolePractitioner is probation or prison-healthcare staff: refers
	// people to services and plans releases.
	RolePractitioner Role = "practitioner"
	// RoleCommissioner is ICB, local-authority or NHS England staff: reads
	// coverage, needs and evaluation reports.
	RoleCommissioner Role = "commissioner"
	// RoleAnalyst is research or performance staff: aggregate reports only.
	RoleAnalyst Role = "analyst"
	// RoleAdmin is the system owner. It is granted by User.Admin, never by a
	// Membership.
	RoleAdmin Role = "admin"
)

// Roles lists every role, public first and admin last.
func Roles() []Role {
	return []Role{RolePublic, RoleProvider, RolePractitioner, RoleCommissioner, RoleAnalyst, RoleAdmin}
}

// MemberRoles lists the roles a Membership may carry.
func MemberRoles() []Role {
	return []Role{RoleProvider, RolePractitioner, RoleCommissioner, RoleAnalyst}
}

// ParseRole returns the role named s, or an Invalid error naming field.
func ParseRole(field, s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles(), r) {
		return r, nil
	}
	return "", apperr.Field(field, "unknown role %q", s)
}

// OrgKind says what sort of body an organisation is.
type OrgKind string

// The organisation kinds.
const (
	KindNHSTrust       OrgKind = "nhs-trust"
	KindVoluntary      OrgKind = "voluntary"
	KindProbation      OrgKind = "probation"
	KindICB            OrgKind = "icb"
	KindLocalAuthority OrgKind = "local-authority"
	KindNHSEngland     OrgKind = "nhs-england"
	KindOther          OrgKind = "other"
)

// OrgKinds lists every organisation kind.
func OrgKinds() []OrgKind {
	return []OrgKind{KindNHSTrust, KindVoluntary, KindProbation, KindICB, KindLocalAuthority, KindNHSEngland, KindOther}
}

// Organisation is a body whose staff use the system. It may publish a
// directory listing, in which case HSDSOrganizationID links it to the HSDS
// organization record it owns.
type Organisation struct {
	ID                 string
	Name               string
	Kind               OrgKind
	HSDSOrganizationID string // HSDS organization.id (UUID) it edits; empty if none
	// Trusted organisations publish listing changes without admin review.
	Trusted   bool
	CreatedAt time.Time
}

// Validate reports the first problem with o as an Invalid error naming the
// field. ID is not checked, since storage assigns it.
func (o *Organisation) Validate() error {
	if err := checkText("name", o.Name, 200); err != nil {
		return err
	}
	if !slices.Contains(OrgKinds(), o.Kind) {
		return apperr.Field("kind", "unknown organisation kind %q", o.Kind)
	}
	if o.HSDSOrganizationID != "" && !validUUID(o.HSDSOrganizationID) {
		return apperr.Field("hsds_organization_id", "%q is not a UUID", o.HSDSOrganizationID)
	}
	return nil
}

// Resource returns the Resource that describes something o owns.
func (o *Organisation) Resource() Resource {
	return Resource{OrgID: o.ID, Trusted: o.Trusted}
}

// Membership gives a user one role in one organisation.
type Membership struct {
	UserID string
	OrgID  string
	Role   Role
}

// User is a person who signs in. It carries no secrets; see Credentials.
type User struct {
	ID    string
	Email string // normalised with NormalizeEmail
	Name  string
	// Admin grants every permission in every organisation.
	Admin bool
	// Memberships are the organisations the user works for, one role each.
	Memberships []Membership
	// TOTPEnabled says the user must give a TOTP code (or a recovery code)
	// after their password.
	TOTPEnabled bool
	// Disabled users cannot sign in and Can treats them as signed out.
	Disabled  bool
	CreatedAt time.Time
}

// OrgIDs returns the organisations the user belongs to, in membership order.
func (u *User) OrgIDs() []string {
	if u == nil {
		return nil
	}
	ids := make([]string, 0, len(u.Memberships))
	for _, m := range u.Memberships {
		ids = append(ids, m.OrgID)
	}
	return ids
}

// RoleIn returns the user's role in organisation orgID, or "" if the user is
// not a member of it. Admins get RoleAdmin everywhere; a nil user gets
// RolePublic.
func (u *User) RoleIn(orgID string) Role {
	switch {
	case u == nil || u.Disabled:
		return RolePublic
	case u.Admin:
		return RoleAdmin
	}
	for _, m := range u.Memberships {
		if m.OrgID == orgID && orgID != "" {
			return m.Role
		}
	}
	return ""
}

// HasRole reports whether the user holds role r in any organisation (or, for
// RoleAdmin, globally; for RolePublic, by being signed out or disabled).
func (u *User) HasRole(r Role) bool {
	switch {
	case u == nil || u.Disabled:
		return r == RolePublic
	case r == RoleAdmin:
		return u.Admin
	}
	return slices.ContainsFunc(u.Memberships, func(m Membership) bool { return m.Role == r })
}

// Validate reports the first problem with u as an Invalid error naming the
// field: the e-mail address, the name, and each membership (a known member
// role, an organisation id, no organisation twice).
func (u *User) Validate() error {
	if _, err := NormalizeEmail(u.Email); err != nil {
		return err
	}
	if err := checkText("name", u.Name, 200); err != nil {
		return err
	}
	seen := make(map[string]bool, len(u.Memberships))
	for i, m := range u.Memberships {
		field := fmt.Sprintf("memberships[%d]", i)
		if m.OrgID == "" {
			return apperr.Field(field+".org_id", "is required")
		}
		if seen[m.OrgID] {
			return apperr.Field(field+".org_id", "organisation %s appears twice; a user has one role per organisation", m.OrgID)
		}
		seen[m.OrgID] = true
		if !slices.Contains(MemberRoles(), m.Role) {
			return apperr.Field(field+".role", "%q is not a role an organisation can give", m.Role)
		}
	}
	return nil
}

// Credentials are a user's secrets, kept apart from User. Storage seals
// TOTPSecret at rest when it has a key (store.DB.SetSecretKey).
type Credentials struct {
	UserID       string
	PasswordHash string // PHC string from HashPassword; empty for single-sign-on-only users
	TOTPSecret   string // base32 secret from NewTOTP; empty if TOTP is not set up
	TOTPLastStep int64  // last accepted step, for ValidateTOTP's replay check
	// TOTPUnreadable is set when a second factor is set up but its secret
	// cannot be opened (the server's secret key is missing or another
	// one); TOTPSecret is then empty and no code can be accepted until an
	// administrator resets the second factor.
	TOTPUnreadable bool
	// RecoveryHashes are the hashes of unused recovery codes.
	RecoveryHashes [][]byte
	// FailedCount is how many sign-in attempts have failed since the last
	// success (or since an administrator unlocked the account).
	FailedCount int
	// LockedUntil is when a lock-out for too many failed attempts ends;
	// the account is locked while the current time is before it. Zero if
	// it has never been locked.
	LockedUntil time.Time
}

// NormalizeEmail trims s and lower-cases it, and returns an Invalid error
// naming "email" unless it is a bare address (no display name, no angle
// brackets, no line breaks). Lower-casing the local part is not what the
// mail standards say, but every mail system our users meet treats it so, and
// it stops one person from holding two accounts by changing case.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", apperr.Field("email", "is required")
	}
	if len(s) > 254 {
		return "", apperr.Field("email", "is longer than 254 characters")
	}
	if strings.ContainsAny(s, "\r\n<>") {
		return "", apperr.Field("email", "must be a bare address such as name@example.org")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", apperr.Field("email", "%q is not an email address such as name@example.org", s)
	}
	return strings.ToLower(s), nil
}

func checkText(field, s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return apperr.Field(field, "is required")
	case !utf8.ValidString(s):
		return apperr.Field(field, "is not valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		return apperr.Field(field, "is longer than %d characters", max)
	case strings.ContainsAny(s, "\r\n\x00"):
		return apperr.Field(field, "must be a single line")
	}
	return nil
}

// validUUID reports whether s is a UUID in canonical lower- or upper-case
// hexadecimal form.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
