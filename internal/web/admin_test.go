package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/mail"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func init() {
	expectAccess(map[string]walkCase{
		"GET /admin":                                 {"/admin", adminOnly},
		"GET /admin/users":                           {"/admin/users", adminOnly},
		"GET /admin/users/new":                       {"/admin/users/new", adminOnly},
		"POST /admin/users/new":                      {"/admin/users/new", adminOnly},
		"GET /admin/users/{id}":                      {"/admin/users/{user:provider}", adminOnly},
		"POST /admin/users/{id}/roles":               {"/admin/users/{user:spare}/roles", adminOnly},
		"POST /admin/users/{id}/admin":               {"/admin/users/{user:spare}/admin", adminOnly},
		"POST /admin/users/{id}/disable":             {"/admin/users/{user:spare}/disable", adminOnly},
		"POST /admin/users/{id}/enable":              {"/admin/users/{user:spare}/enable", adminOnly},
		"POST /admin/users/{id}/unlock":              {"/admin/users/{user:spare}/unlock", adminOnly},
		"POST /admin/users/{id}/reset-second-factor": {"/admin/users/{user:spare}/reset-second-factor", adminOnly},
		"POST /admin/users/{id}/password-link":       {"/admin/users/{user:spare}/password-link", adminOnly},
		"GET /admin/organisations":                   {"/admin/organisations", adminOnly},
		"GET /admin/organisations/new":               {"/admin/organisations/new", adminOnly},
		"POST /admin/organisations/new":              {"/admin/organisations/new", adminOnly},
		"GET /admin/organisations/{id}":              {"/admin/organisations/{accountOrg}", adminOnly},
		"POST /admin/organisations/{id}":             {"/admin/organisations/{accountOrg}", adminOnly},
		"GET /admin/audit":                           {"/admin/audit?action=user.created", adminOnly},
	})
	// The user the walk's POSTs change: disabling or re-enabling one of
	// the personas would change who gets in for the rest of the walk.
	walkSetups = append(walkSetups, func(t *testing.T, f *walkFixture) {
		u, err := f.db.CreateUser(context.Background(), account.User{
			Name: "Sam Spare", Email: "spare@example.org",
			Memberships: []account.Membership{{OrgID: f.orgs["other"].ID, Role: account.RoleProvider}},
		}, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		f.ids["user:spare"] = u.ID
	})
}

// adminTestKey signs the links in the administration tests' e-mails.
var adminTestKey = []byte("admin-test-link-key-of-32-bytes!")

// adminFixture is the walk fixture with a server that keeps its e-mail.
func adminFixture(t *testing.T, db *store.DB) (*walkFixture, *mail.Memory) {
	t.Helper()
	f := newWalkFixture(t, db)
	mem := &mail.Memory{}
	cfg := f.srv.cfg
	cfg.Mailer, cfg.BaseURL, cfg.LinkKey = mem, "https://throughcare.example", adminTestKey
	f.srv = newTestServer(t, cfg, nil)
	return f, mem
}

// adminRead reads res as a page with our layout, checking its status.
func adminRead(t *testing.T, res *http.Response, wantStatus int) *node {
	t.Helper()
	b := body(t, res)
	if res.StatusCode != wantStatus {
		t.Fatalf("status %d, want %d; Location %q\n%s", res.StatusCode, wantStatus, res.Header.Get("Location"), b)
	}
	doc := parseHTML(t, b)
	checkLayout(t, doc, false)
	return doc
}

// adminRedirected checks that res redirects to a path starting with prefix and
// returns where.
func adminRedirected(t *testing.T, res *http.Response, prefix string) string {
	t.Helper()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, prefix) {
		t.Fatalf("status %d to %q, want a redirect to %s…\n%s", res.StatusCode, loc, prefix, body(t, res))
	}
	return loc
}

// adminExpect runs checks (as in TestPages) against doc.
func adminExpect(t *testing.T, doc *node, checks ...check) {
	t.Helper()
	for _, c := range checks {
		found := doc.Find(c.sel)
		if c.count >= 0 && len(found) != c.count {
			t.Errorf("%s: found %d, want %d", c.sel, len(found), c.count)
			continue
		}
		if c.text != "" && !slices.ContainsFunc(found, func(n *node) bool { return strings.Contains(n.Text(), c.text) }) {
			var texts []string
			for _, n := range found {
				texts = append(texts, n.Text())
			}
			t.Errorf("%s: no element contains %q; texts: %q", c.sel, c.text, texts)
		}
	}
}

