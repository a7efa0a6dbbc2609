package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// The route walk: every registered route is requested as every persona, and
// who gets in must be exactly what the table below says. A route with no
// row fails the walk, so adding a page means deciding who may see it.
//
// Each file that registers routes adds its rows with expectAccess in an
// init function, next to its own tests.

// The personas. Providers belong to the organisation that owns the
// fixture's listings (orgID) or to another one (emptyOrgID).
const (
	signedOut     = "signed-out"
	provider      = "provider"
	providerOther = "provider-other"
	practitioner  = "practitioner"
	commissioner  = "commissioner"
	analyst       = "analyst"
	admin         = "admin"
)

var personas = []string{signedOut, provider, providerOther, practitioner, commissioner, analyst, admin}

// Shorthands for walkCase.allow.
const (
	everyone        = "signed-out provider provider-other practitioner commissioner analyst admin"
	anySignedIn     = "provider provider-other practitioner commissioner analyst admin"
	ownProvider     = "provider admin"
	adminOnly       = "admin"
	walkPlaceholder = "{"
)

// walkCase is how to request a route and who should get in. path may hold
// placeholders such as {service}, replaced from walkFixture.ids.
type walkCase struct {
	path  string
	allow string // space-separated personas
}

var walkCases = map[string]walkCase{}

// expectAccess adds rows to the route walk's table.
func expectAccess(cases map[string]walkCase) {
	for pattern, c := range cases {
		if _, dup := walkCases[pattern]; dup {
			panic("expectAccess: two rows for " + pattern)
		}
		walkCases[pattern] = c
	}
}

func init() {
	expectAccess(map[string]walkCase{
		"GET /{$}":                         {"/", everyone},
		"GET /search":                      {"/search?q=talking", everyone},
		"GET /services/{id}":               {"/services/{service}", everyone},
		"GET /services/{id}/areas.geojson": {"/services/{service}/areas.geojson", everyone},
		"GET /organisations/{id}":          {"/organisations/{hsdsOrg}", everyone},
		"GET /about/data":                  {"/about/data", everyone},
		"GET /accessibility":               {"/accessibility", everyone},
		"GET /assets/{hash}/{path...}":     {"/assets/0/js/app.js", everyone},
		"/":                                {"/no-such-page", everyone},
		"POST /sign-out":                   {"/sign-out", anySignedIn},
	})
}

// walkFixture is a server with a database holding one user per persona.
type walkFixture struct {
	srv   *Server
	db    *store.DB
	users map[string]account.User
	// ids fills the placeholders of walkCase paths.
	ids map[string]string
	// orgs are the account organisations: "own" owns the fixture's
	// listings, "other" is another provider, "probation" and "icb".
	orgs map[string]account.Organisation
}

// walkSetups run after the fixture is built, to add records that some
// routes need (and their placeholders).
var walkSetups []func(t *testing.T, f *walkFixture)

