package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
)

// Single sign-on with OpenID Connect, as an alternative to passwords. A
// visitor who chooses "Sign in with …" is sent to the organisation's
// identity provider and comes back to /sign-in/oidc/callback with a code;
// the server exchanges the code for an ID token, verifies it (signature,
// issuer, audience, expiry and the nonce it sent), and signs in the account
// the token's identity is linked to. docs/accounts.md says how identities
// are matched to accounts and what the role claim may and may not do.

// OIDCConfig configures sign-in with an OpenID Connect provider. Set
// Config.OIDC to turn it on.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document and its ID tokens give it (https://login.example.org/).
	Issuer string
	// ClientID and ClientSecret are this site's registration with the
	// provider.
	ClientID, ClientSecret string
	// RedirectURL is where the provider sends the visitor back; register
	// it with the provider. Empty means Config.BaseURL followed by
	// /sign-in/oidc/callback.
	RedirectURL string
	// RoleClaim names the ID-token claim that lists the user's roles (a
	// list of strings, or one string of names separated by spaces or
	// commas), such as "throughcare_roles". Empty means roles are not
	// read. Roles from the claim are only used to create accounts (see
	// CreateAccounts): they never change an existing account, and "admin"
	// never grants administration.
	RoleClaim string
	// OrgClaim names the claim that holds the user's organisation, as the
	// organisation's id or its exact name. Only used to create accounts.
	OrgClaim string
	// CreateAccounts lets a sign-in create an account for a verified
	// e-mail address that has none, when the role claim gives exactly one
	// organisation role and the organisation claim names an organisation
	// that exists. It needs RoleClaim and OrgClaim. When false, people
	// without an account are told to ask their administrator.
	CreateAccounts bool
	// ButtonLabel is the text of the sign-in button; empty means "Sign in
	// with your organisation's account".
	ButtonLabel string
}

// defaultOIDCButtonLabel is the sign-in button's text when the
// configuration gives none.
const defaultOIDCButtonLabel = "Sign in with your organisation’s account"

// Paths of the two single-sign-on routes.
const (
	oidcStartPath    = "/sign-in/oidc"
	oidcCallbackPath = "/sign-in/oidc/callback"
)

// oidcFlowTTL is how long a visitor has to come back from the provider.
const oidcFlowTTL = 10 * time.Minute

// oidcLinkPurpose is the account.SignLink purpose of the flow cookie, so a
// link signed for anything else never passes for one.
const oidcLinkPurpose = "oidc-sign-in"

// checkOIDC checks cfg.OIDC and returns the configuration to use, with the
// redirect URL and button label filled in; nil when single sign-on is off.
// Problems are Invalid errors naming the field.
func checkOIDC(cfg Config) (*OIDCConfig, error) {
	if cfg.OIDC == nil {
		return nil, nil
	}
	o := *cfg.OIDC
	field := func(name, format string, args ...any) error {
		return fmt.Errorf("web: %w", apperr.Field("OIDC."+name, format, args...))
	}
	if cfg.DB == nil {
		return nil, field("Issuer", "single sign-on needs a database to keep accounts in (Config.DB)")
	}
	if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, field("Issuer", "%q is not an issuer URL such as https://login.example.org", o.Issuer)
	}
	if o.ClientID == "" {
		return nil, field("ClientID", "is required")
	}
	if o.RedirectURL == "" {
		if cfg.BaseURL == "" {
			return nil, field("RedirectURL", "is required when Config.BaseURL is empty")
		}
		o.RedirectURL = strings.TrimSuffix(cfg.BaseURL, "/") + oidcCallbackPath
	}
	if u, err := url.Parse(o.RedirectURL); err != nil || !u.IsAbs() || u.Path != oidcCallbackPath {
		return nil, field("RedirectURL", "%q is not this site's address followed by %s", o.RedirectURL, oidcCallbackPath)
	}
	if o.CreateAccounts && (o.RoleClaim == "" || o.OrgClaim == "") {
		return nil, field("CreateAccounts", "needs both RoleClaim and OrgClaim, to know the new account's role and organisation")
	}
	if o.ButtonLabel == "" {
		o.ButtonLabel = defaultOIDCButtonLabel
	}
	return &o, nil
}

