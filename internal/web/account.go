package web

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/mail"
)

// The account pages: a user's own details, organisations, second factor
// and sessions; changing their password; setting up and turning off
// two-factor authentication; and signing out everywhere.
//
// Administrators must have a second factor. One who has none may use the
// public pages, the set-up page and signing out, and is sent to set it up
// from every other page (mustEnrol, called for every route).

// enrolPatterns are the routes an administrator without a second factor
// may still use, besides the public ones.
var enrolPatterns = map[string]bool{
	"GET /account/totp":  true,
	"POST /account/totp": true,
	"POST /sign-out":     true,
}

// enrolURL is the set-up page, coming back to next when done.
func enrolURL(next string) string {
	if next == "" || next == "/" {
		return "/account/totp"
	}
	return "/account/totp?next=" + url.QueryEscape(next)
}

// mustEnrol sends an administrator who has no second factor to set one up,
// and reports whether it did. Every route calls it once its access rule
// has passed; public pages and the routes in enrolPatterns are let through.
func (s *Server) mustEnrol(w http.ResponseWriter, r *http.Request, pattern string, rule access) bool {
	u := userOf(r)
	if u == nil || !u.Admin || u.TOTPEnabled || enrolPatterns[pattern] || account.Can(nil, rule.action, account.Resource{}) {
		return false
	}
	next := "/"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		next = r.URL.RequestURI()
	}
	http.Redirect(w, r, enrolURL(next), http.StatusSeeOther)
	return true
}

// AccountPage shows a user their own account.
type AccountPage struct {
	Page
	Notice        string
	Name, Email   string
	Admin         bool
	Organisations []AccountOrganisation
	TOTP          bool
	RecoveryCodes int
	Sessions      []SessionView
}

// AccountOrganisation is an organisation the user works for and their role
// in it.
type AccountOrganisation struct {
	Name, Role string
}

// SessionView is one place the user is signed in.
type SessionView struct {
	SignedIn, LastActive, Expires string
	// Current marks the session of the browser looking at the page.
	Current bool
}

// accountNotices are the messages the account page shows when sent there
// with ?notice=.
var accountNotices = map[string]string{
	"password-changed": "Your password has been changed. You have been signed out everywhere else.",
	"totp-off":         "Two-factor authentication is off.",
}

// roleNames are the roles as the account page names them.
var roleNames = map[account.Role]string{
	account.RoleProvider:     "Provider",
	account.RolePractitioner: "Practitioner",
	account.RoleCommissioner: "Commissioner",
	account.RoleAnalyst:      "Analyst",
}

func (a *auth) showAccount(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userOf(r)
	p := &AccountPage{
		Page:   Page{Title: "Your account"},
		Notice: accountNotices[r.URL.Query().Get("notice")],
		Name:   u.Name, Email: u.Email, Admin: u.Admin, TOTP: u.TOTPEnabled,
	}
	for _, m := range u.Memberships {
		o, err := a.cfg.DB.Organisation(ctx, m.OrgID)
		if err != nil {
			return err
		}
		p.Organisations = append(p.Organisations, AccountOrganisation{Name: o.Name, Role: roleNames[m.Role]})
	}
	cred, err := a.cfg.DB.Credentials(ctx, u.ID)
	if err != nil {
		return err
	}
	p.RecoveryCodes = len(cred.RecoveryHashes)
	sessions, err := a.cfg.DB.Sessions(ctx, u.ID)
	if err != nil {
		return err
	}
	current := ""
	if c, err := r.Cookie(a.cookieName()); err == nil {
		current = hex.EncodeToString(account.HashToken(c.Value))
	}
	for _, s := range sessions {
		p.Sessions = append(p.Sessions, SessionView{
			SignedIn:   formatWhen(s.CreatedAt),
			LastActive: formatWhen(s.LastSeenAt),
			Expires:    formatWhen(s.ExpiresAt),
			Current:    s.ID == current,
		})
	}
	noStore(w)
	return a.render(w, r, http.StatusOK, "account", p)
}

