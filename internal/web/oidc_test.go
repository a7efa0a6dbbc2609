package web

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func init() {
	// The walk's server has no single sign-on, so both routes answer Not
	// Found to everyone (which the walk counts as getting in: nobody is
	// refused a sign-in page).
	expectAccess(map[string]walkCase{
		"GET /sign-in/oidc":          {"/sign-in/oidc", everyone},
		"GET /sign-in/oidc/callback": {"/sign-in/oidc/callback?code=x&state=y", everyone},
	})
}

// testIdP is an OpenID Connect provider in the test process. It signs in
// whoever it is told to (user), approving every request at once, and
// issues RS256-signed ID tokens, which tests may spoil through tamper or
// by signing with another key.
type testIdP struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	clientID string
	secret   string

	mu     sync.Mutex
	user   idpUser
	signer *rsa.PrivateKey             // signs tokens; key unless a test says otherwise
	tamper func(claims map[string]any) // changes a token's claims before signing
	grants map[string]idpGrant
}

// idpUser is who the provider says is signing in.
type idpUser struct {
	sub, email, name string
	verified         any // the email_verified claim; nil leaves it out
	roles            any // the role claim; nil leaves it out
	org              string
}

// idpGrant is an authorisation code waiting to be exchanged.
type idpGrant struct {
	nonce, challenge, redirect string
	user                       idpUser
}

const (
	idpKeyID     = "test-key-1"
	idpRoleClaim = "throughcare_roles"
	idpOrgClaim  = "throughcare_org"
)

func newTestIdP(t *testing.T) *testIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testIdP{key: key, signer: key, clientID: "throughcare-test", secret: "client-secret-for-tests", grants: map[string]idpGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testIdP) issuer() string { return p.srv.URL }

