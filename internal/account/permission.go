package account

import (
	"fmt"
	"slices"

	"throughcare/internal/apperr"
)

// Action is something a user may or may not do. Every permission check in
// the system names one, and Can is the only place that decides. API token
// scopes are Actions too.
type Action string

// The actions. The comment on each says who may do it; admins may do all.
const (
	// DirectoryRead: everyone, signed in or not (search, service pages, the
	// open HSDS/ORUK API, Atom feeds).
	DirectoryRead Action = "directory.read"
	// ToolkitRead: everyone (commissioning guidance, evidence library).
	ToolkitRead Action = "toolkit.read"

	// ListingEdit: providers, for listings their organisation owns. Changes
	// wait for review unless the organisation is trusted.
	ListingEdit Action = "listing.edit"
	// ListingAssure: providers, to confirm their own organisation's listing
	// is still correct ("last assured").
	ListingAssure Action = "listing.assure"
	// ListingPublish: providers of a trusted organisation, for their own
	// listings, to publish without review.
	ListingPublish Action = "listing.publish"
	// ListingReview: admins only (the review queue).
	ListingReview Action = "listing.review"
	// FreshnessReport: providers, for their own organisation's stale
	// listings; admins for all.
	FreshnessReport Action = "freshness.report"

	// TaxonomyManage: admins only.
	TaxonomyManage Action = "taxonomy.manage"
	// ImportRun: admins only (directory and reference-data imports).
	ImportRun Action = "import.run"
	// AuditRead: admins only.
	AuditRead Action = "audit.read"
	// UserManage: admins only (accounts, memberships, roles).
	UserManage Action = "user.manage"
	// OrgManage: admins only (organisations, trust).
	OrgManage Action = "org.manage"

	// PersonRead: practitioners of the organisation holding the person's
	// record; providers of the organisation a referral for them was sent to.
	PersonRead Action = "person.read"
	// PersonEdit: practitioners of the organisation holding the record.
	PersonEdit Action = "person.edit"
	// ReferralCreate: practitioners, on behalf of their own organisation.
	ReferralCreate Action = "referral.create"
	// ReferralRead: practitioners of the referring organisation; providers
	// of the receiving organisation.
	ReferralRead Action = "referral.read"
	// ReferralAct: the same two sides as ReferralRead (state changes,
	// messages, appointments, outcomes). Which transitions each side may
	// make is the referral state machine's rule, not this one.
	ReferralAct Action = "referral.act"
	// ReleaseManage: practitioners, for their own organisation's release
	// plans.
	ReleaseManage Action = "release.manage"

	// ReportRead: commissioners and providers, for reports that belong to
	// their own organisation (self-assessments, needs assessments,
	// service evaluations).
	ReportRead Action = "report.read"
	// ReportAggregate: commissioners and analysts, in any organisation:
	// aggregate reports with small numbers suppressed.
	ReportAggregate Action = "report.aggregate"

	// SignIn: everyone (the sign-in, password-reset and single-sign-on
	// pages).
	SignIn Action = "account.sign_in"
	// AccountManage: any signed-in user, for their own account (password,
	// second factor, sessions, signing out).
	AccountManage Action = "account.manage"

	// TokenManage: any signed-in user, for their own API tokens.
	TokenManage Action = "token.manage"
	// SubscriptionManage: any signed-in user, for their own area
	// subscriptions (e-mail digests).
	SubscriptionManage Action = "subscription.manage"
)

// Resource describes the thing an action is done to, as far as permissions
// care. Leave fields empty when they do not apply; an empty OrgID matches no
// one's organisation.
type Resource struct {
	// OrgID owns the thing: the organisation whose listing it is, or, for a
	// referral or a person, the referring organisation.
	OrgID string
	// ReceiverOrgID is, for a referral (or a person seen through one), the
	// organisation it was sent to.
	ReceiverOrgID string
	// Trusted copies Organisation.Trusted for the owning organisation.
	Trusted bool
	// OwnerID is the user who owns the thing (API tokens, subscriptions).
	OwnerID string
}

// rule says who may do one action. Admins may do everything, so they are
// not listed.
type rule struct {
	public     bool   // everyone, signed in or not
	anyOrg     []Role // these roles, held in any organisation
	own        []Role // these roles, held in Resource.OrgID
	receiver   []Role // these roles, held in Resource.ReceiverOrgID
	trustedOwn []Role // these roles in Resource.OrgID, when Resource.Trusted
	self       bool   // any signed-in user, when Resource.OwnerID is theirs
}

