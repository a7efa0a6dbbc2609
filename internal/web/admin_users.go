package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/mail"
)

// User administration: the list of users, adding a user (who then sets
// their own password through an e-mailed link), and each user's page with
// forms to change their organisations and roles, administrator access,
// and whether their account is disabled or locked.

// PasswordLinkPurpose is the purpose a set-password link is signed for
// (account.SignLink); the password-reset page verifies links for it.
const PasswordLinkPurpose = "password-reset"

// PasswordLinkLife is how long a set-password link sent to a new user
// works.
const PasswordLinkLife = 72 * time.Hour

// AdminUsersPage is the data of the list of users.
type AdminUsersPage struct {
	Page
	Users []AdminUserRow
}

// AdminUserRow is a user as the list of users shows them.
type AdminUserRow struct {
	ID, Name, Email string
	// Roles say what the user is in each organisation: "Provider,
	// Lincoln Minds".
	Roles       []string
	Admin       bool
	TOTPEnabled bool
	Disabled    bool
}

// AdminNewUserPage is the data of the form adding a user.
type AdminNewUserPage struct {
	Page
	Form          formErrors
	Name, Email   string
	Organisations []Option
	Roles         []Option
	Admin         bool
}

// AdminUserPage is the data of one user's page.
type AdminUserPage struct {
	Page
	User account.User
	// Self is set when the user is the administrator looking at the page,
	// who may not take away their own administration or disable
	// themselves.
	Self bool
	// Done is the banner after a change.
	Done AdminNotice
	Form formErrors
	// Memberships are the user's organisations, each with a choice of
	// role (or removal).
	Memberships []AdminMembership
	// AddOrganisations are the organisations the user is not a member of,
	// for adding one; AddRoles are the roles to give there.
	AddOrganisations []Option
	AddRoles         []Option
	// Locked says until when the account is locked after failed sign-ins
	// ("" if it is not), and Failures how many have failed since the last
	// success.
	Locked   string
	Failures int
	// SignIns is the user's open sessions.
	Sessions int
}

// AdminMembership is one of a user's organisations on their page.
type AdminMembership struct {
	OrgID, OrgName string
	Role           account.Role
	// Field is the name of the role's select: "role-" and the
	// organisation's id.
	Field string
	Roles []Option
	// Remove is set when the form sent asked to remove the membership.
	Remove bool
}

func (s *Server) listAdminUsers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	users, err := s.cfg.DB.ListUsers(ctx)
	if err != nil {
		return err
	}
	names, err := s.orgNames(r)
	if err != nil {
		return err
	}
	p := &AdminUsersPage{Page: Page{Title: "Users"}}
	for _, u := range users {
		row := AdminUserRow{ID: u.ID, Name: u.Name, Email: u.Email, Admin: u.Admin, TOTPEnabled: u.TOTPEnabled, Disabled: u.Disabled}
		for _, m := range u.Memberships {
			row.Roles = append(row.Roles, roleText(m.Role)+", "+cmp.Or(names[m.OrgID], m.OrgID))
		}
		slices.Sort(row.Roles)
		p.Users = append(p.Users, row)
	}
	return s.render(w, r, http.StatusOK, "admin-users", p)
}

// orgNames returns the name of every organisation by id.
func (s *Server) orgNames(r *http.Request) (map[string]string, error) {
	orgs, err := s.cfg.DB.Organisations(r.Context())
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	return names, nil
}

func (s *Server) showNewUser(w http.ResponseWriter, r *http.Request) error {
	// ?organisation= chooses the organisation, for the link from an
	// organisation's page.
	p, err := s.newUserPage(r, r.URL.Query().Get("organisation"), "")
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin-user-new", p)
}