func (p *testIdP) discovery(w http.ResponseWriter, _ *http.Request) {
	writeTestJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.issuer(),
		"authorization_endpoint":                p.issuer() + "/authorize",
		"token_endpoint":                        p.issuer() + "/token",
		"jwks_uri":                              p.issuer() + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (p *testIdP) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := p.key.PublicKey
	writeTestJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": idpKeyID,
		"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// authorize approves at once and sends the browser back with a code.
func (p *testIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
		http.Error(w, "bad authorisation request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code, _ := account.NewToken()
	p.mu.Lock()
	p.grants[code] = idpGrant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), user: p.user}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code, once, checking the client, the redirect URL and
// the PKCE verifier.
func (p *testIdP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.clientID || secret != p.secret {
		writeTestJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	g, found := p.grants[r.PostForm.Get("code")]
	delete(p.grants, r.PostForm.Get("code"))
	signer, tamper := p.signer, p.tamper
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !found || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirect || b64(sum[:]) != g.challenge {
		writeTestJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": p.issuer(), "sub": g.user.sub, "aud": p.clientID, "nonce": g.nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"email": g.user.email, "name": g.user.name,
	}
	if g.user.verified != nil {
		claims["email_verified"] = g.user.verified
	}
	if g.user.roles != nil {
		claims[idpRoleClaim] = g.user.roles
	}
	if g.user.org != "" {
		claims[idpOrgClaim] = g.user.org
	}
	if tamper != nil {
		tamper(claims)
	}
	writeTestJSON(w, http.StatusOK, map[string]any{
		"access_token": "access-" + g.nonce[:8], "token_type": "Bearer", "expires_in": 300, "id_token": signJWT(signer, claims),
	})
}

// signJWT returns claims as a compact JWS signed with RS256 by key.
func signJWT(key *rsa.PrivateKey, claims map[string]any) string {
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": idpKeyID})
	payload, _ := json.Marshal(claims)
	input := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func writeTestJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// set changes what the provider does for the next sign-in.
func (p *testIdP) set(u idpUser, signer *rsa.PrivateKey, tamper func(map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user, p.tamper = u, tamper
	p.signer = p.key
	if signer != nil {
		p.signer = signer
	}
}

// oidcFixture is the walk fixture's database behind a server with single
// sign-on through a test provider.
type oidcFixture struct {
	*walkFixture
	idp *testIdP
	srv *Server
}

const oidcBaseURL = "https://throughcare.test"

func newOIDCFixture(t *testing.T, db *store.DB, tweak func(*OIDCConfig)) *oidcFixture {
	t.Helper()
	wf := newWalkFixture(t, db)
	idp := newTestIdP(t)
	cfg := &OIDCConfig{Issuer: idp.issuer(), ClientID: idp.clientID, ClientSecret: idp.secret, RoleClaim: idpRoleClaim, ButtonLabel: "Sign in with Test ID"}
	if tweak != nil {
		tweak(cfg)
	}
	srv := newTestServer(t, Config{
		Index: wf.srv.cfg.Index, DB: db, LinkKey: wf.srv.cfg.LinkKey,
		BaseURL: oidcBaseURL, SecureCookies: true, OIDC: cfg,
	}, nil)
	return &oidcFixture{walkFixture: wf, idp: idp, srv: srv}
}

// oidcResult is how a sign-in through the provider ended.
type oidcResult struct {
	res     *http.Response
	body    string
	session string // the session cookie set, if any
}

// signIn runs a whole single sign-on as a browser would: start, visit the
// provider, come back. spoil may change the callback URL before it is
// followed.
func (f *oidcFixture) signIn(t *testing.T, next string, spoil func(callback *url.URL)) oidcResult {
	t.Helper()
	start := httptest.NewRequest(http.MethodGet, "/sign-in/oidc?next="+url.QueryEscape(next), nil)
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, start)
	if rec.Code != http.StatusFound {
		t.Fatalf("start: status %d: %s", rec.Code, rec.Body)
	}
	var flow *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == f.srv.oidcCookieName() {
			flow = c
		}
	}
	if flow == nil || !flow.HttpOnly || !flow.Secure || flow.SameSite != http.SameSiteLaxMode || flow.MaxAge <= 0 || flow.MaxAge > 600 {
		t.Fatalf("flow cookie = %+v; want a short-lived Secure HttpOnly SameSite=Lax cookie", flow)
	}
	authURL := rec.Header().Get("Location")
	if !strings.HasPrefix(authURL, f.idp.issuer()+"/authorize?") {
		t.Fatalf("start redirects to %q, not the provider", authURL)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound || back.Scheme+"://"+back.Host != oidcBaseURL || back.Path != "/sign-in/oidc/callback" {
		t.Fatalf("provider answered %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if spoil != nil {
		spoil(back)
	}
	cb := httptest.NewRequest(http.MethodGet, back.RequestURI(), nil)
	cb.AddCookie(&http.Cookie{Name: flow.Name, Value: flow.Value})
	cb.RemoteAddr = "192.0.2.44:5555"
	rec = httptest.NewRecorder()
	f.srv.ServeHTTP(rec, cb)
	out := oidcResult{res: rec.Result(), body: rec.Body.String()}
	cleared := false
	for _, c := range out.res.Cookies() {
		switch c.Name {
		case f.srv.cookieName():
			out.session = c.Value
		case flow.Name:
			cleared = c.MaxAge < 0
		}
	}
	if !cleared {
		t.Errorf("the callback did not clear the flow cookie")
	}
	return out
}

// wantRefused checks that r is a refusal with status and a message
// holding text, and that nobody was signed in.
func (r oidcResult) wantRefused(t *testing.T, status int, text string) {
	t.Helper()
	if r.res.StatusCode != status || r.session != "" {
		t.Errorf("status %d, session %q; want %d and no session", r.res.StatusCode, r.session, status)
	}
	doc := parseHTML(t, r.body)
	if got := doc.Find("#oidc-problem"); len(got) != 1 || !strings.Contains(got[0].Text(), text) {
		t.Errorf("refusal page does not say %q:\n%s", text, r.body)
	}
	if got := doc.Find("a#oidc-sign-in[href=/sign-in/oidc]"); len(got) != 1 || got[0].Text() != "Sign in with Test ID" {
		t.Errorf("refusal page has no button to try again")
	}
}

func TestOIDCSignInLinksThenUsesTheLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newOIDCFixture(t, db, nil)
		ctx := context.Background()
		pat := f.users[provider]
		f.idp.set(idpUser{sub: "idp-pat-1", email: "Provider@Example.org", verified: true, name: "Pat P"}, nil, nil)

		got := f.signIn(t, "/account/tokens", nil)
		if got.res.StatusCode != http.StatusSeeOther || got.res.Header.Get("Location") != "/account/tokens" || got.session == "" {
			t.Fatalf("sign-in: %d to %q, session %q\n%s", got.res.StatusCode, got.res.Header.Get("Location"), got.session, got.body)
		}
		u, _, err := db.SessionUser(ctx, got.session, time.Hour)
		if err != nil || u.ID != pat.ID {
			t.Fatalf("signed in as %+v, %v; want the provider", u, err)
		}
		if linked, err := db.UserByIdentity(ctx, f.idp.issuer(), "idp-pat-1"); err != nil || linked.ID != pat.ID {
			t.Errorf("identity not linked: %+v, %v", linked, err)
		}
		evs, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.UserSignedIn, ActorID: pat.ID})
		if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Detail, `"oidc"`) || evs[0].IP != "192.0.2.44" {
			t.Errorf("sign-in audit = %+v, %v", evs, err)
		}

		// The second time the link decides, whatever the address: here the
		// provider no longer vouches for one at all.
		f.idp.set(idpUser{sub: "idp-pat-1", email: "someone.else@example.org", verified: false}, nil, nil)
		got = f.signIn(t, "/", nil)
		if got.res.StatusCode != http.StatusSeeOther || got.session == "" {
			t.Fatalf("second sign-in: %d\n%s", got.res.StatusCode, got.body)
		}
		if u, _, err := db.SessionUser(ctx, got.session, time.Hour); err != nil || u.ID != pat.ID {
			t.Errorf("second sign-in as %+v, %v", u, err)
		}
	})
}

func TestOIDCRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newOIDCFixture(t, db, nil)
		ctx := context.Background()
		pat := idpUser{sub: "idp-pat-2", email: "provider@example.org", verified: true}
		otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			user   idpUser
			signer *rsa.PrivateKey
			tamper func(map[string]any)
			spoil  func(*url.URL)
			status int
			text   string
			reason string
		}{
			{name: "wrong state", user: pat, spoil: func(u *url.URL) {
				q := u.Query()
				q.Set("state", "forged")
				u.RawQuery = q.Encode()
			}, status: http.StatusBadRequest, text: "does not match", reason: "state_mismatch"},
			{name: "wrong nonce", user: pat, tamper: func(c map[string]any) { c["nonce"] = "replayed" }, status: http.StatusBadRequest, text: "not for this sign-in", reason: "nonce_mismatch"},
			{name: "another key", user: pat, signer: otherKey, status: http.StatusBadRequest, text: "could not be verified", reason: "token_invalid"},
			{name: "another audience", user: pat, tamper: func(c map[string]any) { c["aud"] = "someone-else" }, status: http.StatusBadRequest, text: "could not be verified", reason: "token_invalid"},
			{name: "expired", user: pat, tamper: func(c map[string]any) {
				c["iat"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
			}, status: http.StatusBadRequest, text: "expired", reason: "token_expired"},
			{name: "unknown address", user: idpUser{sub: "idp-new", email: "stranger@example.org", verified: true},
				status: http.StatusForbidden, text: "no Throughcare account for stranger@example.org", reason: "no_account"},
			{name: "unverified address", user: idpUser{sub: "idp-unverified", email: "provider@example.org", verified: false},
				status: http.StatusForbidden, text: "did not confirm your email address", reason: "email_unverified"},
			{name: "verification not said", user: idpUser{sub: "idp-unsaid", email: "provider@example.org"},
				status: http.StatusForbidden, text: "did not confirm your email address", reason: "email_unverified"},
			{name: "provider refused", user: pat, spoil: func(u *url.URL) {
				u.RawQuery = url.Values{"error": {"access_denied"}, "state": {u.Query().Get("state")}}.Encode()
			}, status: http.StatusForbidden, text: "(access_denied)", reason: "provider_refused"},
		} {
			t.Run(c.name, func(t *testing.T) {
				f.idp.set(c.user, c.signer, c.tamper)
				before, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.UserSignInFailed, Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				f.signIn(t, "/", c.spoil).wantRefused(t, c.status, c.text)
				after, err := db.AuditEvents(ctx, store.AuditFilter{Action: audit.UserSignInFailed, Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				if len(after) != len(before)+1 || !strings.Contains(after[0].Detail, `"reason":"`+c.reason+`"`) {
					t.Errorf("failure audit: %d events before, %+v after; want one more with reason %s", len(before), after, c.reason)
				} else if strings.Contains(after[0].Detail, "@") || strings.Contains(after[0].Detail, "idp-") {
					t.Errorf("failure audit holds personal data: %s", after[0].Detail)
				}
			})
		}
		// None of it linked anything.
		for _, sub := range []string{"idp-pat-2", "idp-new", "idp-unverified", "idp-unsaid"} {
			if _, err := db.UserByIdentity(ctx, f.idp.issuer(), sub); !errors.Is(err, apperr.NotFound) {
				t.Errorf("identity %s was linked by a refused sign-in: %v", sub, err)
			}
		}
	})
}

