package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
)

// Signing in takes an e-mail address and password, then, for a user who
// has turned on two-factor authentication (as every administrator must), a
// code from their authenticator app or one of their recovery codes.
//
// Wrong passwords are answered alike whether or not the address has an
// account, and take as long either way. Two things stop guessing: a
// per-process account.Limiter slows each client address and each address
// typed, and the store counts failures per account and locks it for a
// while after too many in a row, on every node and across restarts. A
// locked account refuses even the right password until the lock ends or
// the password is reset.
//
// Between the password and the second factor the browser holds a signed
// cookie naming the user, valid for a few minutes; no session exists until
// both steps are done.

// signInPages is the access rule of the sign-in, second-factor and
// password-reset pages: everyone may use them.
var signInPages = access{action: account.SignIn}

// Lock-out and timing.
const (
	// maxSignInFailures failed attempts in a row lock an account for
	// lockOutFor. Wrong second-factor codes count as well as wrong
	// passwords.
	maxSignInFailures = 5
	lockOutFor        = 15 * time.Minute
	// pendingFor is how long a visitor who has given the right password
	// has to give their second factor.
	pendingFor = 5 * time.Minute
	// pendingPurpose is the account.SignLink purpose of the cookie held
	// between the two steps.
	pendingPurpose = "totp-pending"
)

// auth serves the sign-in and account pages. It holds the throttle, which
// lives as long as the server.
type auth struct {
	*Server
	limiter *account.Limiter
}

// authRoutes registers the sign-in, password-reset and account pages.
func (s *Server) authRoutes(mux *http.ServeMux) {
	a := &auth{Server: s, limiter: account.NewLimiter(account.LimiterConfig{Now: s.now})}
	s.auth = a
	s.route(mux, "GET /sign-in", signInPages, a.showSignIn)
	s.route(mux, "POST /sign-in", signInPages, a.signIn)
	s.route(mux, "GET /sign-in/code", signInPages, a.showSignInCode)
	s.route(mux, "POST /sign-in/code", signInPages, a.signInCode)
	s.route(mux, "GET /sign-in/forgot", signInPages, a.showForgot)
	s.route(mux, "POST /sign-in/forgot", signInPages, a.forgot)
	s.route(mux, "GET /sign-in/reset", signInPages, a.showReset)
	s.route(mux, "POST /sign-in/reset", signInPages, a.reset)
	s.route(mux, "GET /account", signedIn, a.showAccount)
	s.route(mux, "POST /account/sign-out-everywhere", signedIn, a.signOutEverywhere)
	s.route(mux, "GET /account/password", signedIn, a.showChangePassword)
	s.route(mux, "POST /account/password", signedIn, a.changePassword)
	s.route(mux, "GET /account/totp", signedIn, a.showTOTP)
	s.route(mux, "POST /account/totp", signedIn, a.enrolTOTP)
	s.route(mux, "POST /account/totp/disable", signedIn, a.disableTOTP)
}

// Field is one input of a sign-in or account form, in the GOV.UK Design
// System's text input or password input pattern.
type Field struct {
	// Name is the form parameter and the input's id, which the error
	// summary links to.
	Name  string
	Label string
	Hint  string
	// Type is the input type of a field that is not a password: "email"
	// or "text".
	Type string
	// Password makes the field a password input, never filled in again.
	Password bool
	// Autocomplete tells browsers and password managers what the field
	// holds ("email", "current-password", "new-password",
	// "one-time-code").
	Autocomplete string
	// Numeric asks phones for a number pad.
	Numeric bool
	// Width is the GOV.UK fixed input width (10 for govuk-input--width-10),
	// or 0 for the full width.
	Width int
	Value string
	Error string
}

// DescribedBy returns the ids of the field's hint and error, for
// aria-describedby.
func (f Field) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.Name+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.Name+"-error")
	}
	return strings.Join(ids, " ")
}

// noStore stops browsers and proxies keeping a copy of a page that shows
// secrets or account details.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

