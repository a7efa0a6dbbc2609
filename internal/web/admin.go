package web

import (
	"errors"
	"net/http"
	"strings"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
)

// Administration: the pages under /admin, where the system owner looks
// after users, organisations and the audit log. Every route here is for
// administrators only: each names an action that only User.Admin grants
// (account.UserManage, account.OrgManage, account.AuditRead) on no
// particular record, so account.Can refuses everyone else before the
// handler runs.
//
// Changes are made by POST forms that redirect to the record's page with
// ?done=WHAT, which shows a success banner; a form with problems is shown
// again with the GOV.UK error summary and nothing written.

// The administration rules.
var (
	adminUsers = can(account.UserManage, nil)
	adminOrgs  = can(account.OrgManage, nil)
	adminAudit = can(account.AuditRead, nil)
)

// adminRoutes registers the administration pages.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	// The dashboard is for administrators, whom UserManage picks out as
	// well as any other admin-only action does.
	s.route(mux, "GET /admin", adminUsers, s.showAdmin)

	s.route(mux, "GET /admin/users", adminUsers, s.listAdminUsers)
	s.route(mux, "GET /admin/users/new", adminUsers, s.showNewUser)
	s.route(mux, "POST /admin/users/new", adminUsers, s.createUser)
	s.route(mux, "GET /admin/users/{id}", adminUsers, s.showAdminUser)
	s.route(mux, "POST /admin/users/{id}/roles", adminUsers, s.changeUserRoles)
	s.route(mux, "POST /admin/users/{id}/admin", adminUsers, s.changeUserAdmin)
	s.route(mux, "POST /admin/users/{id}/disable", adminUsers, s.disableUser)
	s.route(mux, "POST /admin/users/{id}/enable", adminUsers, s.enableUser)
	s.route(mux, "POST /admin/users/{id}/unlock", adminUsers, s.unlockUser)
	s.route(mux, "POST /admin/users/{id}/reset-second-factor", adminUsers, s.resetSecondFactor)
	s.route(mux, "POST /admin/users/{id}/password-link", adminUsers, s.sendUserPasswordLink)

	s.route(mux, "GET /admin/organisations", adminOrgs, s.listAdminOrganisations)
	s.route(mux, "GET /admin/organisations/new", adminOrgs, s.showNewOrganisation)
	s.route(mux, "POST /admin/organisations/new", adminOrgs, s.createOrganisation)
	s.route(mux, "GET /admin/organisations/{id}", adminOrgs, s.showAdminOrganisation)
	s.route(mux, "POST /admin/organisations/{id}", adminOrgs, s.updateOrganisation)

	s.route(mux, "GET /admin/audit", adminAudit, s.showAudit)
}

// AdminSection is one entry of the administration dashboard.
type AdminSection struct {
	Href, Title, Description string
	// Action is what the user must be allowed to do, to no particular
	// record, to see the entry.
	Action account.Action
}

// adminSections are the dashboard's entries, in the order shown. A new
// administration page adds its entry here.
var adminSections = []AdminSection{
	{Href: "/admin/reviews", Title: reviewQueueTitle, Description: "Changes providers have made to their listings, waiting for approval before they are published.", Action: account.ListingReview},
	{Href: "/admin/users", Title: "Users", Description: "Add users, change their organisations and roles, disable or unlock accounts.", Action: account.UserManage},
	{Href: "/admin/organisations", Title: "Organisations", Description: "Add organisations, link them to their directory listing and decide whose listing changes need review.", Action: account.OrgManage},
	{Href: "/admin/audit", Title: "Audit log", Description: "Search the record of who did what, and check that it has not been tampered with.", Action: account.AuditRead},
	{Href: "/admin/freshness", Title: "Listings to confirm", Description: "Listings not confirmed as correct for too long, and when their providers were last reminded.", Action: account.FreshnessReport},
}

// AdminPage is the data of the administration dashboard.
type AdminPage struct {
	Page
	Sections []AdminSection
}

func (s *Server) showAdmin(w http.ResponseWriter, r *http.Request) error {
	p := &AdminPage{Page: Page{Title: "Administration"}}
	u := userOf(r)
	for _, sec := range adminSections {
		if account.Can(u, sec.Action, account.Resource{}) {
			p.Sections = append(p.Sections, sec)
		}
	}
	return s.render(w, r, http.StatusOK, "admin", p)
}

