package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
)

// API tokens let a user's own systems (a case-management system, a nightly
// job) call the write endpoints of the JSON API as that user, limited to
// the actions chosen when the token was made. The secret is shown once,
// on the page that answers its creation, and only its hash is kept.

func (s *Server) tokenRoutes(mux *http.ServeMux) {
	mine := own(account.TokenManage)
	s.route(mux, "GET /account/tokens", mine, s.showTokens)
	s.route(mux, "POST /account/tokens", mine, s.createToken)
	s.route(mux, "POST /account/tokens/{id}/revoke", mine, s.revokeToken)
}

// TokensPage is the data of the API tokens page: the user's tokens, the
// form to make one and, right after making one, its secret.
type TokensPage struct {
	Page
	Tokens []TokenView
	Form   TokenForm
	// Errors holds the problems with the form; Form.Errors shows them by field.
	Errors formErrors
	// Created is the token just made, with its secret; nil otherwise.
	Created *CreatedToken
	// Revoked names the token just revoked, for the success banner.
	Revoked string
}

// TokenView is one row of the tokens table.
type TokenView struct {
	ID, Name                   string
	Scopes                     []string
	Created, LastUsed, Expires string
	// Status is "Active", "Revoked" or "Expired"; only active tokens can
	// be revoked.
	Status string
	Active bool
}

// CreatedToken is a token just made. Secret is the only time the token
// itself is ever shown.
type CreatedToken struct {
	Name, Secret string
	Scopes       []string
	Expires      string
}

// TokenForm is the form that makes a token.
type TokenForm struct {
	Name   string
	Scopes []ScopeChoice
	Expiry []ExpiryChoice
	// Errors holds the message for each field with a problem: "name",
	// "scopes", "expiry".
	Errors map[string]string
	// Password asks for the user's password again (nil for those who sign
	// in through their organisation): a token outlives the session, so
	// someone at a browser left signed in must not be able to make one.
	Password *Field
}

// ScopeChoice is one checkbox of the token form: an action the user may
// give a token.
type ScopeChoice struct {
	ID, Value, Label, Hint string
	Checked                bool
}

// ExpiryChoice is one radio button of the token form.
type ExpiryChoice struct {
	ID, Value, Label string
	Checked          bool
}

// tokenExpiry is a lifetime a new token may be given: days, or 0 for a
// token that works until revoked.
type tokenExpiry struct {
	value, label string
	days         int
}

// tokenExpiries are the lifetimes a new token may have; "never" means it
// works until revoked.
var tokenExpiries = []tokenExpiry{
	{"30", "In 30 days", 30},
	{"90", "In 90 days", 90},
	{"365", "In a year", 365},
	{"never", "Never (until revoked)", 0},
}

// defaultTokenExpiry is the lifetime chosen when the form is first shown.
const defaultTokenExpiry = "90"

// neverTokenScopes are actions no token may carry, whatever its owner
// holds: a token acts for machines, and machines do not sign in, manage
// the account or make more tokens.
var neverTokenScopes = []account.Action{account.SignIn, account.AccountManage, account.TokenManage, account.SubscriptionManage}

// scopeHints say in plain words what each scope lets a token do.
var scopeHints = map[account.Action]string{
	account.ListingAssure:   "Confirm your organisation’s listings are still correct",
	account.ListingEdit:     "Change your organisation’s listings (changes wait for review)",
	account.ListingPublish:  "Publish listing changes without review",
	account.ListingReview:   "Approve or reject listing changes from any organisation",
	account.FreshnessReport: "Read the report of listings that need checking",
	account.TaxonomyManage:  "Change the service types and other vocabularies",
	account.ImportRun:       "Import directory and reference data",
	account.AuditRead:       "Read the audit log",
	account.UserManage:      "Manage user accounts",
	account.OrgManage:       "Manage organisations",
	account.PersonRead:      "Read the records of people referred",
	account.PersonEdit:      "Change the records of people referred",
	account.ReferralCreate:  "Make referrals",
	account.ReferralRead:    "Read referrals",
	account.ReferralAct:     "Act on referrals",
	account.ReleaseManage:   "Manage release plans",
	account.ReportRead:      "Read your organisation’s reports",
	account.ReportAggregate: "Read aggregate reports",
}