// adminEvents returns the audit events matching filter, failing the test on
// error.
func adminEvents(t *testing.T, db *store.DB, filter store.AuditFilter) []audit.Event {
	t.Helper()
	evs, err := db.AuditEvents(context.Background(), filter)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

var adminResetLink = regexp.MustCompile(`https://throughcare\.example/sign-in/reset\?token=(\S+)`)

func TestAdminCreatesUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, mem := adminFixture(t, db)
		ctx := context.Background()
		own := f.orgs["own"]
		start := time.Now()
		res := f.send(t, admin, http.MethodPost, "/admin/users/new", url.Values{
			"name": {"Nia New"}, "email": {" Nia.New@Example.org "}, "organisation": {own.ID}, "role": {"provider"},
		})
		loc := adminRedirected(t, res, "/admin/users/")
		u, err := db.UserByEmail(ctx, "nia.new@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if loc != "/admin/users/"+u.ID+"?done=user-created" {
			t.Errorf("redirected to %q", loc)
		}
		if u.Name != "Nia New" || u.Admin || len(u.Memberships) != 1 || u.Memberships[0].OrgID != own.ID || u.Memberships[0].Role != account.RoleProvider {
			t.Errorf("created user = %+v", u)
		}
		c, err := db.Credentials(ctx, u.ID)
		if err != nil || c.PasswordHash != "" {
			t.Errorf("new user's password hash = %q, %v; want none until they set one", c.PasswordHash, err)
		}

		// The new user is sent a link to set their password.
		sent := mem.Sent()
		if len(sent) != 1 || !slices.Equal(sent[0].To, []string{"nia.new@example.org"}) {
			t.Fatalf("sent %+v, want one e-mail to the new user", sent)
		}
		m := adminResetLink.FindStringSubmatch(sent[0].Text)
		if m == nil {
			t.Fatalf("e-mail has no set-password link:\n%s", sent[0].Text)
		}
		token, err := url.QueryUnescape(m[1])
		if err != nil {
			t.Fatal(err)
		}
		link, err := account.VerifyLink(adminTestKey, "password-reset", token, time.Now())
		if err != nil || link.Subject != u.ID || link.Nonce == "" {
			t.Errorf("link = %+v, %v; want a single-use password-reset link for the new user", link, err)
		}
		if d := link.Expires.Sub(start); d < 71*time.Hour || d > 73*time.Hour {
			t.Errorf("link expires after %v, want 72 hours", d)
		}

		// Both the creation and the e-mail are audited, by the admin, with
		// no personal data in the detail.
		created := adminEvents(t, db, store.AuditFilter{Action: audit.UserCreated, RecordID: u.ID})
		if len(created) != 1 || created[0].ActorID != f.users[admin].ID || created[0].ActorRole != "admin" || created[0].OrgID != own.ID || created[0].IP != "192.0.2.44" {
			t.Errorf("user.created events = %+v", created)
		}
		mailed := adminEvents(t, db, store.AuditFilter{Action: audit.UserPasswordResetSent, RecordID: u.ID})
		if len(mailed) != 1 || mailed[0].ActorID != f.users[admin].ID {
			t.Errorf("user.password_reset_sent events = %+v", mailed)
		}
		for _, e := range append(created, mailed...) {
			if strings.Contains(strings.ToLower(e.Detail), "nia") {
				t.Errorf("audit detail %s holds the user's name or address", e.Detail)
			}
		}

		doc := adminRead(t, f.send(t, admin, http.MethodGet, loc, nil), http.StatusOK)
		adminExpect(t, doc,
			check{"h1", 1, "Nia New"},
			check{"#done.govuk-notification-banner--success", 1, "An email with a link to set their password has been sent"},
			check{"#user-email", 1, "nia.new@example.org"},
			check{"select#role-" + own.ID + " option[value=provider][selected]", 1, ""},
		)
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/users", nil), http.StatusOK)
		adminExpect(t, doc,
			check{"#users tbody tr", 8, ""},
			check{"#user-" + u.ID + " a[href=/admin/users/" + u.ID + "]", 1, "Nia New"},
			check{"#user-" + u.ID + " td", -1, "Provider, Lincoln Minds"},
			check{"#user-" + f.users[admin].ID + " .govuk-tag--purple", 1, "Administrator"},
		)
	})
}

// failingMailer refuses every message, as a mail server that is down
// would, quoting the recipient as SMTP errors do.
type failingMailer struct{}

func (failingMailer) Send(_ context.Context, m mail.Message) error {
	return errors.New("recipient " + strings.Join(m.To, ",") + ": 421 service not available")
}

func TestAdminCreatesUserWhenMailFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := adminFixture(t, db)
		var logBuf bytes.Buffer
		cfg := f.srv.cfg
		cfg.Mailer = failingMailer{}
		f.srv = newTestServer(t, cfg, &logBuf)
		res := f.send(t, admin, http.MethodPost, "/admin/users/new", url.Values{
			"name": {"Mo Mailless"}, "email": {"mo@example.org"}, "organisation": {f.orgs["icb"].ID}, "role": {"analyst"},
		})
		loc := adminRedirected(t, res, "/admin/users/")
		if !strings.HasSuffix(loc, "?done=mail-failed") {
			t.Errorf("redirected to %q", loc)
		}
		u, err := db.UserByEmail(context.Background(), "mo@example.org")
		if err != nil {
			t.Fatalf("the user was not kept: %v", err)
		}
		if n := len(adminEvents(t, db, store.AuditFilter{Action: audit.UserPasswordResetSent})); n != 0 {
			t.Errorf("an e-mail that was not sent was audited as sent")
		}
		log := logBuf.String()
		if !strings.Contains(log, "421 service not available") || !strings.Contains(log, u.ID) || strings.Contains(log, "mo@example.org") {
			t.Errorf("log = %q; want the failure and the user's id, without their address", log)
		}
		doc := adminRead(t, f.send(t, admin, http.MethodGet, loc, nil), http.StatusOK)
		adminExpect(t, doc,
			check{"#done.govuk-notification-banner", 1, "could not be sent"},
			check{"#done.govuk-notification-banner--success", 0, ""},
		)
		// Sending again from the user's page says it failed.
		doc = adminRead(t, f.send(t, admin, http.MethodPost, "/admin/users/"+u.ID+"/password-link", nil), http.StatusBadGateway)
		adminExpect(t, doc, check{".govuk-error-summary a[href=#password-link]", 1, "could not be sent"})
	})
}

func TestAdminCreateUserErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, mem := adminFixture(t, db)
		ctx := context.Background()
		own := f.orgs["own"].ID
		before, err := db.CountUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			form   url.Values
			status int
			want   map[string]string // field id → part of its message
		}{
			{"empty", url.Values{}, 400, map[string]string{
				"name": "Enter the user's full name", "email": "Enter the user's email address", "organisation": "Choose the organisation",
			}},
			{"bad email", url.Values{"name": {"A"}, "email": {"not an address"}, "organisation": {own}, "role": {"provider"}}, 400,
				map[string]string{"email": "correct format"}},
			{"no role", url.Values{"name": {"A"}, "email": {"a@example.org"}, "organisation": {own}}, 400,
				map[string]string{"role": "Choose the user's role"}},
			{"no organisation", url.Values{"name": {"A"}, "email": {"a@example.org"}, "role": {"analyst"}}, 400,
				map[string]string{"organisation": "Choose the organisation the user has this role in"}},
			{"unknown organisation", url.Values{"name": {"A"}, "email": {"a@example.org"}, "organisation": {directory.NameUUID("nope")}, "role": {"analyst"}}, 400,
				map[string]string{"organisation": "from the list"}},
			{"admin role", url.Values{"name": {"A"}, "email": {"a@example.org"}, "organisation": {own}, "role": {"admin"}}, 400,
				map[string]string{"role": "from the list"}},
			{"taken email", url.Values{"name": {"A"}, "email": {"PROVIDER@example.org"}, "organisation": {own}, "role": {"provider"}}, 409,
				map[string]string{"email": "already exists"}},
			{"long name", url.Values{"name": {strings.Repeat("n", 201)}, "email": {"a@example.org"}, "admin": {"yes"}}, 400,
				map[string]string{"name": "Full name is longer than 200 characters"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				doc := adminRead(t, f.send(t, admin, http.MethodPost, "/admin/users/new", c.form), c.status)
				adminExpect(t, doc, check{".govuk-error-summary li", len(c.want), ""})
				for field, msg := range c.want {
					adminExpect(t, doc,
						check{".govuk-error-summary a[href=#" + field + "]", 1, msg},
						check{"#" + field + "-error", 1, msg},
					)
				}
				if !strings.HasPrefix(doc.Find("title")[0].Text(), "Error: ") {
					t.Errorf("title does not start with Error:")
				}
				// What was typed is kept.
				if v := c.form.Get("name"); v != "" {
					adminExpect(t, doc, check{"input#name[value=" + v + "]", 1, ""})
				}
			})
		}
		if after, _ := db.CountUsers(ctx); after != before {
			t.Errorf("refused forms created %d users", after-before)
		}
		if n := len(mem.Sent()); n != 0 {
			t.Errorf("refused forms sent %d e-mails", n)
		}
	})
}

func TestAdminChangesRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := adminFixture(t, db)
		ctx := context.Background()
		pat, own, icb := f.users[provider], f.orgs["own"].ID, f.orgs["icb"].ID
		path := "/admin/users/" + pat.ID + "/roles"

		// Change the role in one organisation and add another.
		res := f.send(t, admin, http.MethodPost, path, url.Values{"role-" + own: {"practitioner"}, "add-org": {icb}, "add-role": {"analyst"}})
		if loc := adminRedirected(t, res, "/admin/users/"); loc != "/admin/users/"+pat.ID+"?done=roles" {
			t.Errorf("redirected to %q", loc)
		}
		u, err := db.User(ctx, pat.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.RoleIn(own); got != account.RolePractitioner {
			t.Errorf("role in own = %q", got)
		}
		if got := u.RoleIn(icb); got != account.RoleAnalyst {
			t.Errorf("role in icb = %q", got)
		}
		changed := adminEvents(t, db, store.AuditFilter{Action: audit.PermissionChanged, RecordID: pat.ID})
		if len(changed) != 1 || changed[0].ActorID != f.users[admin].ID || !strings.Contains(changed[0].Detail, icb) {
			t.Fatalf("permission.changed events = %+v", changed)
		}

		// Remove one; the other stays.
		adminRedirected(t, f.send(t, admin, http.MethodPost, path, url.Values{"role-" + own: {"none"}, "role-" + icb: {"analyst"}}), "/admin/users/")
		if u, _ = db.User(ctx, pat.ID); len(u.Memberships) != 1 || u.Memberships[0].OrgID != icb {
			t.Errorf("after removal: %+v", u.Memberships)
		}
		if n := len(adminEvents(t, db, store.AuditFilter{Action: audit.PermissionChanged, RecordID: pat.ID})); n != 2 {
			t.Errorf("%d permission.changed events, want 2", n)
		}

		// Sending the form unchanged writes nothing.
		res = f.send(t, admin, http.MethodPost, path, url.Values{"role-" + icb: {"analyst"}})
		if loc := adminRedirected(t, res, "/admin/users/"); !strings.HasSuffix(loc, "done=roles-same") {
			t.Errorf("unchanged: redirected to %q", loc)
		}
		if n := len(adminEvents(t, db, store.AuditFilter{Action: audit.PermissionChanged, RecordID: pat.ID})); n != 2 {
			t.Errorf("an unchanged form was audited")
		}

		// Problems are shown on the page and nothing is written, not even
		// the valid part of the form.
		for _, c := range []struct {
			form  url.Values
			field string
			msg   string
		}{
			{url.Values{"role-" + icb: {"commissioner"}, "add-org": {own}}, "add-role", "Choose the user's role in Lincoln Minds"},
			{url.Values{"role-" + icb: {"commissioner"}, "add-role": {"analyst"}}, "add-org", "Choose the organisation"},
			{url.Values{"role-" + icb: {"commissioner"}, "add-org": {icb}, "add-role": {"analyst"}}, "add-org", "already in Lincolnshire ICB"},
			{url.Values{"role-" + icb: {"admin"}}, "role-" + icb, "Choose a role in Lincolnshire ICB from the list"},
			{url.Values{"role-" + icb: {"commissioner"}, "add-org": {directory.NameUUID("nope")}, "add-role": {"analyst"}}, "add-org", "from the list"},
		} {
			doc := adminRead(t, f.send(t, admin, http.MethodPost, path, c.form), http.StatusBadRequest)
			adminExpect(t, doc, check{".govuk-error-summary a[href=#" + c.field + "]", 1, c.msg}, check{"#" + c.field + "-error", 1, c.msg})
			// The form shows what was sent, not what is stored.
			if v := c.form.Get("role-" + icb); v == "commissioner" {
				adminExpect(t, doc, check{"select#role-" + icb + " option[value=commissioner][selected]", 1, ""})
			}
			if v := c.form.Get("add-org"); v == own {
				adminExpect(t, doc, check{"select#add-org option[value=" + own + "][selected]", 1, "Lincoln Minds"})
			}
		}
		if u, _ = db.User(ctx, pat.ID); len(u.Memberships) != 1 || u.Memberships[0].Role != account.RoleAnalyst {
			t.Errorf("refused forms changed the memberships: %+v", u.Memberships)
		}
		if res := f.send(t, admin, http.MethodPost, "/admin/users/"+directory.NameUUID("nobody")+"/roles", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("roles of an unknown user: status %d", res.StatusCode)
		}
	})
}