// oidcClient talks to the provider. Discovery happens on first use, not at
// start-up, so that a provider that is down does not stop the site; a
// failed discovery is tried again on the next sign-in.
type oidcClient struct {
	cfg  OIDCConfig
	now  func() time.Time
	http *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
}

func newOIDCClient(cfg OIDCConfig, now func() time.Time) *oidcClient {
	return &oidcClient{cfg: cfg, now: now, http: &http.Client{Timeout: 15 * time.Second}}
}

// context returns ctx carrying the client's HTTP client, for go-oidc and
// oauth2.
func (c *oidcClient) context(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, c.http)
}

// discover returns the OAuth 2 configuration and the ID-token verifier,
// fetching the provider's discovery document the first time.
func (c *oidcClient) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.oauth != nil {
		return c.oauth, c.verifier, nil
	}
	p, err := oidc.NewProvider(c.context(ctx), c.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("web: discover the OpenID Connect provider %s: %w", c.cfg.Issuer, err)
	}
	c.oauth = &oauth2.Config{
		ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
	}
	c.verifier = p.Verifier(&oidc.Config{ClientID: c.cfg.ClientID, Now: c.now})
	return c.oauth, c.verifier, nil
}

// oidcFlow is what the flow cookie carries from the start of a sign-in to
// its callback.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"` // the PKCE code verifier
	Next     string `json:"r"` // where to go once signed in
}

// oidcCookieName is the flow cookie's name; over TLS it carries the
// __Host- prefix, as the session cookie does.
func (s *Server) oidcCookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-throughcare_oidc"
	}
	return "throughcare_oidc"
}

// oidcRoutes registers the single-sign-on routes. They are registered
// whether or not single sign-on is configured, so the route table is the
// same on every site; without it they answer Not Found.
func (s *Server) oidcRoutes(mux *http.ServeMux) {
	var c *oidcClient
	if s.cfg.OIDC != nil {
		c = newOIDCClient(*s.cfg.OIDC, s.now)
	}
	s.route(mux, "GET "+oidcStartPath, oidcAccess, func(w http.ResponseWriter, r *http.Request) error {
		return s.startOIDC(w, r, c)
	})
	s.route(mux, "GET "+oidcCallbackPath, oidcAccess, func(w http.ResponseWriter, r *http.Request) error {
		return s.finishOIDC(w, r, c)
	})
}

// oidcAccess is the rule of the single-sign-on routes: everyone, as for
// every sign-in page.
var oidcAccess = access{action: account.SignIn}

// errNoOIDC answers the single-sign-on routes on a site without it.
var errNoOIDC = apperr.Errorf(apperr.NotFound, "single sign-on is not set up on this site")

// OIDCButton is the data of the "oidc-button" partial: a link that starts
// single sign-on.
type OIDCButton struct {
	Label string
	Href  string
}

// oidcButton returns the single-sign-on button for a sign-in page that
// should return to next afterwards, or nil when single sign-on is off.
func (s *Server) oidcButton(next string) *OIDCButton {
	if s.cfg.OIDC == nil {
		return nil
	}
	href := oidcStartPath
	if next = safeNext(next); next != "/" {
		href += "?next=" + url.QueryEscape(next)
	}
	return &OIDCButton{Label: s.cfg.OIDC.ButtonLabel, Href: href}
}