func newWalkFixture(t *testing.T, db *store.DB) *walkFixture {
	t.Helper()
	ctx := context.Background()
	f := &walkFixture{db: db, users: map[string]account.User{}, orgs: map[string]account.Organisation{}, ids: map[string]string{
		"service": talkingID, "hsdsOrg": orgID,
	}}
	if _, err := db.ImportDataset(ctx, fixture(), store.ImportSource{Name: "fixture", UpdatedBy: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, o := range []account.Organisation{
		{Name: "Lincoln Minds", Kind: account.KindVoluntary, HSDSOrganizationID: orgID},
		{Name: "Quiet Trust", Kind: account.KindVoluntary, HSDSOrganizationID: emptyOrgID},
		{Name: "Lincolnshire Probation", Kind: account.KindProbation},
		{Name: "Lincolnshire ICB", Kind: account.KindICB},
	} {
		created, err := db.CreateOrganisation(ctx, o, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		f.orgs[map[string]string{"Lincoln Minds": "own", "Quiet Trust": "other", "Lincolnshire Probation": "probation", "Lincolnshire ICB": "icb"}[o.Name]] = created
	}
	f.ids["accountOrg"] = f.orgs["own"].ID
	member := func(org string, r account.Role) []account.Membership {
		return []account.Membership{{OrgID: f.orgs[org].ID, Role: r}}
	}
	for _, u := range []struct {
		persona string
		user    account.User
	}{
		{provider, account.User{Name: "Pat Provider", Memberships: member("own", account.RoleProvider)}},
		{providerOther, account.User{Name: "Olly Other", Memberships: member("other", account.RoleProvider)}},
		{practitioner, account.User{Name: "Priya Practitioner", Memberships: member("probation", account.RolePractitioner)}},
		{commissioner, account.User{Name: "Cam Commissioner", Memberships: member("icb", account.RoleCommissioner)}},
		{analyst, account.User{Name: "Ana Analyst", Memberships: member("icb", account.RoleAnalyst)}},
		{admin, account.User{Name: "Ada Admin", Admin: true}},
	} {
		u.user.Email = u.persona + "@example.org"
		created, err := db.CreateUser(ctx, u.user, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.persona] = created
		f.ids["user:"+u.persona] = created.ID
	}
	ds, err := db.LoadDirectory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ix := directory.NewIndex(ds)
	f.srv = newTestServer(t, Config{
		Index: func() *directory.Index { return ix },
		DB:    db, LinkKey: []byte("walk-test-link-key-of-32-bytes!!"),
	}, nil)
	for _, setup := range walkSetups {
		setup(t, f)
	}
	return f
}

// serveAs serves one request to srv as u (signed out when nil), with a
// fresh session, sent from the site itself as a browser would, from the
// address 192.0.2.44. form is the body of a POST, or the query of a GET.
func serveAs(t *testing.T, srv *Server, db *store.DB, u *account.User, method, path string, form url.Values) *http.Response {
	t.Helper()
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		if len(form) > 0 {
			path += "?" + form.Encode()
		}
		req = httptest.NewRequest(method, path, nil)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.RemoteAddr = "192.0.2.44:5000"
	if u != nil {
		tok, err := db.CreateSession(context.Background(), u.ID, time.Hour, audit.Event{Action: audit.UserSignedIn, ActorID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: srv.cookieName(), Value: tok})
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Result()
}

// user returns the fixture's user for persona, nil when signed out.
func (f *walkFixture) user(persona string) *account.User {
	if persona == signedOut || persona == "" {
		return nil
	}
	u := f.users[persona]
	return &u
}

// send serves one request to the fixture's server as persona (see serveAs).
func (f *walkFixture) send(t *testing.T, persona, method, path string, form url.Values) *http.Response {
	t.Helper()
	return serveAs(t, f.srv, f.db, f.user(persona), method, path, form)
}

// request is send with an empty form, as the route walk makes.
func (f *walkFixture) request(t *testing.T, persona, method, path string) *http.Response {
	t.Helper()
	return f.send(t, persona, method, path, nil)
}

// refused reports whether res turned the visitor away: 401 or 403, or a
// redirect to the sign-in page.
func refused(res *http.Response) bool {
	if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
		return true
	}
	loc := res.Header.Get("Location")
	return res.StatusCode/100 == 3 && strings.HasPrefix(loc, "/sign-in")
}

func TestRouteWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newWalkFixture(t, db)
		routes := f.srv.Routes()
		var patterns []string
		for _, rt := range routes {
			patterns = append(patterns, rt.Pattern)
			c, ok := walkCases[rt.Pattern]
			if !ok {
				t.Errorf("route %q has no row in the route walk's table: add one with expectAccess saying who may use it", rt.Pattern)
				continue
			}
			method, _, found := strings.Cut(rt.Pattern, " ")
			if !found {
				method = http.MethodGet
			}
			path := c.path
			for k, v := range f.ids {
				path = strings.ReplaceAll(path, "{"+k+"}", v)
			}
			if strings.Contains(path, walkPlaceholder) {
				t.Errorf("%s: path %q has an unfilled placeholder", rt.Pattern, path)
				continue
			}
			allowed := strings.Fields(c.allow)
			for _, p := range allowed {
				if !slices.Contains(personas, p) {
					t.Errorf("%s: unknown persona %q", rt.Pattern, p)
				}
			}
			for _, p := range personas {
				res := f.request(t, p, method, path)
				res.Body.Close()
				if res.StatusCode >= 500 {
					t.Errorf("%s as %s: status %d", rt.Pattern, p, res.StatusCode)
					continue
				}
				if want, got := slices.Contains(allowed, p), !refused(res); want != got {
					t.Errorf("%s %s as %s: got in = %v (status %d, Location %q), want %v", method, path, p, got, res.StatusCode, res.Header.Get("Location"), want)
				}
			}
		}
		for pattern := range walkCases {
			if !slices.Contains(patterns, pattern) {
				t.Errorf("the route walk's table has a row for %q, which is not registered", pattern)
			}
		}
	})
}

func TestRouteWithoutRulePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a route with no access rule did not panic")
		}
	}()
	s := &Server{}
	s.route(http.NewServeMux(), "GET /x", access{}, notFound)
}

func TestForgedCrossOriginPostRefused(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	for _, h := range []struct{ name, value string }{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		req := httptest.NewRequest(http.MethodPost, "/search", strings.NewReader("q=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(h.name, h.value)
		req.Host = "throughcare.example"
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "sent from another website") {
			t.Errorf("POST with %s: %s: status %d, want 403 with an explanation", h.name, h.value, rec.Code)
		}
	}
	// The same request from the site itself passes the check (and meets
	// the method's own answer).
	req := httptest.NewRequest(http.MethodPost, "/search", strings.NewReader("q=x"))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code == http.StatusForbidden {
		t.Errorf("same-origin POST refused as cross-origin")
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/",
		"/account":              "/account",
		"/search?q=a&type=b":    "/search?q=a&type=b",
		"//evil.example/x":      "/",
		"/\\evil.example":       "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"/a\r\nSet-Cookie: x":   "/",
		"/a/../\\evil.example":  "/",
		"/a/..//evil.example":   "/a/..//evil.example", // cleaned by http.Redirect to /evil.example, on this site
		"/%5Cevil.example":      "/",
		"/a/%5c../x":            "/",
		"/services/x/../y":      "/services/x/../y",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnauthenticatedRedirectsToSignIn(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/x?y=1", nil)
	s.serveError(rec, r, account.Check(nil, account.ListingEdit, account.Resource{}))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/sign-in?next="+url.QueryEscape("/x?y=1") {
		t.Errorf("got %d to %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestSessionCookie(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newWalkFixture(t, db)
		res := f.request(t, provider, http.MethodGet, "/")
		if b := body(t, res); !strings.Contains(b, ">Sign out</button>") || strings.Contains(b, ">Sign in<") {
			t.Errorf("signed-in page does not offer to sign out")
		}
		res = f.request(t, signedOut, http.MethodGet, "/")
		if b := body(t, res); strings.Contains(b, ">Sign out</button>") || !strings.Contains(b, ">Sign in<") {
			t.Errorf("signed-out page does not offer to sign in")
		}
		// A cookie for a session that has ended is cleared, and the page
		// is served signed out.
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(&http.Cookie{Name: f.srv.cookieName(), Value: "not-a-live-session"})
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		c := rec.Result().Cookies()
		if rec.Code != http.StatusOK || len(c) != 1 || c[0].Name != f.srv.cookieName() || c[0].MaxAge >= 0 {
			t.Errorf("ended session: status %d, cookies %v; want 200 and the cookie cleared", rec.Code, c)
		}
	})
}

func TestStartSessionReplacesTheOldOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newWalkFixture(t, db)
		ctx := context.Background()
		u := f.users[provider]
		old, err := db.CreateSession(ctx, u.ID, time.Hour, audit.Event{Action: audit.UserSignedIn})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/sign-in", nil)
		req.AddCookie(&http.Cookie{Name: f.srv.cookieName(), Value: old})
		req.RemoteAddr = "[::ffff:192.0.2.9]:4711"
		rec := httptest.NewRecorder()
		if err := f.srv.startSession(rec, req, u, "password"); err != nil {
			t.Fatal(err)
		}
		cookies := rec.Result().Cookies()
		if len(cookies) != 1 {
			t.Fatalf("cookies = %v, want one", cookies)
		}
		c := cookies[0]
		if c.Value == old || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
			t.Errorf("session cookie = %+v; want a new HttpOnly, SameSite=Lax cookie for the whole site", c)
		}
		if _, _, err := db.SessionUser(ctx, old, time.Hour); err == nil {
			t.Error("the session the browser had before signing in still works")
		}
		if got, _, err := db.SessionUser(ctx, c.Value, time.Hour); err != nil || got.ID != u.ID {
			t.Errorf("new session: %+v, %v", got, err)
		}
		evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.UserSignedIn, ActorID: u.ID})
		if err != nil || len(evs) == 0 || evs[0].IP != "192.0.2.9" || !strings.Contains(evs[0].Detail, "password") {
			t.Errorf("sign-in audit event = %+v, %v", evs, err)
		}
	})
}