func TestAdminCannotDemoteOrDisableSelf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := adminFixture(t, db)
		ctx := context.Background()
		me := f.users[admin]
		doc := adminRead(t, f.send(t, admin, http.MethodPost, "/admin/users/"+me.ID+"/admin", url.Values{"admin": {"no"}}), http.StatusBadRequest)
		adminExpect(t, doc, check{".govuk-error-summary a[href=#admin]", 1, "You cannot take away your own administrator access"})
		doc = adminRead(t, f.send(t, admin, http.MethodPost, "/admin/users/"+me.ID+"/disable", nil), http.StatusBadRequest)
		adminExpect(t, doc,
			check{".govuk-error-summary a[href=#disable]", 1, "You cannot disable your own account"},
			check{"#disable", 1, ""},
			check{"form[action=/admin/users/" + me.ID + "/disable]", 0, ""},
		)
		if u, err := db.User(ctx, me.ID); err != nil || !u.Admin || u.Disabled {
			t.Errorf("after refusals: %+v, %v", u, err)
		}
		if n := len(adminEvents(t, db, store.AuditFilter{ActorID: me.ID, Action: audit.PermissionChanged})) + len(adminEvents(t, db, store.AuditFilter{Action: audit.UserDisabled})); n != 0 {
			t.Errorf("refused changes were audited")
		}

		// Another user can be made an administrator and stop being one.
		pat := f.users[provider]
		for _, v := range []string{"yes", "no"} {
			adminRedirected(t, f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/admin", url.Values{"admin": {v}}), "/admin/users/"+pat.ID+"?done=admin")
			if u, _ := db.User(ctx, pat.ID); u.Admin != (v == "yes") {
				t.Errorf("admin=%s: user admin = %v", v, u.Admin)
			}
		}
		if n := len(adminEvents(t, db, store.AuditFilter{Action: audit.PermissionChanged, RecordID: pat.ID})); n != 2 {
			t.Errorf("%d permission.changed events for the admin flag, want 2", n)
		}
		doc = adminRead(t, f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/admin", nil), http.StatusBadRequest)
		adminExpect(t, doc, check{"#admin-error", 1, "Choose whether the user is an administrator"})
	})
}

func TestAdminDisablesUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, mem := adminFixture(t, db)
		ctx := context.Background()
		pat := f.users[provider]
		tok, err := db.CreateSession(ctx, pat.ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
		if err != nil {
			t.Fatal(err)
		}
		doc := adminRead(t, f.send(t, admin, http.MethodGet, "/admin/users/"+pat.ID, nil), http.StatusOK)
		adminExpect(t, doc, check{"#user-sessions", 1, "1 open session"}, check{"#user-status", 1, "Active"})

		adminRedirected(t, f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/disable", nil), "/admin/users/"+pat.ID+"?done=disabled")
		if _, _, err := db.SessionUser(ctx, tok, time.Hour); err == nil {
			t.Error("the disabled user's session still works")
		}
		if u, _ := db.User(ctx, pat.ID); !u.Disabled {
			t.Error("user not disabled")
		}
		if evs := adminEvents(t, db, store.AuditFilter{Action: audit.UserDisabled, RecordID: pat.ID}); len(evs) != 1 || evs[0].ActorID != f.users[admin].ID {
			t.Errorf("user.disabled events = %+v", evs)
		}
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/users/"+pat.ID+"?done=disabled", nil), http.StatusOK)
		adminExpect(t, doc,
			check{"#done", 1, "Account disabled"},
			check{"#user-status .govuk-tag", 1, "Disabled"},
			check{"#user-sessions", 1, "No open sessions"},
			check{"form[action=/admin/users/" + pat.ID + "/enable] button#enable", 1, ""},
		)
		// No password link goes to a disabled account.
		doc = adminRead(t, f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/password-link", nil), http.StatusConflict)
		adminExpect(t, doc, check{"#password-link-error", 1, "enable it"})
		if len(mem.Sent()) != 0 {
			t.Error("a link was sent to a disabled account")
		}

		adminRedirected(t, f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/enable", nil), "/admin/users/"+pat.ID+"?done=enabled")
		if _, err := db.CreateSession(ctx, pat.ID, time.Hour, audit.Event{Action: audit.UserSignedIn}); err != nil {
			t.Errorf("re-enabled user cannot sign in: %v", err)
		}
		adminRedirected(t, f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/password-link", nil), "/admin/users/"+pat.ID+"?done=link-sent")
		if sent := mem.Sent(); len(sent) != 1 || sent[0].To[0] != pat.Email || !adminResetLink.MatchString(sent[0].Text) {
			t.Errorf("password link e-mails = %+v", sent)
		}
	})
}

func TestAdminUnlocksUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := adminFixture(t, db)
		ctx := context.Background()
		pat := f.users[provider]
		if locked, _, err := db.RecordSignInFailure(ctx, pat.ID, time.Now(), 1, time.Hour, audit.Event{}); err != nil || !locked {
			t.Fatalf("locking: %v, %v", locked, err)
		}
		doc := adminRead(t, f.send(t, admin, http.MethodGet, "/admin/users/"+pat.ID, nil), http.StatusOK)
		adminExpect(t, doc, check{"#user-lock .govuk-tag--red", 1, "Locked"}, check{"button#unlock", 1, ""})

		adminRedirected(t, f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/unlock", nil), "/admin/users/"+pat.ID+"?done=unlocked")
		c, err := db.Credentials(ctx, pat.ID)
		if err != nil || !c.LockedUntil.IsZero() || c.FailedCount != 0 {
			t.Errorf("after unlocking: locked until %v, %d failures, %v", c.LockedUntil, c.FailedCount, err)
		}
		if evs := adminEvents(t, db, store.AuditFilter{Action: audit.UserUnlocked, RecordID: pat.ID}); len(evs) != 1 || evs[0].ActorID != f.users[admin].ID {
			t.Errorf("user.unlocked events = %+v", evs)
		}
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/users/"+pat.ID, nil), http.StatusOK)
		adminExpect(t, doc, check{"#user-lock", 1, "Not locked"}, check{"button#unlock", 0, ""})
	})
}