// startOIDC sends the visitor to the provider, with a fresh state, nonce
// and PKCE verifier kept in a short-lived signed cookie.
func (s *Server) startOIDC(w http.ResponseWriter, r *http.Request, c *oidcClient) error {
	if c == nil {
		return errNoOIDC
	}
	oc, _, err := c.discover(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "single sign-on unavailable", "err", err)
		return s.oidcProblem(w, r, http.StatusBadGateway, "The sign-in service cannot be reached",
			"Throughcare could not reach your organisation’s sign-in service. Try again in a few minutes, or sign in with your password.")
	}
	state, _ := account.NewToken()
	nonce, _ := account.NewToken()
	flow := oidcFlow{State: state, Nonce: nonce, Verifier: oauth2.GenerateVerifier(), Next: safeNext(r.URL.Query().Get("next"))}
	payload, _ := json.Marshal(flow) // cannot fail: strings
	value := account.SignLink(s.cfg.LinkKey, oidcLinkPurpose, string(payload), s.now().Add(oidcFlowTTL), "")
	http.SetCookie(w, &http.Cookie{
		Name: s.oidcCookieName(), Value: value, Path: "/",
		MaxAge: int(oidcFlowTTL / time.Second), Secure: s.cfg.SecureCookies, HttpOnly: true,
		// Lax: the provider sends the visitor back with a top-level GET,
		// on which browsers send Lax cookies.
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(flow.Verifier)), http.StatusFound)
	return nil
}

// oidcClaims are the ID-token claims sign-in reads. The role and
// organisation claims are read separately, by the names configured.
type oidcClaims struct {
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Name          string          `json:"name"`
}

