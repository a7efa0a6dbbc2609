package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/mail"
	"throughcare/internal/store"
)

// Password reset: a visitor gives their e-mail address and, if it has an
// account, is sent a signed link (account.SignLink) that works once, for an
// hour. The page says the same whether or not the address has an account.
// Choosing a new password through the link ends the lock-out of the
// account and every session of its user, who then signs in as usual (with
// their second factor, if they have one).

const (
	// resetPurpose is the account.SignLink purpose of reset links.
	resetPurpose = "password-reset"
	// resetLinkFor is how long a reset link works.
	resetLinkFor = time.Hour
	// resetThrottlePrefix keys the limiter's count of reset e-mails asked
	// for each address, apart from its count of failed sign-ins: after
	// the limiter's MaxFailures requests in its window, no more mail is
	// sent to that address for a while, so nobody can flood an inbox.
	resetThrottlePrefix = "reset:"
)

// ForgotPage asks for the address to send a reset link to, and, once
// sent, says so.
type ForgotPage struct {
	Page
	Errors formErrors
	Email  Field
}

func newForgotPage() *ForgotPage {
	return &ForgotPage{
		Page:  Page{Title: "Reset your password"},
		Email: Field{Name: "email", Label: "Email address", Type: "email", Autocomplete: "email", Hint: "The address you sign in with"},
	}
}

func (a *auth) showForgot(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.DB == nil {
		return errNoAccounts
	}
	return a.render(w, r, http.StatusOK, "reset-request", newForgotPage())
}

// forgot sends a reset link to the address given, if it has an account
// that is not disabled, and in every case says that it has.
func (a *auth) forgot(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.DB == nil {
		return errNoAccounts
	}
	ctx := r.Context()
	p := newForgotPage()
	typed := strings.TrimSpace(r.PostFormValue("email"))
	p.Email.Value = typed
	email, err := account.NormalizeEmail(typed)
	switch {
	case typed == "":
		p.Errors.field(&p.Email, "Enter your email address")
	case err != nil:
		p.Errors.field(&p.Email, "Enter an email address in the correct format, like name@example.org")
	}
	if p.Errors.failed() {
		p.Title = p.Errors.title(p.Title)
		return a.render(w, r, http.StatusBadRequest, "reset-request", p)
	}

	ip, key := clientIP(r), resetThrottlePrefix+email
	if wait, ok := a.limiter.Allow(key, ip); !ok {
		if _, locked := a.limiter.Locked(key); !locked {
			// The client has asked too often, for whatever addresses:
			// saying so tells nothing about any account.
			p.Errors = formErrors{Errors: []ErrorItem{{Text: "There have been too many requests from your network. Wait " + waitText(wait) + " and try again"}}}
			p.Title = p.Errors.title(p.Title)
			w.Header().Set("Retry-After", retryAfter(wait))
			return a.render(w, r, http.StatusTooManyRequests, "reset-request", p)
		}
		// Enough mail has gone to this address for now; answer as usual.
	} else {
		a.limiter.Fail(key, ip)
		if err := a.sendResetLink(ctx, r, email); err != nil {
			return err
		}
	}
	sent := &ForgotPage{Page: Page{Title: "Check your email"}, Email: Field{Value: email}}
	return a.render(w, r, http.StatusOK, "reset-sent", sent)
}

// sendResetLink mails a reset link to the user with address email, if
// there is one and they are not disabled, and audits it. A failure to send
// is logged rather than shown, since showing it would tell the visitor the
// address has an account.
func (a *auth) sendResetLink(ctx context.Context, r *http.Request, email string) error {
	u, err := a.cfg.DB.UserByEmail(ctx, email)
	if errors.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.Disabled {
		return nil
	}
	nonce, _ := account.NewToken()
	token := account.SignLink(a.cfg.LinkKey, resetPurpose, u.ID, a.now().Add(resetLinkFor), nonce)
	link := strings.TrimRight(a.cfg.BaseURL, "/") + "/sign-in/reset?token=" + token
	msg := mail.Message{
		To:      []string{u.Email},
		Subject: "Reset your Throughcare password",
		Text: "Someone asked to reset the password of the Throughcare account for this email address.\n\n" +
			"If it was you, open this link within an hour to choose a new password:\n\n" +
			link + "\n\n" +
			"The link works once. If you did not ask, you can ignore this email: your password has not changed.\n",
	}
	if err := a.cfg.Mailer.Send(ctx, msg); err != nil {
		a.log.ErrorContext(ctx, "sending a password reset link failed", "user", u.ID, "err", err)
		return nil
	}
	ev := a.auditEvent(r, audit.UserPasswordResetSent, "")
	ev.RecordType, ev.RecordID = "user", u.ID
	_, err = a.cfg.DB.AppendAudit(ctx, ev)
	return err
}

// ResetPage asks for a new password, through a reset link.
type ResetPage struct {
	Page
	Errors           formErrors
	NewPassword      Field
	ConfirmPassword  Field
	Token            string
	MinPasswordChars int
}

// ResetLinkPage explains why a reset link cannot be used.
type ResetLinkPage struct {
	Page
	// Problem is "expired", "used" or "invalid".
	Problem string
}

func newResetPage(token string) *ResetPage {
	return &ResetPage{
		Page:             Page{Title: "Choose a new password"},
		NewPassword:      newPasswordField(),
		ConfirmPassword:  confirmPasswordField(),
		Token:            token,
		MinPasswordChars: account.MinPasswordLength,
	}
}

// newPasswordField and confirmPasswordField are the two fields every form
// that sets a password has.
func newPasswordField() Field {
	return Field{Name: "new_password", Label: "New password", Password: true, Autocomplete: "new-password",
		Hint: "At least 12 characters. A few unrelated words make a good password that is easy to remember."}
}