// grantableScopes returns the actions u may put on a token, in order: the
// non-public actions u holds somewhere (account.ValidateScopes), less the
// account actions no token carries.
func grantableScopes(u *account.User) []account.Action {
	var out []account.Action
	for _, a := range account.Actions() {
		if account.Can(nil, a, account.Resource{}) || slices.Contains(neverTokenScopes, a) {
			continue
		}
		if account.ValidateScopes(u, []account.Action{a}) == nil {
			out = append(out, a)
		}
	}
	return out
}

// scopeID is the id of a scope's checkbox; dots would read as classes in
// CSS selectors, so they become hyphens.
func scopeID(a account.Action) string {
	return "scope-" + strings.NewReplacer(".", "-", "_", "-").Replace(string(a))
}

// newTokenForm returns the form for u with the given choices made.
func newTokenForm(u *account.User, name string, chosen []account.Action, expiry string) TokenForm {
	f := TokenForm{Name: name}
	for _, a := range grantableScopes(u) {
		f.Scopes = append(f.Scopes, ScopeChoice{
			ID: scopeID(a), Value: string(a), Label: string(a), Hint: scopeHints[a], Checked: slices.Contains(chosen, a),
		})
	}
	for _, e := range tokenExpiries {
		f.Expiry = append(f.Expiry, ExpiryChoice{ID: "expiry-" + e.value, Value: e.value, Label: e.label, Checked: e.value == expiry})
	}
	return f
}

// showTokens lists the user's tokens with the form to make another.
func (s *Server) showTokens(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	p := &TokensPage{Page: Page{Title: "API tokens"}, Form: newTokenForm(u, "", nil, defaultTokenExpiry)}
	if err := s.fillTokens(r, p); err != nil {
		return err
	}
	var err error
	if p.Form.Password, err = s.auth.confirmField(r.Context(), u); err != nil {
		return err
	}
	if id := r.URL.Query().Get("revoked"); id != "" {
		for _, t := range p.Tokens {
			if t.ID == id && t.Status == "Revoked" {
				p.Revoked = t.Name
			}
		}
	}
	return s.render(w, r, http.StatusOK, "tokens", p)
}

// fillTokens puts the signed-in user's tokens on p.
func (s *Server) fillTokens(r *http.Request, p *TokensPage) error {
	u := userOf(r)
	tokens, err := s.cfg.DB.APITokens(r.Context(), u.ID)
	if err != nil {
		return err
	}
	now := s.now()
	p.Tokens = p.Tokens[:0]
	for _, t := range tokens {
		v := TokenView{
			ID: t.ID, Name: t.Name, Scopes: scopeNames(t.Scopes),
			Created: longDate(t.CreatedAt), LastUsed: cmp.Or(longDate(t.LastUsedAt), "Never"), Expires: cmp.Or(longDate(t.ExpiresAt), "Never"),
			Active: t.Active(now), Status: "Active",
		}
		switch {
		case !t.RevokedAt.IsZero():
			v.Status = "Revoked"
		case !v.Active:
			v.Status = "Expired"
		}
		p.Tokens = append(p.Tokens, v)
	}
	return nil
}