// newUserPage returns the form adding a user, with org and role chosen.
func (s *Server) newUserPage(r *http.Request, org, role string) (*AdminNewUserPage, error) {
	orgs, err := s.cfg.DB.Organisations(r.Context())
	if err != nil {
		return nil, err
	}
	p := &AdminNewUserPage{Page: Page{Title: "Add a user"}, Roles: roleOptions(account.Role(role))}
	for _, o := range orgs {
		p.Organisations = append(p.Organisations, Option{Value: o.ID, Text: o.Name, Selected: o.ID == org})
	}
	return p, nil
}

// newUserFields maps the store's field errors about a new user to the
// form's inputs.
var newUserFields = map[string]adminField{
	"name":                  {"name", "Full name"},
	"email":                 {"email", "Email address"},
	"memberships[0].org_id": {"organisation", "Organisation"},
	"memberships[0].role":   {"role", "Role"},
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "The form could not be read.")
	}
	ctx := r.Context()
	name, email := strings.TrimSpace(r.PostForm.Get("name")), strings.TrimSpace(r.PostForm.Get("email"))
	org, role := r.PostForm.Get("organisation"), r.PostForm.Get("role")
	admin := r.PostForm.Get("admin") == "yes"
	p, err := s.newUserPage(r, org, role)
	if err != nil {
		return err
	}
	p.Title = errorTitle(p.Title)
	p.Name, p.Email, p.Admin = name, email, admin

	f := &p.Form
	if name == "" {
		f.add("name", "Enter the user's full name")
	}
	if email == "" {
		f.add("email", "Enter the user's email address")
	} else if _, err := account.NormalizeEmail(email); err != nil {
		f.add("email", "Enter an email address in the correct format, like name@example.org")
	}
	u := account.User{Name: name, Email: email, Admin: admin}
	switch {
	case org == "" && role == "" && !admin:
		f.add("organisation", "Choose the organisation the user works for (only administrators may have none)")
	case org == "" && role != "":
		f.add("organisation", "Choose the organisation the user has this role in")
	case org != "" && role == "":
		f.add("role", "Choose the user's role in the organisation")
	case org != "":
		if !slices.ContainsFunc(p.Organisations, func(o Option) bool { return o.Value == org }) {
			f.add("organisation", "Choose an organisation from the list")
		}
		if !slices.Contains(account.MemberRoles(), account.Role(role)) {
			f.add("role", "Choose a role from the list")
		}
		u.Memberships = []account.Membership{{OrgID: org, Role: account.Role(role)}}
	}
	if f.failed() {
		return s.render(w, r, http.StatusBadRequest, "admin-user-new", p)
	}

	ev := s.auditEvent(r, audit.UserCreated, adminDetail(map[string]any{"admin": admin, "roles": rolesDetail(u.Memberships)}))
	if len(u.Memberships) == 1 {
		ev.OrgID = u.Memberships[0].OrgID
	}
	// No password: the user sets one through the link sent below, so no
	// administrator ever knows it.
	created, err := s.cfg.DB.CreateUser(ctx, u, "", ev)
	switch {
	case errors.Is(err, apperr.Conflict):
		f.add("email", "A user with the email address "+strings.ToLower(email)+" already exists")
		return s.render(w, r, http.StatusConflict, "admin-user-new", p)
	case err != nil && f.addError(err, newUserFields):
		return s.render(w, r, http.StatusBadRequest, "admin-user-new", p)
	case err != nil:
		return err
	}
	done := "user-created"
	if !s.sendPasswordLink(r, created, "account created") {
		done = "mail-failed"
	}
	return adminRedirect(w, r, "/admin/users/"+created.ID, done)
}

