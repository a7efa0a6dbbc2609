package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/search"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// The API's route walk: every route is requested with each kind of
// credential, and who gets in must be exactly what the tables say. Read
// routes are public and ignore credentials; each write route has a row in
// writeAccess naming the credentials that get in.

// The credentials a request may carry.
const (
	credNone      = "none"      // no Authorization header
	credMalformed = "malformed" // not a bearer token
	credUnknown   = "unknown"   // a token that was never made
	credNoScope   = "no-scope"  // the owning provider's token without the scope
	credRevoked   = "revoked"   // the owning provider's token, revoked
	credExpired   = "expired"   // the owning provider's token, expired
	credOtherOrg  = "other-org" // another organisation's provider, with the scope
	credDisabled  = "disabled"  // a provider of the owning organisation, since disabled
	credRight     = "right"     // the owning provider, with the scope
	credAdmin     = "admin"     // an administrator, with the scope
)

var credentials = []string{credNone, credMalformed, credUnknown, credNoScope, credRevoked, credExpired, credOtherOrg, credDisabled, credRight, credAdmin}

// writeAccess says, for each write route, the path to request and which
// credentials get in.
var writeAccess = map[string]struct {
	path  string
	allow []string
}{
	"POST /api/v1/services/{id}/assure": {"/api/v1/services/" + svcTalk + "/assure", []string{credRight, credAdmin}},
}

// readPaths fills the read routes' path parameters.
var readPaths = map[string]string{
	"services": svcTalk, "service_at_locations": id("sal:talk-lincoln"), "organizations": orgMinds,
	"taxonomies": taxTypes, "taxonomy_terms": termMH,
}

// authFixture is the API over a database holding the fixture directory,
// account organisations owning its two HSDS organizations, and a token
// for each credential.
type authFixture struct {
	db      *store.DB
	h       http.Handler
	tokens  map[string]string // credential → Authorization header value
	users   map[string]account.User
	now     time.Time
	changed int // calls of DirectoryChanged
}

func newAuthFixture(t *testing.T, db *store.DB) *authFixture {
	t.Helper()
	ctx := context.Background()
	created := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return created }
	f := &authFixture{db: db, tokens: map[string]string{}, users: map[string]account.User{}, now: created.Add(2 * time.Hour)}
	if _, err := db.ImportDataset(ctx, fixture(), store.ImportSource{Name: "fixture", UpdatedBy: "test"}, nil); err != nil {
		t.Fatal(err)
	}
	orgs := map[string]account.Organisation{}
	for name, hsds := range map[string]string{"minds": orgMinds, "recovery": orgRecovery} {
		o, err := db.CreateOrganisation(ctx, account.Organisation{Name: name, Kind: account.KindVoluntary, HSDSOrganizationID: hsds}, audit.Event{Action: audit.OrgCreated})
		if err != nil {
			t.Fatal(err)
		}
		orgs[name] = o
	}
	for name, u := range map[string]account.User{
		"provider": {Email: "pat@minds.example.org", Name: "Pat", Memberships: []account.Membership{{OrgID: orgs["minds"].ID, Role: account.RoleProvider}}},
		"other":    {Email: "olly@recovery.example.org", Name: "Olly", Memberships: []account.Membership{{OrgID: orgs["recovery"].ID, Role: account.RoleProvider}}},
		"admin":    {Email: "ada@example.org", Name: "Ada", Admin: true},
		"gone":     {Email: "gone@minds.example.org", Name: "Gone", Memberships: []account.Membership{{OrgID: orgs["minds"].ID, Role: account.RoleProvider}}},
	} {
		c, err := db.CreateUser(ctx, u, "", audit.Event{Action: audit.UserCreated})
		if err != nil {
			t.Fatal(err)
		}
		f.users[name] = c
	}
	assure := []account.Action{account.ListingAssure}
	for cred, tok := range map[string]account.APIToken{
		credNoScope:  {UserID: f.users["provider"].ID, Scopes: []account.Action{account.ListingEdit}},
		credRevoked:  {UserID: f.users["provider"].ID, Scopes: assure},
		credExpired:  {UserID: f.users["provider"].ID, Scopes: assure, ExpiresAt: created.Add(time.Hour)},
		credOtherOrg: {UserID: f.users["other"].ID, Scopes: assure},
		credRight:    {UserID: f.users["provider"].ID, Scopes: assure},
		credAdmin:    {UserID: f.users["admin"].ID, Scopes: assure},
		credDisabled: {UserID: f.users["gone"].ID, Scopes: assure},
	} {
		plain, hash := account.NewToken()
		tok.Name = cred
		made, err := db.CreateAPIToken(ctx, tok, hash, audit.Event{})
		if err != nil {
			t.Fatal(err)
		}
		if cred == credRevoked {
			if err := db.RevokeAPIToken(ctx, made.ID, made.UserID, audit.Event{}); err != nil {
				t.Fatal(err)
			}
		}
		f.tokens[cred] = "Bearer " + plain
	}
	if err := db.SetDisabled(ctx, f.users["gone"].ID, true, audit.Event{}); err != nil {
		t.Fatal(err)
	}
	unknown, _ := account.NewToken()
	f.tokens[credUnknown] = "Bearer " + unknown
	f.tokens[credMalformed] = "Basic cGF0OnNlY3JldA=="

	ds, err := db.LoadDirectory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := search.New(directory.NewIndex(ds))
	f.h = New(Config{
		Engine: func() *search.Engine { return e }, DB: db, Now: func() time.Time { return f.now },
		Logger:           slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		DirectoryChanged: func(context.Context) error { f.changed++; return nil },
	})
	return f
}