func TestOIDCCallbackWithoutTheFlowCookie(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newOIDCFixture(t, db, nil)
		for name, cookie := range map[string]*http.Cookie{
			"no cookie":     nil,
			"forged cookie": {Name: f.srv.oidcCookieName(), Value: "eyJzIjoieSJ9.AAAA"},
			"other purpose": {Name: f.srv.oidcCookieName(), Value: account.SignLink(f.srv.cfg.LinkKey, "password-reset", `{"s":"y"}`, time.Now().Add(time.Minute), "")},
			"expired":       {Name: f.srv.oidcCookieName(), Value: account.SignLink(f.srv.cfg.LinkKey, oidcLinkPurpose, `{"s":"y"}`, time.Now().Add(-time.Second), "")},
		} {
			req := httptest.NewRequest(http.MethodGet, "/sign-in/oidc/callback?code=x&state=y", nil)
			if cookie != nil {
				req.AddCookie(cookie)
			}
			rec := httptest.NewRecorder()
			f.srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `id="oidc-problem"`) {
				t.Errorf("%s: status %d, want 400 with the problem page", name, rec.Code)
			}
		}
		// A provider's error is only believed for a sign-in this browser
		// started, so a bare link cannot fill the audit log.
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sign-in/oidc/callback?error=access_denied&state=y", nil))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("provider error without the flow cookie: status %d, want 400", rec.Code)
		}
		if evs, err := db.AuditEvents(context.Background(), store.AuditFilter{Action: audit.UserSignInFailed}); err != nil || len(evs) != 0 {
			t.Errorf("requests without the flow cookie were audited: %+v, %v", evs, err)
		}
	})
}

func TestOIDCOffAnswersNotFound(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	for _, path := range []string{"/sign-in/oidc", "/sign-in/oidc/callback?code=x&state=y"} {
		if res := get(t, s, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s without single sign-on: status %d, want 404", path, res.StatusCode)
		}
	}
	if b := s.oidcButton("/x"); b != nil {
		t.Errorf("button without single sign-on: %+v", b)
	}
}