// sendPasswordLink e-mails u a link to set their password, valid for
// PasswordLinkLife and usable once, audits the sending with reason in
// Detail, and reports whether the e-mail was sent. Failures are logged
// without the address, which mail errors may quote.
func (s *Server) sendPasswordLink(r *http.Request, u account.User, reason string) bool {
	now := s.now()
	expires := now.Add(PasswordLinkLife)
	nonce, _ := account.NewToken()
	token := account.SignLink(s.cfg.LinkKey, PasswordLinkPurpose, u.ID, expires, nonce)
	link := strings.TrimSuffix(s.cfg.BaseURL, "/") + "/sign-in/reset?token=" + url.QueryEscape(token)
	when := expires.In(ukTime).Format("15:04 on 2 January 2006")
	text := fmt.Sprintf(`Hello %s,

An account on Throughcare has been set up for you, or a new password has been asked for on your behalf by an administrator.

To choose your password, open this link:

%s

The link works once, until %s (UK time). If it has run out, use "Forgot your password?" on the sign-in page, or ask your administrator for a new one.

If you did not expect this email, you can ignore it: nothing changes until the link is used.

Throughcare
`, u.Name, link, when)
	ctx := r.Context()
	if err := s.cfg.Mailer.Send(ctx, mail.Message{To: []string{u.Email}, Subject: "Set your Throughcare password", Text: text}); err != nil {
		s.log.ErrorContext(ctx, "sending a set-password email failed", "user", u.ID, "err", strings.ReplaceAll(err.Error(), u.Email, "<recipient>"))
		return false
	}
	// The e-mail has gone whatever happens next, so a failure to record
	// it is logged rather than reported as a failure to send.
	ev := s.auditEvent(r, audit.UserPasswordResetSent, adminDetail(map[string]any{"reason": reason}))
	ev.RecordType, ev.RecordID = "user", u.ID
	if _, err := s.cfg.DB.AppendAudit(ctx, ev); err != nil {
		s.log.ErrorContext(ctx, "recording a set-password email in the audit log failed", "user", u.ID, "err", err)
	}
	return true
}

// adminDetail returns v as a JSON object for an audit event's Detail.
// Callers pass only ids, roles, flags and reason codes, never personal
// data.
func adminDetail(v map[string]any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps of plain values are passed; this cannot happen.
		panic(fmt.Sprintf("web: audit detail: %v", err))
	}
	return string(b)
}

// rolesDetail describes memberships for an audit event: role by
// organisation id.
func rolesDetail(ms []account.Membership) map[string]string {
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		out[m.OrgID] = string(m.Role)
	}
	return out
}

func (s *Server) showAdminUser(w http.ResponseWriter, r *http.Request) error {
	p, err := s.adminUserPage(r)
	if err != nil {
		return err
	}
	p.Done = doneNotice(r)
	return s.render(w, r, http.StatusOK, "admin-user", p)
}