func confirmPasswordField() Field {
	return Field{Name: "confirm_password", Label: "Confirm new password", Password: true, Autocomplete: "new-password"}
}

// resetLink checks a reset link's token and finds its user. When the link
// cannot be used it returns the problem to show: "expired" or "invalid".
func (a *auth) resetLink(ctx context.Context, token string) (account.Link, account.User, string, error) {
	l, err := account.VerifyLink(a.cfg.LinkKey, resetPurpose, token, a.now())
	switch {
	case errors.Is(err, account.ErrLinkExpired):
		return l, account.User{}, "expired", nil
	case err != nil || l.Nonce == "":
		return l, account.User{}, "invalid", nil
	}
	u, err := a.cfg.DB.User(ctx, l.Subject)
	switch {
	case errors.Is(err, apperr.NotFound):
		return l, account.User{}, "invalid", nil
	case err != nil:
		return l, account.User{}, "", err
	case u.Disabled:
		return l, account.User{}, "invalid", nil
	}
	return l, u, "", nil
}

// showResetLinkProblem renders the page saying why a link cannot be used.
func (a *auth) showResetLinkProblem(w http.ResponseWriter, r *http.Request, problem string) error {
	p := &ResetLinkPage{Problem: problem}
	switch problem {
	case "expired":
		p.Title = "This link has expired"
	case "used":
		p.Title = "This link has already been used"
	default:
		p.Title = "This link is not valid"
	}
	noStore(w)
	return a.render(w, r, http.StatusBadRequest, "reset-link", p)
}

func (a *auth) showReset(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.DB == nil {
		return errNoAccounts
	}
	token := r.URL.Query().Get("token")
	_, _, problem, err := a.resetLink(r.Context(), token)
	if err != nil {
		return err
	}
	if problem != "" {
		return a.showResetLinkProblem(w, r, problem)
	}
	noStore(w)
	return a.render(w, r, http.StatusOK, "reset", newResetPage(token))
}

// reset sets the new password given through a reset link, spending the
// link, and sends the visitor to sign in with it.
func (a *auth) reset(w http.ResponseWriter, r *http.Request) error {
	if a.cfg.DB == nil {
		return errNoAccounts
	}
	ctx := r.Context()
	token := r.PostFormValue("token")
	l, u, problem, err := a.resetLink(ctx, token)
	if err != nil {
		return err
	}
	if problem != "" {
		return a.showResetLinkProblem(w, r, problem)
	}
	p := newResetPage(token)
	hash := checkNewPassword(&p.Errors, &p.NewPassword, &p.ConfirmPassword, r.PostFormValue("new_password"), r.PostFormValue("confirm_password"), u.Email)
	if p.Errors.failed() {
		p.Title = p.Errors.title(p.Title)
		noStore(w)
		return a.render(w, r, http.StatusBadRequest, "reset", p)
	}
	// One transaction spends the link, sets the password, ends every
	// session and revokes every API token: a reset is how an account is
	// taken back, so nothing made by whoever had it may outlive it.
	ev := a.auditEvent(r, audit.UserPasswordChanged, `{"via":"reset"}`)
	ev.ActorID = u.ID
	link := store.LinkUse{Purpose: resetPurpose, Nonce: l.Nonce, Subject: l.Subject, Expires: l.Expires}
	if err := a.cfg.DB.ResetPassword(ctx, u.ID, hash, link, ev); err != nil {
		if errors.Is(err, apperr.Conflict) {
			return a.showResetLinkProblem(w, r, "used")
		}
		return err
	}
	a.limiter.Unlock(u.Email)
	a.tellPasswordChanged(ctx, u)
	http.Redirect(w, r, "/sign-in?notice=password-reset", http.StatusSeeOther)
	return nil
}

// tellPasswordChanged e-mails u that their password has just changed, so
// that someone whose account was taken over hears of it. A failure to send
// is logged: the change itself has been made.
func (a *auth) tellPasswordChanged(ctx context.Context, u account.User) {
	msg := mail.Message{
		To:      []string{u.Email},
		Subject: "Your Throughcare password has been changed",
		Text: "The password of the Throughcare account for this email address was changed at " +
			clockTime(a.now()) + " on " + a.now().In(ukTime).Format("2 January 2006") + ", and every session signed in with the old one has ended.\n\n" +
			"If you did not change it, reset your password now at " + strings.TrimRight(a.cfg.BaseURL, "/") + "/sign-in/forgot and tell your administrator.\n",
	}
	if err := a.cfg.Mailer.Send(ctx, msg); err != nil {
		a.log.ErrorContext(ctx, "telling a user their password changed failed", "user", u.ID, "err", err)
	}
}

// checkNewPassword checks a new password and its confirmation for the
// user with address email, recording problems against the two fields, and
// returns its hash when there are none.
func checkNewPassword(p *formErrors, field, confirm *Field, password, again, email string) string {
	switch {
	case password == "":
		p.field(field, "Enter a new password")
	default:
		if err := account.ValidateNewPassword(password, email); err != nil {
			p.field(field, passwordProblem(err))
		}
	}
	switch {
	case again == "" && password != "":
		p.field(confirm, "Enter your new password again")
	case again != password:
		p.field(confirm, "The passwords do not match")
	}
	if p.failed() {
		return ""
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		p.field(field, passwordProblem(err))
		return ""
	}
	return hash
}

// passwordProblem turns a password policy error into a sentence about the
// new password.
func passwordProblem(err error) string {
	if fe, ok := errors.AsType[*apperr.FieldError](err); ok {
		return "Your new password " + fe.Msg
	}
	return "Choose another password"
}