// signOutEverywhere ends every session of the user, this one included, and
// shows the sign-in page.
func (a *auth) signOutEverywhere(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	if _, err := a.cfg.DB.DeleteUserSessions(r.Context(), u.ID, a.auditEvent(r, audit.UserSignedOut, `{"reason":"everywhere"}`)); err != nil {
		return err
	}
	a.clearSessionCookie(w)
	p := newSignInPage("/")
	p.Notice = "You have been signed out on every device and browser."
	noStore(w)
	return a.render(w, withUser(r, nil), http.StatusOK, "sign-in", p)
}

// PasswordPage changes the signed-in user's password.
type PasswordPage struct {
	Page
	Errors                                        formErrors
	CurrentPassword, NewPassword, ConfirmPassword Field
}

func newPasswordPage() *PasswordPage {
	return &PasswordPage{
		Page:            Page{Title: "Change your password"},
		CurrentPassword: Field{Name: "current_password", Label: "Current password", Password: true, Autocomplete: "current-password"},
		NewPassword:     newPasswordField(),
		ConfirmPassword: confirmPasswordField(),
	}
}

func (a *auth) showChangePassword(w http.ResponseWriter, r *http.Request) error {
	noStore(w)
	return a.render(w, r, http.StatusOK, "account-password", newPasswordPage())
}

// changePassword checks the current password and sets the new one. Every
// other session of the user ends; this browser gets a new session.
func (a *auth) changePassword(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userOf(r)
	p := newPasswordPage()
	current := r.PostFormValue("current_password")
	password, again := r.PostFormValue("new_password"), r.PostFormValue("confirm_password")
	if current == "" {
		p.Errors.field(&p.CurrentPassword, "Enter your current password")
	}
	hash := checkNewPassword(&p.Errors, &p.NewPassword, &p.ConfirmPassword, password, again, u.Email)
	if !p.Errors.failed() && password == current {
		p.Errors.field(&p.NewPassword, "Your new password must be different from your current one")
	}
	status := http.StatusBadRequest
	if !p.Errors.failed() {
		var err error
		if status, err = a.checkCurrentPassword(w, r, u, &p.Errors, &p.CurrentPassword, current); err != nil {
			return err
		}
	}
	if p.Errors.failed() {
		p.Title = p.Errors.title(p.Title)
		noStore(w)
		return a.render(w, r, status, "account-password", p)
	}
	// The new password and the end of every session, this one included,
	// are one change; this browser then gets a new session.
	if err := a.cfg.DB.ChangePassword(ctx, u.ID, hash, a.auditEvent(r, audit.UserPasswordChanged, `{"via":"change"}`)); err != nil {
		return err
	}
	a.tellPasswordChanged(ctx, *u)
	if err := a.startSession(w, r, *u, "password"); err != nil {
		return err
	}
	http.Redirect(w, r, "/account?notice=password-changed", http.StatusSeeOther)
	return nil
}