// SignInPage is the sign-in form.
type SignInPage struct {
	Page
	Errors formErrors
	// Notice is a success message, such as after a password reset.
	Notice string
	// LockedUntil is when a lock-out ends ("3:45pm"), when the account
	// asked for is locked; Wait says how long to wait when the client is
	// being throttled.
	LockedUntil, Wait string
	Email, Password   Field
	// Next is the page to go to after signing in; "/" is left out.
	Next string
	// OIDC is the single-sign-on button, nil when that is off.
	OIDC *OIDCButton
}

func newSignInPage(next string) *SignInPage {
	p := &SignInPage{
		Page:     Page{Title: "Sign in"},
		Email:    Field{Name: "email", Label: "Email address", Type: "email", Autocomplete: "email"},
		Password: Field{Name: "password", Label: "Password", Password: true, Autocomplete: "current-password"},
	}
	if next != "/" {
		p.Next = next
	}
	return p
}

// signInNotices are the messages the sign-in page shows when sent there
// with ?notice=.
var signInNotices = map[string]string{
	"password-reset": "Your password has been changed. Sign in with your new password.",
}

func (a *auth) showSignIn(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.DB == nil {
		return errNoAccounts
	}
	next := safeNext(r.URL.Query().Get("next"))
	if userOf(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	p := newSignInPage(next)
	p.Notice = signInNotices[r.URL.Query().Get("notice")]
	return a.renderSignIn(w, r, http.StatusOK, p)
}

// signIn checks an e-mail address and password. A user without a second
// factor is signed in at once; one with a second factor is sent to give it.
func (a *auth) signIn(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.DB == nil {
		return errNoAccounts
	}
	ctx := r.Context()
	p := newSignInPage(safeNext(r.PostFormValue("next")))
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	p.Email.Value = email
	if email == "" {
		p.Errors.field(&p.Email, "Enter your email address")
	}
	if password == "" {
		p.Errors.field(&p.Password, "Enter your password")
	}
	if p.Errors.failed() {
		return a.renderSignIn(w, r, http.StatusBadRequest, p)
	}

	ip := clientIP(r)
	if wait, ok := a.limiter.Allow(email, ip); !ok {
		return a.refuseThrottled(w, r, p, email, wait)
	}
	u, err := a.cfg.DB.UserByEmail(ctx, email)
	if errors.Is(err, apperr.NotFound) {
		// The same work and the same answer as for a wrong password, so
		// the page does not tell who has an account.
		account.DummyCheckPassword(password)
		a.limiter.Fail(email, ip)
		return a.wrongPassword(w, r, p)
	}
	if err != nil {
		return err
	}
	cred, err := a.cfg.DB.Credentials(ctx, u.ID)
	if err != nil {
		return err
	}
	if a.now().Before(cred.LockedUntil) {
		// Refused without checking the password, so guessing goes no
		// further while the lock lasts; the attempt is still audited.
		account.DummyCheckPassword(password)
		if _, _, err := a.recordFailure(r, u, "locked"); err != nil {
			return err
		}
		return a.refuseLocked(w, r, p, cred.LockedUntil)
	}
	ok, rehash := a.checkPassword(r, u, cred.PasswordHash, password)
	if !ok || u.Disabled {
		a.limiter.Fail(email, ip)
		locked, until, err := a.recordFailure(r, u, "password")
		if err != nil {
			return err
		}
		if locked {
			return a.refuseLocked(w, r, p, until)
		}
		return a.wrongPassword(w, r, p)
	}
	if rehash {
		a.rehash(r, u, password)
	}
	return a.firstStepPassed(w, r, u, "password", p.Next)
}

// firstStepPassed continues a sign-in whose first step (the password, or
// the organisation's single sign-on) has passed: a user with a second
// factor is asked for it; anyone else is signed in.
func (a *auth) firstStepPassed(w http.ResponseWriter, r *http.Request, u account.User, method, next string) error {
	if next == "/" {
		next = ""
	}
	if u.TOTPEnabled {
		a.setPending(w, u.ID)
		http.Redirect(w, r, "/sign-in/code"+nextQuery(next), http.StatusSeeOther)
		return nil
	}
	return a.completeSignIn(w, r, u, method, next)
}

// checkPassword checks password against the stored hash. A user with no
// password (one who signs in through their organisation) or a hash that
// cannot be read never matches, after the same work as a real check.
func (a *auth) checkPassword(r *http.Request, u account.User, hash, password string) (ok, rehash bool) {
	if hash == "" {
		account.DummyCheckPassword(password)
		return false, false
	}
	ok, rehash, err := account.CheckPassword(hash, password)
	if err != nil {
		a.log.ErrorContext(r.Context(), "stored password hash cannot be read", "user", u.ID, "err", err)
		account.DummyCheckPassword(password)
		return false, false
	}
	return ok, rehash
}

// rehash stores a new hash of password, made with today's parameters, for
// a user whose hash was made with weaker ones. Failing to is logged, not
// shown: the sign-in itself succeeded.
func (a *auth) rehash(r *http.Request, u account.User, password string) {
	h, err := account.HashPassword(password)
	if err == nil {
		ev := a.auditEvent(r, audit.UserPasswordChanged, `{"reason":"rehash"}`)
		ev.ActorID = u.ID
		err = a.cfg.DB.SetPassword(r.Context(), u.ID, h, ev)
	}
	if err != nil {
		a.log.ErrorContext(r.Context(), "rehashing a password failed", "user", u.ID, "err", err)
	}
}

// recordFailure counts a failed attempt against u's account, audited with
// reason, and says whether the account is now locked and until when.
func (a *auth) recordFailure(r *http.Request, u account.User, reason string) (bool, time.Time, error) {
	ev := a.auditEvent(r, audit.UserSignInFailed, `{"reason":"`+reason+`"}`)
	return a.cfg.DB.RecordSignInFailure(r.Context(), u.ID, a.now(), maxSignInFailures, lockOutFor, ev)
}

// completeSignIn signs u in after every step has passed: it clears their
// failed attempts, starts a session and goes to next, or, for an
// administrator who has no second factor yet, to set one up first.
func (a *auth) completeSignIn(w http.ResponseWriter, r *http.Request, u account.User, method, next string) error {
	if err := a.cfg.DB.RecordSignInSuccess(r.Context(), u.ID, audit.Event{}); err != nil {
		return err
	}
	a.limiter.Succeed(u.Email)
	if c, err := r.Cookie(a.pendingCookie()); err == nil && c.Value != "" {
		a.clearPending(w)
	}
	if err := a.startSession(w, r, u, method); err != nil {
		return err
	}
	if next == "" {
		next = "/"
	}
	if u.Admin && !u.TOTPEnabled {
		next = enrolURL(next)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// wrongPassword answers a wrong e-mail address or password, alike.
func (a *auth) wrongPassword(w http.ResponseWriter, r *http.Request, p *SignInPage) error {
	p.Errors = formErrors{}
	p.Errors.field(&p.Password, "The email address or password is not correct")
	return a.renderSignIn(w, r, http.StatusBadRequest, p)
}

// refuseLocked answers an attempt on a locked account.
func (a *auth) refuseLocked(w http.ResponseWriter, r *http.Request, p *SignInPage, until time.Time) error {
	p.LockedUntil = clockTime(until)
	p.Errors = formErrors{Errors: []ErrorItem{{Text: "This account is locked until " + p.LockedUntil + " after too many failed attempts to sign in"}}}
	w.Header().Set("Retry-After", retryAfter(until.Sub(a.now())))
	return a.renderSignIn(w, r, http.StatusTooManyRequests, p)
}

// refuseThrottled answers an attempt the limiter refused: either the
// address typed is locked in this process (which happens for addresses
// with no account too, so that locking reveals nothing), or the client has
// made too many attempts of late.
func (a *auth) refuseThrottled(w http.ResponseWriter, r *http.Request, p *SignInPage, email string, wait time.Duration) error {
	if until, locked := a.limiter.Locked(email); locked {
		return a.refuseLocked(w, r, p, until)
	}
	p.Wait = waitText(wait)
	p.Errors = formErrors{Errors: []ErrorItem{{Text: "There have been too many attempts to sign in from your network. Wait " + p.Wait + " and try again"}}}
	w.Header().Set("Retry-After", retryAfter(wait))
	return a.renderSignIn(w, r, http.StatusTooManyRequests, p)
}

func (a *auth) renderSignIn(w http.ResponseWriter, r *http.Request, status int, p *SignInPage) error {
	p.Title = p.Errors.title("Sign in")
	p.OIDC = a.oidcButton(cmp.Or(p.Next, "/"))
	noStore(w)
	return a.render(w, r, status, "sign-in", p)
}

// clockTime is t as a time of day in the UK, "3:45pm".
func clockTime(t time.Time) string { return t.In(ukTime).Format("3:04pm") }

// waitText says how long d is in whole minutes, rounded up: "1 minute",
// "3 minutes".
func waitText(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "1 minute"
	}
	return strconv.Itoa(m) + " minutes"
}

// retryAfter is d in whole seconds, at least one, for a Retry-After header.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// nextQuery is the query string that carries next on to another sign-in
// page, or "" when next is empty.
func nextQuery(next string) string {
	if next == "" || next == "/" {
		return ""
	}
	return "?next=" + url.QueryEscape(next)
}

// The second step.

// pendingCookie is the name of the cookie held between the password and
// the second factor; over TLS it carries the __Host- prefix, as the
// session cookie does.
func (a *auth) pendingCookie() string {
	if a.cfg.SecureCookies {
		return "__Host-throughcare_sign_in"
	}
	return "throughcare_sign_in"
}

// setPending gives the browser the signed cookie saying that userID has
// given the right password, for pendingFor.
func (a *auth) setPending(w http.ResponseWriter, userID string) {
	token := account.SignLink(a.cfg.LinkKey, pendingPurpose, userID, a.now().Add(pendingFor), "")
	http.SetCookie(w, &http.Cookie{
		Name: a.pendingCookie(), Value: token, Path: "/",
		MaxAge:   int(pendingFor / time.Second),
		Secure:   a.cfg.SecureCookies,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// pending returns the user whose password the browser has given, if it
// did so in the last pendingFor.
func (a *auth) pending(r *http.Request) (userID string, ok bool) {
	c, err := r.Cookie(a.pendingCookie())
	if err != nil || c.Value == "" {
		return "", false
	}
	l, err := account.VerifyLink(a.cfg.LinkKey, pendingPurpose, c.Value, a.now())
	if err != nil || l.Subject == "" {
		return "", false
	}
	return l.Subject, true
}

func (a *auth) clearPending(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: a.pendingCookie(), Value: "", Path: "/", MaxAge: -1,
		Secure: a.cfg.SecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// SignInCodePage asks for the second factor.
type SignInCodePage struct {
	Page
	Errors formErrors
	Code   Field
	Next   string
}

func newSignInCodePage(next string) *SignInCodePage {
	p := &SignInCodePage{
		Page: Page{Title: "Enter a security code"},
		Code: Field{Name: "code", Label: "Security code", Type: "text", Autocomplete: "one-time-code", Width: 10,
			Hint: "The 6-digit code your authenticator app shows now, or one of your recovery codes"},
	}
	if next != "/" {
		p.Next = next
	}
	return p
}

func (a *auth) showSignInCode(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.DB == nil {
		return errNoAccounts
	}
	next := safeNext(r.URL.Query().Get("next"))
	if _, ok := a.pending(r); !ok {
		return a.pendingExpired(w, r, next)
	}
	noStore(w)
	return a.render(w, r, http.StatusOK, "sign-in-code", newSignInCodePage(next))
}

// signInCode checks the second factor: a TOTP code, which is refused if it
// or a later one has been used before, or a recovery code, which works
// once. Wrong codes count towards locking the account, as wrong passwords
// do.
func (a *auth) signInCode(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.DB == nil {
		return errNoAccounts
	}
	ctx := r.Context()
	next := safeNext(r.PostFormValue("next"))
	userID, ok := a.pending(r)
	if !ok {
		return a.pendingExpired(w, r, next)
	}
	p := newSignInCodePage(next)
	code := strings.TrimSpace(r.PostFormValue("code"))
	if code == "" {
		p.Errors.field(&p.Code, "Enter the code from your authenticator app, or a recovery code")
		return a.renderSignInCode(w, r, http.StatusBadRequest, p)
	}
	u, err := a.cfg.DB.User(ctx, userID)
	if errors.Is(err, apperr.NotFound) {
		a.clearPending(w)
		return a.pendingExpired(w, r, next)
	}
	if err != nil {
		return err
	}
	sp := newSignInPage(next)
	sp.Email.Value = u.Email
	ip := clientIP(r)
	if wait, ok := a.limiter.Allow(u.Email, ip); !ok {
		a.clearPending(w)
		return a.refuseThrottled(w, r, sp, u.Email, wait)
	}
	cred, err := a.cfg.DB.Credentials(ctx, u.ID)
	if err != nil {
		return err
	}
	now := a.now()
	if now.Before(cred.LockedUntil) {
		a.clearPending(w)
		if _, _, err := a.recordFailure(r, u, "locked"); err != nil {
			return err
		}
		return a.refuseLocked(w, r, sp, cred.LockedUntil)
	}
	method, ok, err := a.checkSecondFactor(r, u, cred, code, now)
	if err != nil {
		return err
	}
	if !ok || u.Disabled {
		a.limiter.Fail(u.Email, ip)
		locked, until, err := a.recordFailure(r, u, "code")
		if err != nil {
			return err
		}
		if locked {
			a.clearPending(w)
			return a.refuseLocked(w, r, sp, until)
		}
		if cred.TOTPUnreadable {
			// The server cannot read the stored secret (its secret key
			// is missing or changed): no app code can pass, so say so.
			p.Errors.field(&p.Code, "Codes from your authenticator app cannot be checked at the moment. Use a recovery code, or ask your administrator to turn off your two-factor authentication so that you can set it up again")
		} else {
			p.Errors.field(&p.Code, "The code is not correct, or it has been used already. Check your authenticator app shows the right time, or use a recovery code")
		}
		return a.renderSignInCode(w, r, http.StatusBadRequest, p)
	}
	return a.completeSignIn(w, r, u, method, next)
}

// checkSecondFactor checks code, six digits from an authenticator app or a
// recovery code, for u, and spends it. It returns the sign-in method to
// audit.
func (a *auth) checkSecondFactor(r *http.Request, u account.User, cred account.Credentials, code string, now time.Time) (method string, ok bool, err error) {
	ctx := r.Context()
	if digits := strings.ReplaceAll(code, " ", ""); len(digits) == 6 && strings.Trim(digits, "0123456789") == "" {
		step, ok := account.ValidateTOTP(cred.TOTPSecret, digits, cred.TOTPLastStep, now)
		if !ok {
			return "", false, nil
		}
		// The store takes the step only if it is later than the last one
		// taken, so of two requests with the same code only one passes.
		ok, err := a.cfg.DB.AcceptTOTPStep(ctx, u.ID, step)
		return "password+totp", ok, err
	}
	i := account.MatchRecoveryCode(code, cred.RecoveryHashes)
	if i < 0 {
		return "", false, nil
	}
	ev := a.auditEvent(r, audit.UserRecoveryCodeUsed, "")
	ev.ActorID = u.ID
	ok, err = a.cfg.DB.UseRecoveryCode(ctx, u.ID, cred.RecoveryHashes[i], ev)
	return "password+recovery_code", ok, err
}

func (a *auth) renderSignInCode(w http.ResponseWriter, r *http.Request, status int, p *SignInCodePage) error {
	p.Title = p.Errors.title("Enter a security code")
	noStore(w)
	return a.render(w, r, status, "sign-in-code", p)
}

// pendingExpired answers a second-factor page reached without a recent
// password: the sign-in form again, saying why.
func (a *auth) pendingExpired(w http.ResponseWriter, r *http.Request, next string) error {
	p := newSignInPage(next)
	p.Errors = formErrors{Errors: []ErrorItem{{Text: "Your sign-in timed out, or was not started. Sign in again", Href: "#email"}}}
	return a.renderSignIn(w, r, http.StatusBadRequest, p)
}
