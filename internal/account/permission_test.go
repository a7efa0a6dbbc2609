package account

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/apperr"
)

// The resources every role is tried against. The user under test belongs to
// org-a (when it has a membership) and has id u1.
var scopes = []struct {
	name string
	r    Resource
}{
	{"none", Resource{}},
	{"own", Resource{OrgID: "org-a"}},
	{"ownTrusted", Resource{OrgID: "org-a", Trusted: true}},
	{"other", Resource{OrgID: "org-b", Trusted: true}},
	{"receiver", Resource{OrgID: "org-b", ReceiverOrgID: "org-a"}},
	{"mine", Resource{OwnerID: "u1"}},
	{"theirs", Resource{OrgID: "org-a", OwnerID: "u2"}},
}

const allScopes = "none own ownTrusted other receiver mine theirs"

// wantCan is the expected permission table, written out by hand: for each
// action, the roles allowed and on which of the scopes above. Anything not
// listed is refused. Admins are allowed everything and are checked apart.
var wantCan = map[Action]map[Role]string{
	DirectoryRead: everyone(),
	ToolkitRead:   everyone(),

	ListingEdit:     {RoleProvider: "own ownTrusted theirs"},
	ListingAssure:   {RoleProvider: "own ownTrusted theirs"},
	ListingPublish:  {RoleProvider: "ownTrusted"},
	ListingReview:   {},
	FreshnessReport: {RoleProvider: "own ownTrusted theirs"},

	TaxonomyManage: {},
	ImportRun:      {},
	AuditRead:      {},
	UserManage:     {},
	OrgManage:      {},

	PersonRead:     {RolePractitioner: "own ownTrusted theirs", RoleProvider: "receiver"},
	PersonEdit:     {RolePractitioner: "own ownTrusted theirs"},
	ReferralCreate: {RolePractitioner: "own ownTrusted theirs"},
	ReferralRead:   {RolePractitioner: "own ownTrusted theirs", RoleProvider: "receiver"},
	ReferralAct:    {RolePractitioner: "own ownTrusted theirs", RoleProvider: "receiver"},
	ReleaseManage:  {RolePractitioner: "own ownTrusted theirs"},

	ReportRead: {
		RoleCommissioner: "own ownTrusted theirs",
		RoleProvider:     "own ownTrusted theirs",
	},
	ReportAggregate: {RoleCommissioner: allScopes, RoleAnalyst: allScopes},

	SignIn: everyone(),
	AccountManage: {
		RoleProvider: "mine", RolePractitioner: "mine", RoleCommissioner: "mine", RoleAnalyst: "mine",
	},

	TokenManage: {
		RoleProvider: "mine", RolePractitioner: "mine", RoleCommissioner: "mine", RoleAnalyst: "mine",
	},
	SubscriptionManage: {
		RoleProvider: "mine", RolePractitioner: "mine", RoleCommissioner: "mine", RoleAnalyst: "mine",
	},
}

func everyone() map[Role]string {
	m := map[Role]string{}
	for _, r := range Roles() {
		m[r] = allScopes
	}
	return m
}

// userWithRole returns the user under test for role: nil for public, a
// global admin, or a member of org-a with that role.
func userWithRole(role Role) *User {
	switch role {
	case RolePublic:
		return nil
	case RoleAdmin:
		return &User{ID: "u1", Email: "admin@example.org", Name: "Admin", Admin: true}
	}
	return &User{ID: "u1", Email: "x@example.org", Name: "X",
		Memberships: []Membership{{UserID: "u1", OrgID: "org-a", Role: role}}}
}

func TestCanTable(t *testing.T) {
	if got, want := len(wantCan), len(Actions()); got != want {
		t.Fatalf("the expected table covers %d actions, the rules %d", got, want)
	}
	for _, a := range Actions() {
		want, ok := wantCan[a]
		if !ok {
			t.Fatalf("action %s has no row in the expected table", a)
		}
		for _, role := range Roles() {
			u := userWithRole(role)
			for _, s := range scopes {
				expect := role == RoleAdmin || slices.Contains(strings.Fields(want[role]), s.name)
				if got := Can(u, a, s.r); got != expect {
					t.Errorf("Can(%s, %s, %s) = %v, want %v", role, a, s.name, got, expect)
				}
			}
		}
	}
}

func TestCanDisabledUserIsPublic(t *testing.T) {
	for _, role := range Roles()[1:] {
		u := userWithRole(role)
		u.Disabled = true
		for _, a := range Actions() {
			for _, s := range scopes {
				if got, want := Can(u, a, s.r), Can(nil, a, s.r); got != want {
					t.Errorf("disabled %s: Can(%s, %s) = %v, want the public answer %v", role, a, s.name, got, want)
				}
			}
		}
	}
}