// send serves method path with cred's Authorization header.
func (f *authFixture) send(method, path, cred string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if v := f.tokens[cred]; v != "" {
		req.Header.Set("Authorization", v)
	}
	req.RemoteAddr = "198.51.100.7:40000"
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func TestAPIRouteWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		seen := map[string]bool{}
		for _, rt := range (&server{}).routes() {
			method, path, _ := strings.Cut(rt.pattern, " ")
			var allow []string
			if method == http.MethodGet {
				allow = credentials
				path = strings.TrimSuffix(path, "{$}")
				for coll, id := range readPaths {
					path = strings.Replace(path, "/"+coll+"/{id}", "/"+coll+"/"+id, 1)
				}
			} else {
				w, ok := writeAccess[rt.pattern]
				if !ok {
					t.Errorf("write route %s has no row in writeAccess: say who may use it", rt.pattern)
					continue
				}
				seen[rt.pattern] = true
				path, allow = w.path, w.allow
			}
			if strings.Contains(path, "{") {
				t.Errorf("%s: path %s has an unfilled parameter", rt.pattern, path)
				continue
			}
			for _, cred := range credentials {
				rec := f.send(method, path, cred)
				got := rec.Code != http.StatusUnauthorized && rec.Code != http.StatusForbidden
				if rec.Code >= 500 {
					t.Errorf("%s %s with %s: status %d", method, path, cred, rec.Code)
				}
				if want := slices.Contains(allow, cred); got != want {
					t.Errorf("%s %s with %s: status %d (%s), want got in = %v", method, path, cred, rec.Code, strings.TrimSpace(rec.Body.String()), want)
				}
			}
		}
		for pattern := range writeAccess {
			if !seen[pattern] {
				t.Errorf("writeAccess has a row for %s, which is not registered", pattern)
			}
		}
	})
}