// verified reports whether the provider vouches for the e-mail address.
// Some providers send the flag as a string.
func (c *oidcClaims) verified() bool {
	var b bool
	if json.Unmarshal(c.EmailVerified, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(c.EmailVerified, &s) == nil && strings.EqualFold(s, "true")
}

// finishOIDC is where the provider sends the visitor back: it checks the
// state against the flow cookie, exchanges the code, verifies the ID token
// and its nonce, finds (or, if allowed, creates) the account and signs it
// in.
func (s *Server) finishOIDC(w http.ResponseWriter, r *http.Request, c *oidcClient) error {
	if c == nil {
		return errNoOIDC
	}
	w.Header().Set("Cache-Control", "no-store")
	// The cookie serves one attempt, whatever happens to it.
	http.SetCookie(w, &http.Cookie{Name: s.oidcCookieName(), Value: "", Path: "/", MaxAge: -1,
		Secure: s.cfg.SecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	startAgain := func(msg string) error {
		return s.oidcProblem(w, r, http.StatusBadRequest, "Sign in again", msg)
	}
	q := r.URL.Query()
	ck, err := r.Cookie(s.oidcCookieName())
	if err != nil {
		return startAgain("This sign-in was not started in this browser, or the browser did not keep its cookie. Start again from the sign-in page.")
	}
	link, err := account.VerifyLink(s.cfg.LinkKey, oidcLinkPurpose, ck.Value, s.now())
	var flow oidcFlow
	if err == nil {
		err = json.Unmarshal([]byte(link.Subject), &flow)
	}
	if errors.Is(err, account.ErrLinkExpired) {
		return startAgain("The sign-in took longer than ten minutes. Start again.")
	}
	if err != nil || flow.State == "" {
		return startAgain("This sign-in could not be checked. Start again from the sign-in page.")
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(flow.State)) != 1 {
		s.auditOIDCFailure(r, "", "state_mismatch")
		return startAgain("This sign-in does not match the one started in this browser. Start again from the sign-in page.")
	}
	if e := q.Get("error"); e != "" {
		s.auditOIDCFailure(r, "", "provider_refused")
		return s.oidcProblem(w, r, http.StatusForbidden, "You were not signed in",
			"Your organisation’s sign-in service did not sign you in ("+oidcErrorCode(e)+"). Try again, or ask your administrator.")
	}
	code := q.Get("code")
	if code == "" {
		return startAgain("The sign-in service sent no sign-in code. Start again.")
	}
	oc, verifier, err := c.discover(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "single sign-on unavailable", "err", err)
		return s.oidcProblem(w, r, http.StatusBadGateway, "The sign-in service cannot be reached",
			"Throughcare could not reach your organisation’s sign-in service. Try again in a few minutes.")
	}
	tok, err := oc.Exchange(c.context(r.Context()), code, oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		s.log.WarnContext(r.Context(), "single sign-on: code exchange failed", "err", err)
		s.auditOIDCFailure(r, "", "exchange_failed")
		return startAgain("The sign-in service did not confirm who you are. Start again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		s.auditOIDCFailure(r, "", "no_id_token")
		return startAgain("The sign-in service did not say who you are. Start again.")
	}
	idt, err := verifier.Verify(c.context(r.Context()), raw)
	if _, expired := errors.AsType[*oidc.TokenExpiredError](err); expired {
		s.auditOIDCFailure(r, "", "token_expired")
		return startAgain("The sign-in service’s confirmation of who you are has expired. Start again.")
	}
	if err != nil {
		s.log.WarnContext(r.Context(), "single sign-on: ID token refused", "err", err)
		s.auditOIDCFailure(r, "", "token_invalid")
		return startAgain("The sign-in service’s confirmation of who you are could not be verified. Start again.")
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(flow.Nonce)) != 1 {
		s.auditOIDCFailure(r, "", "nonce_mismatch")
		return startAgain("The sign-in service’s answer was not for this sign-in. Start again.")
	}
	var claims oidcClaims
	all := map[string]json.RawMessage{}
	if err := idt.Claims(&claims); err != nil {
		return err
	}
	if err := idt.Claims(&all); err != nil {
		return err
	}
	u, problem, err := s.oidcUser(r, c.cfg, idt.Subject, claims, all)
	if err != nil {
		return err
	}
	if problem != nil {
		return s.oidcProblem(w, r, http.StatusForbidden, problem.title, problem.msg)
	}
	// The organisation's sign-on stands for the password; a user who has
	// set up a second factor here still gives it.
	return s.auth.firstStepPassed(w, r, u, "oidc", safeNext(flow.Next))
}

// oidcRefusal is why a verified identity may not sign in, for the visitor.
type oidcRefusal struct{ title, msg string }

// oidcUser finds the account for the verified identity subject: the one
// already linked to it; else the one with the provider's verified e-mail
// address, which is then linked; else, if the configuration allows, a new
// one made from the role and organisation claims. A refusal says why.
func (s *Server) oidcUser(r *http.Request, cfg OIDCConfig, subject string, claims oidcClaims, all map[string]json.RawMessage) (account.User, *oidcRefusal, error) {
	ctx := r.Context()
	db := s.cfg.DB
	u, err := db.UserByIdentity(ctx, cfg.Issuer, subject)
	switch {
	case err == nil:
		if u.Disabled {
			s.auditOIDCFailure(r, u.ID, "disabled")
			return account.User{}, &oidcRefusal{"Your account is disabled", "Your Throughcare account is disabled. Ask your administrator."}, nil
		}
		return u, nil, nil
	case !errors.Is(err, apperr.NotFound):
		return account.User{}, nil, err
	}
	email, emailErr := account.NormalizeEmail(claims.Email)
	if emailErr != nil || !claims.verified() {
		s.auditOIDCFailure(r, "", "email_unverified")
		return account.User{}, &oidcRefusal{"No account found",
			"Your organisation’s sign-in service did not confirm your email address, so it cannot be matched to a Throughcare account. Ask your administrator."}, nil
	}
	u, err = db.UserByEmail(ctx, email)
	switch {
	case err == nil:
		if u.Disabled {
			s.auditOIDCFailure(r, u.ID, "disabled")
			return account.User{}, &oidcRefusal{"Your account is disabled", "Your Throughcare account is disabled. Ask your administrator."}, nil
		}
		ev := s.auditEvent(r, audit.UserUpdated, `{"linked":"oidc"}`)
		ev.ActorID = u.ID
		if err := db.LinkIdentity(ctx, cfg.Issuer, subject, u.ID, ev); err != nil {
			return account.User{}, nil, err
		}
		return u, nil, nil
	case !errors.Is(err, apperr.NotFound):
		return account.User{}, nil, err
	}
	noAccount := &oidcRefusal{"No account found",
		"There is no Throughcare account for " + email + ". Ask your administrator to create one, then sign in again."}
	if !cfg.CreateAccounts {
		s.auditOIDCFailure(r, "", "no_account")
		return account.User{}, noAccount, nil
	}
	role, ok := singleMemberRole(claimStrings(all[cfg.RoleClaim]))
	orgs := claimStrings(all[cfg.OrgClaim])
	if !ok || len(orgs) != 1 {
		s.auditOIDCFailure(r, "", "no_account")
		return account.User{}, noAccount, nil
	}
	org, err := db.Organisation(ctx, orgs[0])
	if errors.Is(err, apperr.NotFound) {
		org, err = db.OrganisationByName(ctx, orgs[0])
	}
	if errors.Is(err, apperr.NotFound) {
		s.auditOIDCFailure(r, "", "no_organisation")
		return account.User{}, noAccount, nil
	}
	if err != nil {
		return account.User{}, nil, err
	}
	name := strings.TrimSpace(claims.Name)
	if probe := (account.User{Email: email, Name: name}); name == "" || probe.Validate() != nil {
		name, _, _ = strings.Cut(email, "@")
	}
	ev := s.auditEvent(r, audit.UserCreated, `{"via":"oidc"}`)
	ev.OrgID = org.ID
	u, err = db.CreateUser(ctx, account.User{Email: email, Name: name, Memberships: []account.Membership{{OrgID: org.ID, Role: role}}}, "", ev)
	if err != nil {
		return account.User{}, nil, err
	}
	ev = s.auditEvent(r, audit.UserUpdated, `{"linked":"oidc"}`)
	ev.ActorID = u.ID
	if err := db.LinkIdentity(ctx, cfg.Issuer, subject, u.ID, ev); err != nil {
		return account.User{}, nil, err
	}
	return u, nil, nil
}

// claimStrings reads a claim that is a list of strings or one string of
// names separated by spaces or commas. Anything else reads as no names.
func claimStrings(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return nil
		}
		list = strings.FieldsFunc(one, func(r rune) bool { return r == ',' || r == ' ' })
	}
	var out []string
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// oidcRoles maps the names of a role claim to roles: each name that, once
// trimmed and lower-cased, is an organisation role (provider,
// practitioner, commissioner, analyst) gives that role. Every other name,
// "admin" among them, gives nothing: administration is only ever granted
// in Throughcare itself.
func oidcRoles(names []string) []account.Role {
	var out []account.Role
	for _, n := range names {
		r := account.Role(strings.ToLower(strings.TrimSpace(n)))
		if slices.Contains(account.MemberRoles(), r) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// singleMemberRole returns the one organisation role names map to, or
// false when they map to none or to more than one (a new account has one
// organisation and so one role).
func singleMemberRole(names []string) (account.Role, bool) {
	roles := oidcRoles(names)
	if len(roles) != 1 {
		return "", false
	}
	return roles[0], true
}

// oidcErrorCode returns the provider's error code if it is a plain OAuth
// error code, and "error" otherwise, so that nothing the provider (or a
// forged link) sends is shown verbatim.
func oidcErrorCode(e string) string {
	if len(e) > 40 || strings.ContainsFunc(e, func(r rune) bool { return (r < 'a' || r > 'z') && r != '_' }) {
		return "error"
	}
	return e
}

// auditOIDCFailure records a refused single sign-on with its reason. It
// holds no personal data: the user's id when known, never the e-mail
// address or the provider's subject.
func (s *Server) auditOIDCFailure(r *http.Request, userID, reason string) {
	ev := s.auditEvent(r, audit.UserSignInFailed, `{"method":"oidc","reason":"`+reason+`"}`)
	if userID != "" {
		ev.RecordType, ev.RecordID = "user", userID
	}
	if _, err := s.cfg.DB.AppendAudit(r.Context(), ev); err != nil {
		s.log.ErrorContext(r.Context(), "audit a refused single sign-on", "err", err)
	}
}

// OIDCProblemPage is the data of the page that says why single sign-on did
// not sign the visitor in.
type OIDCProblemPage struct {
	Page
	Message string
	// Retry starts single sign-on again.
	Retry *OIDCButton
}

func (s *Server) oidcProblem(w http.ResponseWriter, r *http.Request, status int, title, msg string) error {
	return s.render(w, r, status, "oidc-problem", &OIDCProblemPage{Page: Page{Title: title}, Message: msg, Retry: s.oidcButton("")})
}