// createToken makes a token from the form and shows its secret, once. A
// form with problems is shown again with each problem beside its field.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	if err := r.ParseForm(); err != nil {
		return apperr.Errorf(apperr.Invalid, "The form could not be read: %v", err)
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	var scopes []account.Action
	for _, v := range r.PostForm["scopes"] {
		scopes = append(scopes, account.Action(v))
	}
	expiry := r.PostForm.Get("expiry")
	p := &TokensPage{Page: Page{Title: "API tokens"}, Form: newTokenForm(u, name, scopes, expiry)}

	if name == "" {
		p.addError("name", "Enter a name for the token, such as the system that will use it")
	}
	grantable := grantableScopes(u)
	switch {
	case len(scopes) == 0:
		p.addError("scopes", "Choose at least one thing the token may do")
	case slices.ContainsFunc(scopes, func(a account.Action) bool { return !slices.Contains(grantable, a) }):
		p.addError("scopes", "Choose only from the list: a token cannot do what you cannot")
	}
	var expires time.Time
	if i := slices.IndexFunc(tokenExpiries, func(e tokenExpiry) bool { return e.value == expiry }); i < 0 {
		p.addError("expiry", "Choose when the token stops working")
	} else if d := tokenExpiries[i].days; d > 0 {
		expires = s.now().AddDate(0, 0, d)
	}

	pw, err := s.auth.confirmField(r.Context(), u)
	if err != nil {
		return err
	}
	p.Form.Password = pw
	status := http.StatusBadRequest
	if !p.Errors.failed() {
		if status, err = s.auth.confirmPassword(w, r, u, &p.Errors, pw); err != nil {
			return err
		}
		p.Form.Errors = p.Errors.Field
		if p.Errors.failed() {
			p.Title = errorTitle("API tokens")
		}
	}
	if !p.Errors.failed() {
		plain, hash := account.NewToken()
		t, err := s.cfg.DB.CreateAPIToken(r.Context(), account.APIToken{UserID: u.ID, Name: name, Scopes: scopes, ExpiresAt: expires},
			hash, s.auditEvent(r, audit.TokenCreated, ""))
		if fe, ok := errors.AsType[*apperr.FieldError](err); ok {
			field := fe.Field
			switch {
			case strings.HasPrefix(field, "scopes"):
				field = "scopes"
			case field == "expires_at":
				field = "expiry"
			}
			p.addError(field, errorText(fe))
		} else if err != nil {
			return err
		} else {
			p.Created = &CreatedToken{Name: t.Name, Secret: plain, Scopes: scopeNames(t.Scopes), Expires: cmp.Or(longDate(t.ExpiresAt), "Never")}
			p.Title = "API token created"
			p.Form = newTokenForm(u, "", nil, defaultTokenExpiry)
			p.Form.Password = pw
			if pw != nil {
				pw.Error = ""
			}
			s.auth.tellUser(r.Context(), *u, "A new API token for your Throughcare account",
				"An API token called \""+t.Name+"\" was created for the Throughcare account for this email address. It can act for you through the API until it expires or is revoked at "+strings.TrimRight(s.cfg.BaseURL, "/")+"/account/tokens.")
		}
	}
	if err := s.fillTokens(r, p); err != nil {
		return err
	}
	if p.Created != nil {
		// The page holds a secret: keep it out of every cache.
		w.Header().Set("Cache-Control", "no-store")
		return s.render(w, r, http.StatusCreated, "tokens", p)
	}
	return s.render(w, r, max(status, http.StatusBadRequest), "tokens", p)
}

// addError records a problem with field for the error summary and beside
// the field. The summary links to the field's input, or to the first
// choice of a list.
func (p *TokensPage) addError(field, text string) {
	href := "#" + field
	switch field {
	case "scopes":
		href = "#scopes"
		if len(p.Form.Scopes) > 0 {
			href = "#" + p.Form.Scopes[0].ID
		}
	case "expiry":
		href = "#" + p.Form.Expiry[0].ID
	}
	p.Errors.addLinked(field, href, text)
	p.Form.Errors = p.Errors.Field
	p.Title = errorTitle(p.Title)
}

// revokeToken stops one of the user's tokens working and goes back to the
// list. A token of someone else's is not found, as if it did not exist.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	id := r.PathValue("id")
	if err := s.cfg.DB.RevokeAPIToken(r.Context(), id, u.ID, s.auditEvent(r, audit.TokenRevoked, "")); err != nil {
		return err
	}
	http.Redirect(w, r, "/account/tokens?revoked="+url.QueryEscape(id), http.StatusSeeOther)
	return nil
}

func scopeNames(as []account.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

// longDate formats t as "4 March 2026", or "" for the zero time.
func longDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(ukTime).Format("2 January 2006")
}