func TestOIDCCreatesAccountsOnlyWhenAllowed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newOIDCFixture(t, db, func(c *OIDCConfig) {
			c.OrgClaim, c.CreateAccounts = idpOrgClaim, true
		})
		ctx := context.Background()
		own := f.orgs["own"]
		for _, c := range []struct {
			name string
			user idpUser
		}{
			{"no role", idpUser{sub: "n1", email: "n1@example.org", verified: true, org: own.Name}},
			{"admin is not a role a claim gives", idpUser{sub: "n2", email: "n2@example.org", verified: true, roles: []string{"admin"}, org: own.Name}},
			{"two roles", idpUser{sub: "n3", email: "n3@example.org", verified: true, roles: []string{"provider", "analyst"}, org: own.Name}},
			{"no organisation", idpUser{sub: "n4", email: "n4@example.org", verified: true, roles: []string{"provider"}}},
			{"unknown organisation", idpUser{sub: "n5", email: "n5@example.org", verified: true, roles: []string{"provider"}, org: "Nowhere Trust"}},
			{"address not verified", idpUser{sub: "n6", email: "n6@example.org", verified: "false", roles: []string{"provider"}, org: own.Name}},
		} {
			f.idp.set(c.user, nil, nil)
			f.signIn(t, "/", nil).wantRefused(t, http.StatusForbidden, "Ask your administrator")
			if _, err := db.UserByEmail(ctx, c.user.email); !errors.Is(err, apperr.NotFound) {
				t.Errorf("%s: an account was created: %v", c.name, err)
			}
		}

		// One organisation role (admin beside it is ignored), a verified
		// address and a known organisation: an account is made, linked and
		// signed in, with no administration.
		f.idp.set(idpUser{sub: "n7", email: "New.Person@example.org", verified: "true", name: "New Person",
			roles: "Provider admin", org: own.ID}, nil, nil)
		got := f.signIn(t, "/", nil)
		if got.res.StatusCode != http.StatusSeeOther || got.session == "" {
			t.Fatalf("creation: %d\n%s", got.res.StatusCode, got.body)
		}
		u, err := db.UserByEmail(ctx, "new.person@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "New Person" || u.Admin || u.RoleIn(own.ID) != account.RoleProvider || len(u.Memberships) != 1 {
			t.Errorf("created user = %+v", u)
		}
		if linked, err := db.UserByIdentity(ctx, f.idp.issuer(), "n7"); err != nil || linked.ID != u.ID {
			t.Errorf("created user not linked: %v", err)
		}
		if s, _, err := db.SessionUser(ctx, got.session, time.Hour); err != nil || s.ID != u.ID {
			t.Errorf("created user not signed in: %v", err)
		}

		// The claim never changes an existing account: a provider whose
		// token now says admin and commissioner stays a provider.
		f.idp.set(idpUser{sub: "n7", email: "new.person@example.org", verified: true, roles: []string{"admin", "commissioner"}, org: own.ID}, nil, nil)
		if got := f.signIn(t, "/", nil); got.session == "" {
			t.Fatalf("second sign-in refused: %d", got.res.StatusCode)
		}
		if again, _ := db.User(ctx, u.ID); again.Admin || again.RoleIn(own.ID) != account.RoleProvider {
			t.Errorf("the claim changed the account: %+v", again)
		}
	})
}

func TestOIDCDisabledAccountRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newOIDCFixture(t, db, nil)
		ctx := context.Background()
		if _, err := db.CreateUser(ctx, account.User{Email: "gone@example.org", Name: "Gone", Disabled: true}, "", audit.Event{Action: audit.UserCreated}); err != nil {
			t.Fatal(err)
		}
		f.idp.set(idpUser{sub: "idp-gone", email: "gone@example.org", verified: true}, nil, nil)
		f.signIn(t, "/", nil).wantRefused(t, http.StatusForbidden, "disabled")
		if _, err := db.UserByIdentity(ctx, f.idp.issuer(), "idp-gone"); !errors.Is(err, apperr.NotFound) {
			t.Errorf("a disabled account was linked: %v", err)
		}
	})
}

func TestCheckOIDC(t *testing.T) {
	db := storetest.SQLite(t)
	good := OIDCConfig{Issuer: "https://login.example.org/", ClientID: "tc"}
	for _, c := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"no database", Config{BaseURL: "https://tc.example", OIDC: &good}, "OIDC.Issuer"},
		{"no issuer", Config{DB: db, BaseURL: "https://tc.example", OIDC: &OIDCConfig{ClientID: "tc"}}, "OIDC.Issuer"},
		{"issuer not a URL", Config{DB: db, BaseURL: "https://tc.example", OIDC: &OIDCConfig{Issuer: "login.example.org", ClientID: "tc"}}, "OIDC.Issuer"},
		{"no client", Config{DB: db, BaseURL: "https://tc.example", OIDC: &OIDCConfig{Issuer: "https://login.example.org"}}, "OIDC.ClientID"},
		{"no redirect", Config{DB: db, OIDC: &good}, "OIDC.RedirectURL"},
		{"wrong redirect path", Config{DB: db, OIDC: &OIDCConfig{Issuer: good.Issuer, ClientID: "tc", RedirectURL: "https://tc.example/cb"}}, "OIDC.RedirectURL"},
		{"creation without claims", Config{DB: db, BaseURL: "https://tc.example", OIDC: &OIDCConfig{Issuer: good.Issuer, ClientID: "tc", RoleClaim: "r", CreateAccounts: true}}, "OIDC.CreateAccounts"},
	} {
		_, err := checkOIDC(c.cfg)
		if fe, ok := errors.AsType[*apperr.FieldError](err); !ok || fe.Field != c.field {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.field)
		}
	}
	got, err := checkOIDC(Config{DB: db, BaseURL: "https://tc.example/", OIDC: &good})
	if err != nil || got.RedirectURL != "https://tc.example/sign-in/oidc/callback" || got.ButtonLabel != defaultOIDCButtonLabel {
		t.Errorf("defaults: %+v, %v", got, err)
	}
	if good.RedirectURL != "" {
		t.Error("checkOIDC changed the caller's configuration")
	}
}