// checkCurrentPassword checks the password a signed-in user gives to
// confirm a change, recording a problem against field if it is wrong. Wrong
// passwords count towards the account's lock-out as at sign-in, so a
// borrowed session cannot be used to guess the password; while the account
// is locked the password is not checked at all. It returns the status to
// answer with when there is a problem.
func (a *auth) checkCurrentPassword(w http.ResponseWriter, r *http.Request, u *account.User, p *formErrors, field *Field, password string) (int, error) {
	ip := clientIP(r)
	cred, err := a.cfg.DB.Credentials(r.Context(), u.ID)
	if err != nil {
		return 0, err
	}
	lockedUntil := cred.LockedUntil
	if wait, ok := a.limiter.Allow(u.Email, ip); !ok {
		until, locked := a.limiter.Locked(u.Email)
		if !locked {
			p.field(field, "There have been too many attempts from your network. Wait "+waitText(wait)+" and try again")
			w.Header().Set("Retry-After", retryAfter(wait))
			return http.StatusTooManyRequests, nil
		}
		lockedUntil = until
	}
	if !a.now().Before(lockedUntil) {
		if ok, _ := a.checkPassword(r, *u, cred.PasswordHash, password); ok {
			return http.StatusOK, nil
		}
		a.limiter.Fail(u.Email, ip)
		locked, until, err := a.recordFailure(r, *u, "password")
		if err != nil {
			return 0, err
		}
		if !locked {
			p.field(field, "Your current password is not correct")
			return http.StatusBadRequest, nil
		}
		lockedUntil = until
	}
	p.field(field, "Your account is locked until "+clockTime(lockedUntil)+" after too many wrong passwords")
	w.Header().Set("Retry-After", retryAfter(lockedUntil.Sub(a.now())))
	return http.StatusTooManyRequests, nil
}

// Two-factor authentication.

// totpSetupFor is how long a set-up page may be left open before its code
// is confirmed.
const totpSetupFor = 30 * time.Minute

// totpSetupPurpose is the account.SignLink purpose of a set-up page's
// hidden field, which carries the new secret; it names the user, so one
// user's set-up cannot be finished by another.
func totpSetupPurpose(userID string) string { return "totp-enrol:" + userID }

// TOTPEnrolPage sets up two-factor authentication: a QR code and the key
// to type instead, and a field for the first code.
type TOTPEnrolPage struct {
	Page
	Errors formErrors
	// Required says the user is an administrator, who must set it up
	// before using anything else.
	Required bool
	// QRCode is the otpauth URL as a PNG data URL.
	QRCode template.URL
	// Key is the secret, in groups of four letters, for typing in.
	Key   string
	Setup string // the signed hidden field carrying the secret
	// Password asks people who have one for it again, so that someone at
	// a browser left signed in cannot tie the account to their own phone;
	// nil for those who sign in through their organisation.
	Password *Field
	Code     Field
	Next     string
	// otpURL is the otpauth URL holding the secret being set up.
	otpURL string
}

// TOTPPage shows the second factor of a user who has one, with the form to
// turn it off (which administrators do not get).
type TOTPPage struct {
	Page
	Errors        formErrors
	Admin         bool
	RecoveryCodes int
	Password      Field
}

// TOTPCodesPage shows the recovery codes once, when set-up is done.
type TOTPCodesPage struct {
	Page
	Codes []string
	Next  string
}

func (a *auth) showTOTP(w http.ResponseWriter, r *http.Request) error {
	u := userOf(r)
	next := safeNext(r.URL.Query().Get("next"))
	noStore(w)
	if u.TOTPEnabled {
		p, err := a.totpPage(r, u)
		if err != nil {
			return err
		}
		return a.render(w, r, http.StatusOK, "totp", p)
	}
	p, err := a.newEnrolPage(r.Context(), u, next, "")
	if err != nil {
		return err
	}
	return a.render(w, r, http.StatusOK, "totp-enrol", p)
}