func TestAdminOrganisations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := adminFixture(t, db)
		ctx := context.Background()
		res := f.send(t, admin, http.MethodPost, "/admin/organisations/new", url.Values{
			"name": {"  Lincoln Housing  "}, "kind": {"local-authority"}, "trusted": {"yes"},
		})
		loc := adminRedirected(t, res, "/admin/organisations/")
		o, err := db.OrganisationByName(ctx, "Lincoln Housing")
		if err != nil {
			t.Fatal(err)
		}
		if loc != "/admin/organisations/"+o.ID+"?done=org-created" || o.Kind != account.KindLocalAuthority || !o.Trusted || o.HSDSOrganizationID != "" {
			t.Errorf("created %+v, redirected to %q", o, loc)
		}
		if evs := adminEvents(t, db, store.AuditFilter{Action: audit.OrgCreated, RecordID: o.ID}); len(evs) != 1 || evs[0].ActorID != f.users[admin].ID || evs[0].OrgID != o.ID {
			t.Errorf("org.created events = %+v", evs)
		}

		// Problems, each with nothing written.
		for _, c := range []struct {
			name   string
			path   string
			form   url.Values
			status int
			field  string
			msg    string
		}{
			{"new, empty", "/admin/organisations/new", url.Values{}, 400, "name", "Enter the organisation's name"},
			{"new, no kind", "/admin/organisations/new", url.Values{"name": {"X"}}, 400, "kind", "Choose what kind"},
			{"new, taken name", "/admin/organisations/new", url.Values{"name": {"Lincoln Minds"}, "kind": {"voluntary"}}, 409, "name", "An organisation called Lincoln Minds already exists"},
			{"new, unknown listing", "/admin/organisations/new", url.Values{"name": {"X"}, "kind": {"voluntary"}, "listing": {directory.NameUUID("nope")}}, 400, "listing", "Choose an organisation from the directory"},
			{"new, claimed listing", "/admin/organisations/new", url.Values{"name": {"X"}, "kind": {"voluntary"}, "listing": {orgID}}, 400, "listing", "already looked after by Lincoln Minds"},
			{"edit, empty name", "/admin/organisations/" + o.ID, url.Values{"kind": {"icb"}}, 400, "name", "Enter the organisation's name"},
			{"edit, taken name", "/admin/organisations/" + o.ID, url.Values{"name": {"Lincolnshire ICB"}, "kind": {"icb"}}, 409, "name", "already exists"},
			{"edit, bad kind", "/admin/organisations/" + o.ID, url.Values{"name": {"Y"}, "kind": {"castle"}}, 400, "kind", "Choose what kind"},
		} {
			t.Run(c.name, func(t *testing.T) {
				doc := adminRead(t, f.send(t, admin, http.MethodPost, c.path, c.form), c.status)
				adminExpect(t, doc, check{".govuk-error-summary a[href=#" + c.field + "]", 1, c.msg}, check{"#" + c.field + "-error", 1, c.msg})
			})
		}
		if orgs, _ := db.Organisations(ctx); len(orgs) != 5 {
			t.Errorf("%d organisations after refused forms, want 5", len(orgs))
		}
		if got, _ := db.Organisation(ctx, o.ID); !sameOrganisation(got, o) {
			t.Errorf("refused edits changed the organisation: %+v", got)
		}

		// Link the new organisation to a listing nobody looks after yet.
		if err := db.UpdateOrganisation(ctx, account.Organisation{ID: f.orgs["other"].ID, Name: "Quiet Trust", Kind: account.KindVoluntary}, audit.Event{}); err != nil {
			t.Fatal(err)
		}
		adminRedirected(t, f.send(t, admin, http.MethodPost, "/admin/organisations/"+o.ID, url.Values{
			"name": {"Lincoln Housing"}, "kind": {"local-authority"}, "listing": {emptyOrgID},
		}), "/admin/organisations/"+o.ID+"?done=saved")
		got, err := db.Organisation(ctx, o.ID)
		if err != nil || got.HSDSOrganizationID != emptyOrgID || got.Trusted {
			t.Errorf("after the edit: %+v, %v", got, err)
		}
		if evs := adminEvents(t, db, store.AuditFilter{Action: audit.OrgUpdated, RecordID: o.ID}); len(evs) != 1 || evs[0].ActorID != f.users[admin].ID || !strings.Contains(evs[0].Detail, "trusted") {
			t.Errorf("org.updated events = %+v", evs)
		}

		doc := adminRead(t, f.send(t, admin, http.MethodGet, "/admin/organisations", nil), http.StatusOK)
		adminExpect(t, doc,
			check{"#organisations tbody tr", 5, ""},
			check{"#organisation-" + o.ID + " a[href=/organisations/" + emptyOrgID + "]", 1, "Quiet Trust"},
			check{"#organisation-" + f.orgs["own"].ID + " td", -1, "Voluntary or community organisation"},
		)
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/organisations/"+f.orgs["own"].ID+"?done=saved", nil), http.StatusOK)
		adminExpect(t, doc,
			check{"h1", 1, "Lincoln Minds"},
			check{"#done", 1, "Changes saved"},
			check{"select#listing option[value=" + orgID + "][selected]", 1, "Lincoln Minds"},
			check{"select#kind option[value=voluntary][selected]", 1, ""},
			check{"#member-list a[href=/admin/users/" + f.users[provider].ID + "]", 1, "Pat Provider"},
			check{"#member-list td", -1, "Provider"},
			check{"a#add-member[href=/admin/users/new?organisation=" + f.orgs["own"].ID + "]", 1, ""},
		)
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/users/new?organisation="+o.ID, nil), http.StatusOK)
		adminExpect(t, doc, check{"select#organisation option[value=" + o.ID + "][selected]", 1, "Lincoln Housing"})
		if res := f.send(t, admin, http.MethodGet, "/admin/organisations/"+directory.NameUUID("nope"), nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown organisation: status %d", res.StatusCode)
		}
	})
}

func TestAdminAuditSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := adminFixture(t, db)
		ctx := context.Background()
		pat := f.users[provider]
		// Two changes by the admin, and sixty imports by the system.
		adminRedirected(t, f.send(t, admin, http.MethodPost, "/admin/users/"+pat.ID+"/roles", url.Values{"add-org": {f.orgs["icb"].ID}, "add-role": {"analyst"}}), "/admin/")
		adminRedirected(t, f.send(t, admin, http.MethodPost, "/admin/users/"+f.users[analyst].ID+"/admin", url.Values{"admin": {"yes"}}), "/admin/")
		for range 60 {
			if _, err := db.AppendAudit(ctx, audit.Event{Action: audit.ImportRun, RecordType: "service", RecordID: talkingID}); err != nil {
				t.Fatal(err)
			}
		}
		head, _, err := db.VerifyAuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}

		doc := adminRead(t, f.send(t, admin, http.MethodGet, "/admin/audit", url.Values{"action": {"permission.changed"}}), http.StatusOK)
		rows := doc.Find("#events tbody tr")
		if len(rows) != 2 {
			t.Fatalf("permission.changed: %d rows, want 2", len(rows))
		}
		adminExpect(t, doc,
			// The page's own visit is audited as the admin's sign-in,
			// which comes after the count in head.
			check{"#audit-chain", 1, "Audit log intact: " + strconv.FormatInt(head.Seq+1, 10) + " events"},
			check{"#events tbody td code", -1, "permission.changed"},
			check{"#events tbody td a[href=/admin/users/" + f.users[admin].ID + "]", 2, "admin@example.org"},
			check{"#events tbody td a[href=/admin/users/" + pat.ID + "]", 1, "user provider@example.org"},
			check{"#events tbody td", -1, "192.0.2.44"},
			check{"select#action option[value=permission.changed][selected]", 1, ""},
			check{"#older-events", 0, ""},
		)
		// Newest first: the admin flag came second.
		if !strings.Contains(rows[0].Text(), "analyst@example.org") {
			t.Errorf("first row %q is not the newest event", rows[0].Text())
		}

		// By actor: the provider has signed in once.
		adminRead(t, f.send(t, provider, http.MethodGet, "/", nil), http.StatusOK)
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/audit", url.Values{"actor": {"Provider@Example.org"}}), http.StatusOK)
		rows = doc.Find("#events tbody tr")
		if len(rows) == 0 {
			t.Fatal("no events by the provider")
		}
		for _, r := range rows {
			if !strings.Contains(r.Text(), "provider@example.org") || strings.Contains(r.Text(), "permission.changed") {
				t.Errorf("row %q is not an event by the provider", r.Text())
			}
		}

		// Paging through the imports, fifty at a time.
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/audit", url.Values{"action": {"import.run"}, "record": {talkingID}}), http.StatusOK)
		adminExpect(t, doc,
			check{"#events tbody tr", 50, ""},
			check{"#events tbody td", -1, "System"},
			check{"#events tbody td a[href=/services/" + talkingID + "]", 50, "service Lincoln Talking Therapies"},
			check{"#newest-events", 0, ""},
		)
		older := doc.Find("a#older-events")
		if len(older) != 1 {
			t.Fatal("no link to older events")
		}
		next, err := url.Parse(older[0].attrs["href"])
		if err != nil || next.Query().Get("action") != "import.run" || next.Query().Get("record") != talkingID || next.Query().Get("before") == "" {
			t.Fatalf("older link %q does not keep the filters", older[0].attrs["href"])
		}
		firstPage := doc.Find("#events tbody tr")
		doc = adminRead(t, f.send(t, admin, http.MethodGet, next.String(), nil), http.StatusOK)
		adminExpect(t, doc,
			check{"#events tbody tr", 10, ""},
			check{"#older-events", 0, ""},
			check{"a#newest-events[href=/admin/audit?action=import.run&record=" + talkingID + "]", 1, ""},
		)
		seq := func(n *node) int {
			i, err := strconv.Atoi(strings.TrimPrefix(n.attrs["id"], "event-"))
			if err != nil {
				t.Fatalf("row id %q", n.attrs["id"])
			}
			return i
		}
		if last, got := seq(firstPage[len(firstPage)-1]), seq(doc.Find("#events tbody tr")[0]); got >= last {
			t.Errorf("second page starts at event %d, not below %d", got, last)
		}

		// A date after everything finds nothing; a date before finds all.
		tomorrow := time.Now().In(ukTime).AddDate(0, 0, 1)
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/audit", url.Values{
			"since-day": {strconv.Itoa(tomorrow.Day())}, "since-month": {strconv.Itoa(int(tomorrow.Month()))}, "since-year": {strconv.Itoa(tomorrow.Year())},
		}), http.StatusOK)
		adminExpect(t, doc, check{"#no-events", 1, "No events match"})

		// Bad filters are named and nothing is searched.
		for _, c := range []struct {
			q          url.Values
			field, msg string
		}{
			{url.Values{"action": {"castle.stormed"}}, "action", "Choose an action from the list"},
			{url.Values{"actor": {"nobody@example.org"}}, "actor", "No user has the email address nobody@example.org"},
			{url.Values{"since-day": {"31"}, "since-month": {"2"}, "since-year": {"2026"}}, "since-day", "Date must be a real date"},
			{url.Values{"since-day": {"1"}}, "since-day", "Date must be a real date"},
		} {
			doc := adminRead(t, f.send(t, admin, http.MethodGet, "/admin/audit", c.q), http.StatusBadRequest)
			adminExpect(t, doc, check{".govuk-error-summary a[href=#" + c.field + "]", 1, c.msg}, check{"#events", 0, ""})
		}
		doc = adminRead(t, f.send(t, admin, http.MethodGet, "/admin/audit?before=x", nil), http.StatusBadRequest)
		adminExpect(t, doc, check{".govuk-error-summary li", 1, "start again from the newest"})
	})
}

func TestAdminAuditShowsBrokenChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := adminFixture(t, db)
		ctx := context.Background()
		raw := db.SQL()
		stmts := []string{`DROP TRIGGER audit_event_no_update`, `UPDATE audit_event SET record_id = 'forged' WHERE seq = 2`}
		if db.Engine() != "sqlite" {
			stmts = []string{`ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only`, stmts[1], `ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only`}
		}
		for _, s := range stmts {
			if _, err := raw.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		doc := adminRead(t, f.send(t, admin, http.MethodGet, "/admin/audit", nil), http.StatusOK)
		adminExpect(t, doc, check{"#audit-chain.govuk-warning-text", 1, "The audit log is broken at event 2"})
	})
}

func TestAdminDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f, _ := adminFixture(t, db)
		doc := adminRead(t, f.send(t, admin, http.MethodGet, "/admin", nil), http.StatusOK)
		adminExpect(t, doc, check{"h1", 1, "Administration"}, check{"#admin-sections li", len(adminSections), ""})
		for _, sec := range adminSections {
			adminExpect(t, doc, check{"#admin-sections a[href=" + sec.Href + "]", 1, sec.Title})
		}
		// Each section's page is there.
		for _, sec := range adminSections {
			adminRead(t, f.send(t, admin, http.MethodGet, sec.Href, nil), http.StatusOK)
		}
	})
}