func TestOIDCRoles(t *testing.T) {
	for _, c := range []struct {
		claim string
		want  []account.Role
		one   bool
	}{
		{`["provider"]`, []account.Role{account.RoleProvider}, true},
		{`[" Practitioner ", "practitioner"]`, []account.Role{account.RolePractitioner}, true},
		{`"commissioner, admin"`, []account.Role{account.RoleCommissioner}, true},
		{`"analyst provider"`, []account.Role{account.RoleAnalyst, account.RoleProvider}, false},
		{`["admin"]`, nil, false},
		{`["public", "superuser"]`, nil, false},
		{`{"role":"provider"}`, nil, false},
		{``, nil, false},
	} {
		names := claimStrings(json.RawMessage(c.claim))
		got := oidcRoles(names)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: roles %v, want %v", c.claim, got, c.want)
		}
		if _, one := singleMemberRole(names); one != c.one {
			t.Errorf("%s: single role %v, want %v", c.claim, one, c.one)
		}
	}
}

func TestOIDCButton(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newOIDCFixture(t, db, nil)
		for next, want := range map[string]string{
			"":                       "/sign-in/oidc",
			"/account/tokens":        "/sign-in/oidc?next=%2Faccount%2Ftokens",
			"https://evil.example/x": "/sign-in/oidc",
		} {
			if b := f.srv.oidcButton(next); b == nil || b.Href != want || b.Label != "Sign in with Test ID" {
				t.Errorf("button for %q = %+v, want %s", next, b, want)
			}
		}
	})
}

// A user who has set up a second factor gives it after single sign-on too:
// the organisation's sign-on stands in for the password only.
func TestOIDCAsksForTheSecondFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newOIDCFixture(t, db, nil)
		ctx := context.Background()
		pat := f.users[provider]
		secret, _, err := account.NewTOTP(pat.Email)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SetTOTP(ctx, pat.ID, secret, nil, audit.Event{Action: audit.UserTOTPEnabled}); err != nil {
			t.Fatal(err)
		}
		f.idp.set(idpUser{sub: "idp-pat-9", email: pat.Email, verified: true}, nil, nil)
		got := f.signIn(t, "/account", nil)
		if got.res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(got.res.Header.Get("Location"), "/sign-in/code") || got.session != "" {
			t.Fatalf("sign-on with a second factor set up: %d to %q, session %q; want the code step and no session yet",
				got.res.StatusCode, got.res.Header.Get("Location"), got.session)
		}
	})
}

func TestSignInPageOffersSingleSignOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newOIDCFixture(t, db, nil)
		doc := parseHTML(t, body(t, get(t, f.srv, "/sign-in?next=%2Faccount")))
		if got := doc.Find("a#oidc-sign-in"); len(got) != 1 || got[0].attrs["href"] != "/sign-in/oidc?next=%2Faccount" {
			t.Errorf("single-sign-on button = %v", got)
		}
		plain := newWalkFixture(t, storetest.SQLite(t))
		if got := parseHTML(t, body(t, get(t, plain.srv, "/sign-in"))).Find("a#oidc-sign-in"); len(got) != 0 {
			t.Errorf("single-sign-on button shown with single sign-on off")
		}
	})
}
