package account

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"throughcare/internal/apperr"
)

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var fe *apperr.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("%v is not a field error", err)
	}
	return fe.Field
}

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{
		"Jane.Smith@Example.ORG":    "jane.smith@example.org",
		"  a+tag@probation.gov.uk ": "a+tag@probation.gov.uk",
	}
	for in, want := range good {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "jane", "jane@", "@example.org", "jane@localhost",
		"Jane <jane@example.org>", "jane@example.org\r\nBcc: x@example.org", "a b@example.org",
		strings.Repeat("a", 250) + "@example.org"} {
		if _, err := NormalizeEmail(in); fieldOf(t, err) != "email" {
			t.Errorf("NormalizeEmail(%q): got %v, want a field error on email", in, err)
		}
	}
}

func TestUserValidate(t *testing.T) {
	ok := func() User {
		return User{ID: "u1", Email: "jane@example.org", Name: "Jane Smith", Memberships: []Membership{
			{UserID: "u1", OrgID: "o1", Role: RoleProvider},
			{UserID: "u1", OrgID: "o2", Role: RolePractitioner},
		}}
	}
	u := ok()
	if err := u.Validate(); err != nil {
		t.Fatalf("valid user: %v", err)
	}
	cases := []struct {
		edit  func(*User)
		field string
	}{
		{func(u *User) { u.Email = "nope" }, "email"},
		{func(u *User) { u.Name = " " }, "name"},
		{func(u *User) { u.Name = strings.Repeat("é", 201) }, "name"},
		{func(u *User) { u.Name = "Jane\nSmith" }, "name"},
		{func(u *User) { u.Memberships[1].OrgID = "" }, "memberships[1].org_id"},
		{func(u *User) { u.Memberships[1].OrgID = "o1" }, "memberships[1].org_id"},
		{func(u *User) { u.Memberships[0].Role = RoleAdmin }, "memberships[0].role"},
		{func(u *User) { u.Memberships[0].Role = RolePublic }, "memberships[0].role"},
		{func(u *User) { u.Memberships[0].Role = "boss" }, "memberships[0].role"},
	}
	for i, c := range cases {
		u := ok()
		c.edit(&u)
		if got := fieldOf(t, u.Validate()); got != c.field {
			t.Errorf("case %d: error on %q, want %q", i, got, c.field)
		}
	}
}

func TestUserRoles(t *testing.T) {
	u := &User{ID: "u1", Memberships: []Membership{
		{OrgID: "o1", Role: RoleProvider}, {OrgID: "o2", Role: RoleCommissioner},
	}}
	if got := u.OrgIDs(); !slices.Equal(got, []string{"o1", "o2"}) {
		t.Errorf("OrgIDs = %v", got)
	}
	if u.RoleIn("o2") != RoleCommissioner || u.RoleIn("o3") != "" || u.RoleIn("") != "" {
		t.Error("RoleIn is wrong")
	}
	if !u.HasRole(RoleProvider) || u.HasRole(RoleAnalyst) || u.HasRole(RoleAdmin) || u.HasRole(RolePublic) {
		t.Error("HasRole is wrong")
	}
	var nobody *User
	if nobody.RoleIn("o1") != RolePublic || !nobody.HasRole(RolePublic) || nobody.OrgIDs() != nil {
		t.Error("a nil user is not public")
	}
	admin := &User{Admin: true}
	if admin.RoleIn("anything") != RoleAdmin || !admin.HasRole(RoleAdmin) {
		t.Error("an admin is not admin everywhere")
	}
	u.Disabled = true
	if u.RoleIn("o1") != RolePublic || u.HasRole(RoleProvider) {
		t.Error("a disabled user kept their roles")
	}
}

func TestParseRole(t *testing.T) {
	if r, err := ParseRole("role", "analyst"); err != nil || r != RoleAnalyst {
		t.Errorf("got %q, %v", r, err)
	}
	if _, err := ParseRole("memberships[0].role", "Analyst"); fieldOf(t, err) != "memberships[0].role" {
		t.Errorf("got %v", err)
	}
}

func TestOrganisationValidate(t *testing.T) {
	ok := func() Organisation {
		return Organisation{ID: "o1", Name: "Lincolnshire Partnership NHS Foundation Trust", Kind: KindNHSTrust,
			HSDSOrganizationID: "0b7d3b1c-2f4e-4c2a-9d7e-1a2b3c4d5e6f", Trusted: true}
	}
	o := ok()
	if err := o.Validate(); err != nil {
		t.Fatalf("valid organisation: %v", err)
	}
	if r := o.Resource(); r != (Resource{OrgID: "o1", Trusted: true}) {
		t.Errorf("Resource = %+v", r)
	}
	cases := []struct {
		edit  func(*Organisation)
		field string
	}{
		{func(o *Organisation) { o.Name = "" }, "name"},
		{func(o *Organisation) { o.Kind = "charity" }, "kind"},
		{func(o *Organisation) { o.Kind = "" }, "kind"},
		{func(o *Organisation) { o.HSDSOrganizationID = "not-a-uuid" }, "hsds_organization_id"},
		{func(o *Organisation) { o.HSDSOrganizationID = "0b7d3b1c-2f4e-4c2a-9d7e-1a2b3c4d5e6g" }, "hsds_organization_id"},
		{func(o *Organisation) { o.HSDSOrganizationID = "" }, ""},
	}
	for i, c := range cases {
		o := ok()
		c.edit(&o)
		if got := fieldOf(t, o.Validate()); got != c.field {
			t.Errorf("case %d: error on %q, want %q", i, got, c.field)
		}
	}
}