var (
	provider     = []Role{RoleProvider}
	practitioner = []Role{RolePractitioner}
)

// rules is the permission table: the single place where access is decided.
var rules = map[Action]rule{
	DirectoryRead: {public: true},
	ToolkitRead:   {public: true},

	ListingEdit:     {own: provider},
	ListingAssure:   {own: provider},
	ListingPublish:  {trustedOwn: provider},
	ListingReview:   {},
	FreshnessReport: {own: provider},

	TaxonomyManage: {},
	ImportRun:      {},
	AuditRead:      {},
	UserManage:     {},
	OrgManage:      {},

	PersonRead:     {own: practitioner, receiver: provider},
	PersonEdit:     {own: practitioner},
	ReferralCreate: {own: practitioner},
	ReferralRead:   {own: practitioner, receiver: provider},
	ReferralAct:    {own: practitioner, receiver: provider},
	ReleaseManage:  {own: practitioner},

	ReportRead:      {own: []Role{RoleCommissioner, RoleProvider}},
	ReportAggregate: {anyOrg: []Role{RoleCommissioner, RoleAnalyst}},

	SignIn:        {public: true},
	AccountManage: {self: true},

	TokenManage:        {self: true},
	SubscriptionManage: {self: true},
}

// Actions lists every action, sorted.
func Actions() []Action {
	as := make([]Action, 0, len(rules))
	for a := range rules {
		as = append(as, a)
	}
	slices.Sort(as)
	return as
}

// ParseAction returns the action named s, or an Invalid error naming field.
func ParseAction(field, s string) (Action, error) {
	if _, ok := rules[Action(s)]; ok {
		return Action(s), nil
	}
	return "", apperr.Field(field, "unknown action %q", s)
}

// Can reports whether u may do a to r. A nil or disabled user is signed out
// and has only the public permissions. Admins may do every known action.
// Unknown actions are refused to everyone.
func Can(u *User, a Action, r Resource) bool {
	rl, ok := rules[a]
	switch {
	case !ok:
		return false
	case rl.public:
		return true
	case u == nil || u.Disabled:
		return false
	case u.Admin:
		return true
	case rl.self && r.OwnerID != "" && r.OwnerID == u.ID:
		return true
	}
	for _, role := range rl.anyOrg {
		if u.HasRole(role) {
			return true
		}
	}
	if slices.Contains(rl.own, u.RoleIn(r.OrgID)) {
		return true
	}
	if slices.Contains(rl.receiver, u.RoleIn(r.ReceiverOrgID)) {
		return true
	}
	return r.Trusted && slices.Contains(rl.trustedOwn, u.RoleIn(r.OrgID))
}

// Check is Can as an error: nil when allowed, apperr.Unauthenticated when a
// signed-out user is refused (signing in might help), and apperr.Forbidden
// when a signed-in user is refused.
func Check(u *User, a Action, r Resource) error {
	if Can(u, a, r) {
		return nil
	}
	if u == nil || u.Disabled {
		return apperr.Errorf(apperr.Unauthenticated, "Sign in to do this.")
	}
	return apperr.Errorf(apperr.Forbidden, "You do not have permission to do this (%s).", a)
}

// ValidateScopes checks the scopes asked for on a new API token: each must
// be a known action, none twice, and the user must hold each one somewhere
// (a token never grants more than its owner has). It returns an Invalid
// error naming "scopes[i]".
func ValidateScopes(u *User, scopes []Action) error {
	if len(scopes) == 0 {
		return apperr.Field("scopes", "choose at least one")
	}
	for i, s := range scopes {
		field := fmt.Sprintf("scopes[%d]", i)
		if _, err := ParseAction(field, string(s)); err != nil {
			return err
		}
		if slices.Index(scopes, s) != i {
			return apperr.Field(field, "%s is listed twice", s)
		}
		if !mightDo(u, s) {
			return apperr.Field(field, "you cannot grant %s, which you do not hold", s)
		}
	}
	return nil
}

// mightDo reports whether u could do a to at least something: their own
// organisations (as owner or receiver), their own things, or anything for
// unscoped rules.
func mightDo(u *User, a Action) bool {
	if Can(u, a, Resource{}) {
		return true
	}
	if u == nil {
		return false
	}
	if Can(u, a, Resource{OwnerID: u.ID}) {
		return true
	}
	for _, id := range u.OrgIDs() {
		if Can(u, a, Resource{OrgID: id, Trusted: true}) || Can(u, a, Resource{ReceiverOrgID: id}) {
			return true
		}
	}
	return false
}