// adminUserPage loads the page of the user named in r's path.
func (s *Server) adminUserPage(r *http.Request) (*AdminUserPage, error) {
	ctx := r.Context()
	u, err := s.cfg.DB.User(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	orgs, err := s.cfg.DB.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	p := &AdminUserPage{Page: Page{Title: u.Name}, User: u, AddRoles: roleOptions("")}
	if me := userOf(r); me != nil && me.ID == u.ID {
		p.Self = true
	}
	roles := map[string]account.Role{}
	for _, m := range u.Memberships {
		roles[m.OrgID] = m.Role
	}
	for _, o := range orgs {
		role, member := roles[o.ID]
		if !member {
			p.AddOrganisations = append(p.AddOrganisations, Option{Value: o.ID, Text: o.Name})
			continue
		}
		p.Memberships = append(p.Memberships, AdminMembership{OrgID: o.ID, OrgName: o.Name, Role: role, Field: "role-" + o.ID, Roles: roleOptions(role)})
	}
	c, err := s.cfg.DB.Credentials(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p.Failures = c.FailedCount
	if now := s.now(); now.Before(c.LockedUntil) {
		p.Locked = c.LockedUntil.In(ukTime).Format("15:04 on 2 January 2006")
	}
	sessions, err := s.cfg.DB.Sessions(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p.Sessions = len(sessions)
	return p, nil
}

// userFormError shows the user's page again with a problem with one of its
// forms, at status.
func (s *Server) userFormError(w http.ResponseWriter, r *http.Request, status int, field, href, msg string) error {
	p, err := s.adminUserPage(r)
	if err != nil {
		return err
	}
	p.Title = errorTitle(p.Title)
	p.Form.addLinked(field, href, msg)
	return s.render(w, r, status, "admin-user", p)
}

func (s *Server) changeUserRoles(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "The form could not be read.")
	}
	ctx := r.Context()
	p, err := s.adminUserPage(r)
	if err != nil {
		return err
	}
	u := p.User
	orgs, err := s.cfg.DB.Organisations(ctx)
	if err != nil {
		return err
	}
	// Each role-ORG field sets or ("none") removes the role in that
	// organisation; organisations the form does not mention keep theirs,
	// so a change made meanwhile by someone else to another organisation
	// is not undone.
	roles := map[string]account.Role{}
	for _, m := range u.Memberships {
		roles[m.OrgID] = m.Role
	}
	names := map[string]string{}
	f := &p.Form
	for _, o := range orgs {
		names[o.ID] = o.Name
		field := "role-" + o.ID
		if !r.PostForm.Has(field) {
			continue
		}
		switch v := r.PostForm.Get(field); {
		case v == "none":
			delete(roles, o.ID)
		case slices.Contains(account.MemberRoles(), account.Role(v)):
			roles[o.ID] = account.Role(v)
		default:
			f.add(field, "Choose a role in "+o.Name+" from the list")
		}
	}
	addOrg, addRole := r.PostForm.Get("add-org"), r.PostForm.Get("add-role")
	switch {
	case addOrg == "" && addRole != "":
		f.add("add-org", "Choose the organisation to add the user to")
	case addOrg != "" && names[addOrg] == "":
		f.add("add-org", "Choose an organisation from the list")
	case addOrg != "" && addRole == "":
		f.add("add-role", "Choose the user's role in "+names[addOrg])
	case addOrg != "" && !slices.Contains(account.MemberRoles(), account.Role(addRole)):
		f.add("add-role", "Choose a role from the list")
	case addOrg != "":
		if _, member := roles[addOrg]; member {
			f.add("add-org", "The user is already in "+names[addOrg]+": change their role there instead")
		} else {
			roles[addOrg] = account.Role(addRole)
		}
	}
	if f.failed() {
		// Show the form as it was sent.
		p.Title = errorTitle(p.Title)
		for i, m := range p.Memberships {
			if v := r.PostForm.Get(m.Field); v != "" {
				p.Memberships[i].Roles = roleOptions(account.Role(v))
				p.Memberships[i].Remove = v == "none"
			}
		}
		for i, o := range p.AddOrganisations {
			p.AddOrganisations[i].Selected = o.Value == addOrg
		}
		p.AddRoles = roleOptions(account.Role(addRole))
		return s.render(w, r, http.StatusBadRequest, "admin-user", p)
	}
	var ms []account.Membership
	for _, o := range orgs {
		if role, ok := roles[o.ID]; ok {
			ms = append(ms, account.Membership{UserID: u.ID, OrgID: o.ID, Role: role})
		}
	}
	if slices.EqualFunc(sortedMemberships(ms), sortedMemberships(u.Memberships), func(a, b account.Membership) bool {
		return a.OrgID == b.OrgID && a.Role == b.Role
	}) {
		return adminRedirect(w, r, "/admin/users/"+u.ID, "roles-same")
	}
	if err := s.cfg.DB.SetMemberships(ctx, u.ID, ms, s.auditEvent(r, audit.PermissionChanged, "")); err != nil {
		if fe, ok := errors.AsType[*apperr.FieldError](err); ok {
			// Only an organisation deleted meanwhile can get here.
			return s.userFormError(w, r, http.StatusBadRequest, "add-org", "#add-org", adminMessage("Organisation", fe.Msg))
		}
		return err
	}
	return adminRedirect(w, r, "/admin/users/"+u.ID, "roles")
}

// sortedMemberships returns ms sorted by organisation id.
func sortedMemberships(ms []account.Membership) []account.Membership {
	out := slices.Clone(ms)
	slices.SortFunc(out, func(a, b account.Membership) int { return strings.Compare(a.OrgID, b.OrgID) })
	return out
}

func (s *Server) changeUserAdmin(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "The form could not be read.")
	}
	id := r.PathValue("id")
	var admin bool
	switch r.PostForm.Get("admin") {
	case "yes":
		admin = true
	case "no":
		if me := userOf(r); me != nil && me.ID == id {
			return s.userFormError(w, r, http.StatusBadRequest, "admin", "#admin",
				"You cannot take away your own administrator access: ask another administrator to do it")
		}
	default:
		return s.userFormError(w, r, http.StatusBadRequest, "admin", "#admin", "Choose whether the user is an administrator")
	}
	err := s.cfg.DB.SetAdmin(r.Context(), id, admin, s.auditEvent(r, audit.PermissionChanged, ""))
	if errors.Is(err, apperr.Conflict) {
		return s.userFormError(w, r, http.StatusConflict, "admin", "#admin",
			"This is the only administrator who can sign in: make someone else an administrator first")
	}
	if err != nil {
		return err
	}
	return adminRedirect(w, r, "/admin/users/"+id, "admin")
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if me := userOf(r); me != nil && me.ID == id {
		return s.userFormError(w, r, http.StatusBadRequest, "disable", "#disable",
			"You cannot disable your own account: ask another administrator to do it")
	}
	err := s.cfg.DB.SetDisabled(r.Context(), id, true, s.auditEvent(r, audit.UserDisabled, ""))
	if errors.Is(err, apperr.Conflict) {
		return s.userFormError(w, r, http.StatusConflict, "disable", "#disable",
			"This is the only administrator who can sign in: make someone else an administrator first")
	}
	if err != nil {
		return err
	}
	return adminRedirect(w, r, "/admin/users/"+id, "disabled")
}