// Each refusal says what is wrong, with the status the OpenAPI document
// gives it.
func TestAPITokenRefusalsNameTheProblem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		path := "/api/v1/services/" + svcTalk + "/assure"
		for cred, want := range map[string]struct {
			status int
			text   string
		}{
			credNone:      {401, "needs an API token"},
			credMalformed: {401, "must be Bearer"},
			credUnknown:   {401, "not recognised"},
			credRevoked:   {401, "revoked on 2026-06-01T09:00:00Z"},
			credExpired:   {401, "expired on 2026-06-01T10:00:00Z"},
			credNoScope:   {403, "does not have the scope listing.assure"},
			credOtherOrg:  {403, "may not do listing.assure"},
			credDisabled:  {401, "owns the API token is disabled"},
		} {
			rec := f.send(http.MethodPost, path, cred)
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Errorf("%s: body %q: %v", cred, rec.Body, err)
				continue
			}
			if rec.Code != want.status || body.Error.Status != want.status || !strings.Contains(body.Error.Message, want.text) {
				t.Errorf("%s: %d %+v, want %d saying %q", cred, rec.Code, body.Error, want.status, want.text)
			}
			if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") != `Bearer realm="throughcare"` {
				t.Errorf("%s: WWW-Authenticate %q", cred, rec.Header().Get("WWW-Authenticate"))
			}
		}
		// Nothing was assured by any of them.
		if evs, err := db.AuditEvents(context.Background(), store.AuditFilter{Action: audit.ListingAssured}); err != nil || len(evs) != 0 {
			t.Errorf("refused requests assured: %+v, %v", evs, err)
		}
		// Without a token, an unknown service is not revealed either.
		if rec := f.send(http.MethodPost, "/api/v1/services/"+id("svc:nope")+"/assure", credNone); rec.Code != 401 {
			t.Errorf("unknown service without a token: %d, want 401", rec.Code)
		}
		if rec := f.send(http.MethodPost, "/api/v1/services/"+id("svc:nope")+"/assure", credRight); rec.Code != 404 {
			t.Errorf("unknown service with a token: %d, want 404", rec.Code)
		}
	})
}

func TestAssureService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAuthFixture(t, db)
		ctx := context.Background()
		rec := f.send(http.MethodPost, "/api/v1/services/"+svcTalk+"/assure", credRight)
		var got assurance
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
			t.Fatalf("assure: %d %s", rec.Code, rec.Body)
		}
		want := assurance{ServiceID: svcTalk, AssuredDate: "2026-06-01", AssurerEmail: "pat@minds.example.org"}
		if got != want {
			t.Errorf("answer %+v, want %+v", got, want)
		}
		ds, err := db.LoadDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ix := directory.NewIndex(ds)
		if svc, _ := ix.Service(svcTalk); svc.AssuredDate != "2026-06-01" || svc.AssurerEmail != "pat@minds.example.org" {
			t.Errorf("stored service: assured %q by %q", svc.AssuredDate, svc.AssurerEmail)
		}
		evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.ListingAssured})
		if err != nil || len(evs) != 1 || evs[0].ActorID != f.users["provider"].ID || evs[0].RecordID != svcTalk || evs[0].IP != "198.51.100.7" || evs[0].ActorRole != "provider" {
			t.Errorf("audit = %+v, %v", evs, err)
		}
		if f.changed != 1 {
			t.Errorf("DirectoryChanged called %d times, want 1", f.changed)
		}
		tokens, err := db.APITokens(ctx, f.users["provider"].ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range tokens {
			if used := !tok.LastUsedAt.IsZero(); used != (tok.Name == credRight) {
				t.Errorf("token %s: last used %v", tok.Name, tok.LastUsedAt)
			}
		}
	})
}

func TestWriteEndpointsOffWithoutDatabase(t *testing.T) {
	h := newTestHandler(t, nil)
	req := httptest.NewRequest(http.MethodPost, "/api/v1/services/"+svcTalk+"/assure", nil)
	req.Header.Set("Authorization", "Bearer whatever")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "keeps no accounts") {
		t.Errorf("without a database: %d %s", rec.Code, rec.Body)
	}
}