func TestCanRoleIsPerOrganisation(t *testing.T) {
	u := &User{ID: "u1", Memberships: []Membership{
		{UserID: "u1", OrgID: "trust", Role: RoleProvider},
		{UserID: "u1", OrgID: "probation", Role: RolePractitioner},
	}}
	cases := []struct {
		a    Action
		r    Resource
		want bool
	}{
		{ListingEdit, Resource{OrgID: "trust"}, true},
		{ListingEdit, Resource{OrgID: "probation"}, false},
		{ReferralCreate, Resource{OrgID: "probation"}, true},
		{ReferralCreate, Resource{OrgID: "trust"}, false},
		{ReferralAct, Resource{OrgID: "elsewhere", ReceiverOrgID: "trust"}, true},
		{ReferralAct, Resource{OrgID: "elsewhere", ReceiverOrgID: "probation"}, false},
		{ReferralRead, Resource{OrgID: "", ReceiverOrgID: ""}, false},
	}
	for _, c := range cases {
		if got := Can(u, c.a, c.r); got != c.want {
			t.Errorf("Can(%s, %+v) = %v, want %v", c.a, c.r, got, c.want)
		}
	}
}

func TestCanUnknownAction(t *testing.T) {
	if Can(userWithRole(RoleAdmin), "directory.delete", Resource{}) {
		t.Error("an unknown action was allowed to an admin")
	}
	if Can(nil, "", Resource{}) {
		t.Error("the empty action was allowed")
	}
}

func TestCanSelfNeedsOwner(t *testing.T) {
	u := &User{} // no id yet: must not match an unowned resource
	if Can(u, TokenManage, Resource{}) {
		t.Error("a user with no id managed a token with no owner")
	}
}

func TestCheck(t *testing.T) {
	if err := Check(nil, DirectoryRead, Resource{}); err != nil {
		t.Errorf("public read: %v", err)
	}
	if err := Check(nil, ListingEdit, Resource{OrgID: "org-a"}); !errors.Is(err, apperr.Unauthenticated) {
		t.Errorf("signed out: got %v, want Unauthenticated", err)
	}
	err := Check(userWithRole(RoleAnalyst), ListingEdit, Resource{OrgID: "org-a"})
	if !errors.Is(err, apperr.Forbidden) || !strings.Contains(err.Error(), "listing.edit") {
		t.Errorf("signed in: got %v, want Forbidden naming listing.edit", err)
	}
}

func TestParseAction(t *testing.T) {
	if a, err := ParseAction("scope", "referral.read"); err != nil || a != ReferralRead {
		t.Errorf("got %q, %v", a, err)
	}
	_, err := ParseAction("scope", "referral.delete")
	var fe *apperr.FieldError
	if !errors.As(err, &fe) || fe.Field != "scope" {
		t.Errorf("got %v, want a field error on scope", err)
	}
}

func TestValidateScopes(t *testing.T) {
	prov := userWithRole(RoleProvider)
	cases := []struct {
		u      *User
		scopes []Action
		field  string // "" means valid
	}{
		{prov, []Action{DirectoryRead, ListingEdit, ReferralRead, TokenManage}, ""},
		{prov, nil, "scopes"},
		{prov, []Action{ListingEdit, "listing.delete"}, "scopes[1]"},
		{prov, []Action{ListingEdit, ListingEdit}, "scopes[1]"},
		{prov, []Action{ReferralCreate}, "scopes[0]"}, // practitioners only
		// org-a is not trusted yet, but may become so; the token then
		// publishes only once Can agrees.
		{prov, []Action{ListingPublish}, ""},
		{prov, []Action{UserManage}, "scopes[0]"}, // admin only
		{userWithRole(RoleAnalyst), []Action{ReportAggregate}, ""},
		{userWithRole(RoleAdmin), []Action{UserManage, AuditRead}, ""},
	}
	for i, c := range cases {
		err := ValidateScopes(c.u, c.scopes)
		if c.field == "" {
			if err != nil {
				t.Errorf("case %d: %v", i, err)
			}
			continue
		}
		var fe *apperr.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("case %d: got %v, want a field error on %s", i, err, c.field)
		}
	}
}

func TestCanWithToken(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	u := userWithRole(RoleProvider)
	tok := &APIToken{ID: "t1", UserID: "u1", Scopes: []Action{ListingEdit}, ExpiresAt: now.Add(time.Hour)}
	own := Resource{OrgID: "org-a"}
	if !CanWithToken(u, tok, ListingEdit, own, now) {
		t.Error("a scoped, active token was refused")
	}
	if CanWithToken(u, tok, ReferralRead, Resource{ReceiverOrgID: "org-a"}, now) {
		t.Error("an action outside the token's scopes was allowed")
	}
	if CanWithToken(u, tok, ListingEdit, Resource{OrgID: "org-b"}, now) {
		t.Error("a token allowed more than its owner may do")
	}
	if CanWithToken(u, tok, ListingEdit, own, now.Add(time.Hour)) {
		t.Error("an expired token was allowed")
	}
	other := &User{ID: "u2", Memberships: u.Memberships}
	if CanWithToken(other, tok, ListingEdit, own, now) {
		t.Error("a token was used by someone other than its owner")
	}
	tok.RevokedAt = now.Add(-time.Minute)
	if CanWithToken(u, tok, ListingEdit, own, now) {
		t.Error("a revoked token was allowed")
	}
	if CanWithToken(u, nil, ListingEdit, own, now) || CanWithToken(nil, tok, DirectoryRead, own, now) {
		t.Error("a nil token or user was allowed")
	}
}