func (a *auth) totpPage(r *http.Request, u *account.User) (*TOTPPage, error) {
	cred, err := a.cfg.DB.Credentials(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	return &TOTPPage{
		Page:          Page{Title: "Two-factor authentication"},
		Admin:         u.Admin,
		RecoveryCodes: len(cred.RecoveryHashes),
		Password:      Field{Name: "password", Label: "Your password", Password: true, Autocomplete: "current-password"},
	}, nil
}

// newEnrolPage returns the set-up page for the otpauth URL carried by the
// signed setup field, or for a new secret when setup is "".
func (a *auth) newEnrolPage(ctx context.Context, u *account.User, next, setup string) (*TOTPEnrolPage, error) {
	var otpURL string
	if setup != "" {
		l, err := account.VerifyLink(a.cfg.LinkKey, totpSetupPurpose(u.ID), setup, a.now())
		if err != nil {
			return nil, err
		}
		otpURL = l.Subject
	} else {
		var err error
		if _, otpURL, err = account.NewTOTP(u.Email); err != nil {
			return nil, err
		}
		setup = account.SignLink(a.cfg.LinkKey, totpSetupPurpose(u.ID), otpURL, a.now().Add(totpSetupFor), "")
	}
	png, err := account.TOTPQRCode(otpURL, 200)
	if err != nil {
		return nil, err
	}
	p := &TOTPEnrolPage{
		Page:     Page{Title: "Set up two-factor authentication"},
		Required: u.Admin,
		QRCode:   template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		Key:      groupKey(otpSecret(otpURL)),
		Setup:    setup,
		otpURL:   otpURL,
		Code: Field{Name: "code", Label: "Code from your authenticator app", Type: "text", Autocomplete: "one-time-code",
			Numeric: true, Width: 5, Hint: "The 6-digit code the app shows for Throughcare"},
	}
	if next != "/" {
		p.Next = next
	}
	if p.Password, err = a.confirmField(ctx, u); err != nil {
		return nil, err
	}
	return p, nil
}

// otpSecret is the secret in an otpauth URL.
func otpSecret(otpURL string) string {
	u, err := url.Parse(otpURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("secret")
}

// groupKey writes a base32 secret in groups of four, as authenticator apps
// accept it typed.
func groupKey(secret string) string {
	var groups []string
	for len(secret) > 4 {
		groups = append(groups, secret[:4])
		secret = secret[4:]
	}
	return strings.Join(append(groups, secret), " ")
}

// enrolTOTP confirms the set-up with a first code, turns two-factor
// authentication on with new recovery codes, and shows the codes once.
func (a *auth) enrolTOTP(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userOf(r)
	if u.TOTPEnabled {
		return apperr.Errorf(apperr.Conflict, "Two-factor authentication is already set up on your account.")
	}
	next := safeNext(r.PostFormValue("next"))
	noStore(w)
	p, err := a.newEnrolPage(r.Context(), u, next, r.PostFormValue("setup"))
	if errors.Is(err, apperr.Invalid) {
		// The page was left open too long, or the field was altered:
		// start again with a new secret.
		if p, err = a.newEnrolPage(r.Context(), u, next, ""); err != nil {
			return err
		}
		p.Errors = formErrors{Errors: []ErrorItem{{Text: "This set-up page timed out. Scan the new QR code, or type in the new key, and enter the code it gives", Href: "#code"}}}
		p.Title = p.Errors.title(p.Title)
		return a.render(w, r, http.StatusBadRequest, "totp-enrol", p)
	}
	if err != nil {
		return err
	}
	cred, err := a.cfg.DB.Credentials(ctx, u.ID)
	if err != nil {
		return err
	}
	status := http.StatusBadRequest
	if status, err = a.confirmPassword(w, r, u, &p.Errors, p.Password); err != nil {
		return err
	}
	code := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("code")), " ", "")
	secret := otpSecret(p.otpURL)
	var step int64
	switch ok := false; {
	case code == "":
		p.Errors.field(&p.Code, "Enter the 6-digit code from your authenticator app")
	default:
		if step, ok = account.ValidateTOTP(secret, code, cred.TOTPLastStep, a.now()); !ok {
			p.Errors.field(&p.Code, "The code is not correct. Check your phone's clock is set automatically, and enter the code the app shows now")
		}
	}
	if p.Errors.failed() {
		p.Title = p.Errors.title(p.Title)
		return a.render(w, r, max(status, http.StatusBadRequest), "totp-enrol", p)
	}
	codes, hashes := account.NewRecoveryCodes()
	if err := a.cfg.DB.SetTOTP(ctx, u.ID, secret, hashes, a.auditEvent(r, audit.UserTOTPEnabled, "")); err != nil {
		return err
	}
	// The code just typed must not also sign anyone in.
	if _, err := a.cfg.DB.AcceptTOTPStep(ctx, u.ID, step); err != nil {
		return err
	}
	a.tellUser(ctx, *u, "Two-factor authentication is on for your Throughcare account",
		"Two-factor authentication was turned on for the Throughcare account for this email address. From now on, signing in asks for a code from the authenticator app set up.")
	if next == "/" && !u.Admin {
		next = "/account"
	}
	return a.render(w, r, http.StatusOK, "totp-codes", &TOTPCodesPage{
		Page: Page{Title: "Save your recovery codes"}, Codes: codes, Next: next,
	})
}