func (s *Server) enableUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.cfg.DB.SetDisabled(r.Context(), id, false, s.auditEvent(r, audit.UserUpdated, "")); err != nil {
		return err
	}
	return adminRedirect(w, r, "/admin/users/"+id, "enabled")
}

func (s *Server) unlockUser(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.cfg.DB.UnlockUser(r.Context(), id, s.auditEvent(r, audit.UserUnlocked, "")); err != nil {
		return err
	}
	// This server's throttle forgets the address's failures too, so the
	// person can sign in at once, as the banner says.
	if u, err := s.cfg.DB.User(r.Context(), id); err == nil && s.auth != nil {
		s.auth.limiter.Unlock(u.Email)
	}
	return adminRedirect(w, r, "/admin/users/"+id, "unlocked")
}

// resetSecondFactor turns off a user's two-factor authentication, for
// someone who has lost their phone and recovery codes (or whose secret the
// server can no longer read). Administrators are asked to set it up again
// when they next sign in.
func (s *Server) resetSecondFactor(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.cfg.DB.DisableTOTP(r.Context(), id, s.auditEvent(r, audit.UserTOTPDisabled, `{"via":"administrator"}`)); err != nil {
		return err
	}
	return adminRedirect(w, r, "/admin/users/"+id, "totp-reset")
}

func (s *Server) sendUserPasswordLink(w http.ResponseWriter, r *http.Request) error {
	u, err := s.cfg.DB.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if u.Disabled {
		return s.userFormError(w, r, http.StatusConflict, "password-link", "#password-link",
			"The account is disabled: enable it before sending a link to set a password")
	}
	if !s.sendPasswordLink(r, u, "sent by administrator") {
		return s.userFormError(w, r, http.StatusBadGateway, "password-link", "#password-link",
			"The email could not be sent. Try again later")
	}
	return adminRedirect(w, r, "/admin/users/"+u.ID, "link-sent")
}