// addError records err against a form field if it is a FieldError naming a
// field that fields maps to an input id (with label naming it in the
// message), and reports whether it did. Other errors are left to the
// caller.
func (f *formErrors) addError(err error, fields map[string]adminField) bool {
	fe, ok := errors.AsType[*apperr.FieldError](err)
	if !ok {
		return false
	}
	af, ok := fields[fe.Field]
	if !ok {
		return false
	}
	f.add(af.id, adminMessage(af.label, fe.Msg))
	return true
}

// adminField names the input of a form that a store or domain field error
// is about, and how to call it in a sentence.
type adminField struct{ id, label string }

// adminMessage turns a domain error message into a sentence about the
// field called label: "is required" becomes "Name is required".
func adminMessage(label, msg string) string {
	for _, verb := range []string{"is ", "must ", "needs ", "appears "} {
		if strings.HasPrefix(msg, verb) {
			msg = label + " " + msg
			break
		}
	}
	return upperFirst(msg)
}

// formStatus is the status of a page showing a form with problems: 409
// when it clashed with a record that exists, else 400.
func formStatus(err error) int {
	if errors.Is(err, apperr.Conflict) {
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// AdminNotice is the banner shown after a change: a success, or (when
// Success is false) something the administrator must act on.
type AdminNotice struct {
	Text    string
	Success bool
}

// adminDone are the banners of ?done=WHAT after a change.
var adminDone = map[string]AdminNotice{
	"user-created":  {"User added. An email with a link to set their password has been sent to them.", true},
	"mail-failed":   {"User added, but the email with a link to set their password could not be sent. Send them a new link below.", false},
	"org-created":   {"Organisation added.", true},
	"roles":         {"Organisations and roles saved.", true},
	"roles-same":    {"Nothing changed: the organisations and roles are as they were.", true},
	"admin":         {"Administrator access saved.", true},
	"disabled":      {"Account disabled. The user has been signed out everywhere and cannot sign in.", true},
	"enabled":       {"Account enabled. The user can sign in again.", true},
	"unlocked":      {"Account unlocked. The user can try signing in again at once.", true},
	"totp-reset":    {"Two-factor authentication turned off. The user can sign in with their password and set it up again.", true},
	"link-sent":     {"An email with a link to set a new password has been sent.", true},
	"saved":         {"Changes saved.", true},
	"nothing-saved": {"Nothing changed.", true},
}

// doneNotice returns the banner for r's ?done= value; its Text is "" for
// none.
func doneNotice(r *http.Request) AdminNotice {
	return adminDone[r.URL.Query().Get("done")]
}

// adminRedirect sends the browser to path after a change, with the banner
// for done.
func adminRedirect(w http.ResponseWriter, r *http.Request, path, done string) error {
	http.Redirect(w, r, path+"?done="+done, http.StatusSeeOther)
	return nil
}

// roleText names a member role for people.
func roleText(r account.Role) string {
	switch r {
	case account.RoleProvider:
		return "Provider"
	case account.RolePractitioner:
		return "Practitioner"
	case account.RoleCommissioner:
		return "Commissioner"
	case account.RoleAnalyst:
		return "Analyst"
	case account.RoleAdmin:
		return "Administrator"
	}
	return string(r)
}

// roleOptions are the member roles as select options, with selected
// chosen.
func roleOptions(selected account.Role) []Option {
	var out []Option
	for _, r := range account.MemberRoles() {
		out = append(out, Option{Value: string(r), Text: roleText(r), Selected: r == selected})
	}
	return out
}

// orgKindText names an organisation kind for people.
func orgKindText(k account.OrgKind) string {
	switch k {
	case account.KindNHSTrust:
		return "NHS trust"
	case account.KindVoluntary:
		return "Voluntary or community organisation"
	case account.KindProbation:
		return "Probation service"
	case account.KindICB:
		return "Integrated care board"
	case account.KindLocalAuthority:
		return "Local authority"
	case account.KindNHSEngland:
		return "NHS England"
	case account.KindOther:
		return "Other"
	}
	return string(k)
}

// compile-time checks that every administration page's data satisfies
// pageData.
var (
	_ pageData = (*AdminPage)(nil)
	_ pageData = (*AdminUsersPage)(nil)
	_ pageData = (*AdminUserPage)(nil)
	_ pageData = (*AdminNewUserPage)(nil)
	_ pageData = (*AdminOrganisationsPage)(nil)
	_ pageData = (*AdminOrganisationPage)(nil)
	_ pageData = (*AdminAuditPage)(nil)
)