// disableTOTP turns off the user's second factor after checking their
// password. Administrators may not.
func (a *auth) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := userOf(r)
	if u.Admin {
		return apperr.Errorf(apperr.Forbidden, "Administrators must keep two-factor authentication turned on.")
	}
	if !u.TOTPEnabled {
		http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
		return nil
	}
	p, err := a.totpPage(r, u)
	if err != nil {
		return err
	}
	password := r.PostFormValue("password")
	status := http.StatusBadRequest
	if password == "" {
		p.Errors.field(&p.Password, "Enter your password")
	} else if status, err = a.checkCurrentPassword(w, r, u, &p.Errors, &p.Password, password); err != nil {
		return err
	}
	if p.Errors.failed() {
		p.Title = p.Errors.title(p.Title)
		noStore(w)
		return a.render(w, r, status, "totp", p)
	}
	if err := a.cfg.DB.DisableTOTP(ctx, u.ID, a.auditEvent(r, audit.UserTOTPDisabled, "")); err != nil {
		return err
	}
	a.tellUser(ctx, *u, "Two-factor authentication is off for your Throughcare account",
		"Two-factor authentication was turned off for the Throughcare account for this email address. Signing in now needs only the password.")
	http.Redirect(w, r, "/account?notice=totp-off", http.StatusSeeOther)
	return nil
}

// confirmField returns the "Your password" field that asks u to confirm a
// change which outlives their session, or nil when u has no password (they
// sign in through their organisation).
func (a *auth) confirmField(ctx context.Context, u *account.User) (*Field, error) {
	cred, err := a.cfg.DB.Credentials(ctx, u.ID)
	if err != nil || cred.PasswordHash == "" {
		return nil, err
	}
	return &Field{Name: "password", Label: "Your password", Hint: "To check it is you", Password: true, Autocomplete: "current-password"}, nil
}

// confirmPassword checks the password given in field (from confirmField),
// adding a problem to errs when it is missing or wrong; a wrong one counts
// toward lock-out as at sign-in. It returns the status to answer a problem
// with. A nil field (no password) passes.
func (a *auth) confirmPassword(w http.ResponseWriter, r *http.Request, u *account.User, errs *formErrors, field *Field) (int, error) {
	if field == nil {
		return http.StatusOK, nil
	}
	password := r.PostFormValue(field.Name)
	if password == "" {
		errs.field(field, "Enter your password")
		return http.StatusBadRequest, nil
	}
	return a.checkCurrentPassword(w, r, u, errs, field, password)
}

// tellUser emails u about a change to their account's security, so that
// someone whose account was taken over hears of it. A failure to send is
// logged: the change itself has been made.
func (a *auth) tellUser(ctx context.Context, u account.User, subject, text string) {
	msg := mail.Message{To: []string{u.Email}, Subject: subject,
		Text: text + "\n\nIf this was not you, reset your password at " + strings.TrimRight(a.cfg.BaseURL, "/") + "/sign-in/forgot and tell your administrator.\n"}
	if err := a.cfg.Mailer.Send(ctx, msg); err != nil {
		a.log.ErrorContext(ctx, "telling a user about a change to their account failed", "user", u.ID, "subject", subject)
	}
}