func TestSecureCookieName(t *testing.T) {
	s := &Server{cfg: Config{SecureCookies: true}}
	if got := s.cookieName(); !strings.HasPrefix(got, "__Host-") {
		t.Errorf("cookie name over TLS = %q, want the __Host- prefix", got)
	}
}

func TestAuthorize(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newWalkFixture(t, db)
		looked := 0
		rule := can(account.ListingEdit, func(s *Server, r *http.Request) (account.Resource, error) {
			looked++
			return account.Resource{OrgID: f.orgs["own"].ID}, nil
		})
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		if err := f.srv.authorize(req, rule); !errors.Is(err, apperr.Unauthenticated) || looked != 0 {
			t.Errorf("signed out: %v after %d look-ups; want Unauthenticated before looking the record up", err, looked)
		}
		for persona, want := range map[string]error{provider: nil, providerOther: apperr.Forbidden, practitioner: apperr.Forbidden, admin: nil} {
			u := f.users[persona]
			if err := f.srv.authorize(withUser(req, &u), rule); (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
				t.Errorf("%s: %v, want %v", persona, err, want)
			}
		}
		mine := own(account.TokenManage)
		u := f.users[analyst]
		if err := f.srv.authorize(withUser(req, &u), mine); err != nil {
			t.Errorf("own things: %v", err)
		}
	})
}

// The navigation offers each person the sections they may use.
func TestNavigationFitsTheRole(t *testing.T) {
	f := newWalkFixture(t, storetest.SQLite(t))
	for persona, want := range map[string][2]bool{
		signedOut:    {false, false},
		provider:     {true, false},
		practitioner: {false, false},
		commissioner: {false, false},
		admin:        {true, true},
	} {
		doc := parseHTML(t, body(t, f.request(t, persona, http.MethodGet, "/")))
		listings := len(doc.Find(".govuk-service-navigation a[href=/provider]")) == 1
		links := doc.Find(".govuk-service-navigation a[href=/admin]")
		adminLink := len(links) == 1
		if listings != want[0] || adminLink != want[1] {
			t.Errorf("%s: listings link %v, admin link %v; want %v, %v", persona, listings, adminLink, want[0], want[1])
		}
		if adminLink && links[0].Text() != "Administration" {
			t.Errorf("%s: administration link says %q", persona, links[0].Text())
		}
	}
}

// Without a database nobody can sign in, so every page that needs signing
// in sends the visitor to sign in before its handler runs (which may then
// rely on the database), and no page fails.
func TestRoutesWithoutADatabase(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	for _, rt := range s.Routes() {
		method, _, found := strings.Cut(rt.Pattern, " ")
		if !found {
			method = http.MethodGet
		}
		c, ok := walkCases[rt.Pattern]
		if !ok {
			continue // TestRouteWalk reports it
		}
		// Records the fixture knows; any other placeholder becomes "x".
		path := strings.NewReplacer("{service}", talkingID, "{hsdsOrg}", orgID).Replace(c.path)
		for strings.Contains(path, "{") {
			i := strings.Index(path, "{")
			j := strings.Index(path[i:], "}")
			path = path[:i] + "x" + path[i+j+1:]
		}
		req := httptest.NewRequest(method, path, strings.NewReader(""))
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode >= 500 {
			t.Errorf("%s %s: status %d", method, path, res.StatusCode)
		}
		if !account.Can(nil, rt.Action, account.Resource{}) && !refused(res) {
			t.Errorf("%s %s: status %d; want the visitor sent to sign in", method, path, res.StatusCode)
		}
	}
}
