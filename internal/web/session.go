package web

import (
	"errors"
	"net/http"
	"net/netip"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
)

// Sessions: the browser holds a random token in a cookie; the store keeps
// its hash, the user and the session's times (store.CreateSession). Every
// request with the cookie is matched to its user by Server.authenticate
// before any route runs.

// Session lifetimes when Config leaves them zero.
const (
	// DefaultSessionIdle ends a session nobody has used for this long.
	DefaultSessionIdle = 30 * time.Minute
	// DefaultSessionMaxAge ends every session this long after sign-in,
	// however busy.
	DefaultSessionMaxAge = 12 * time.Hour
)

// cookieName is the session cookie's name. Over TLS it carries the
// __Host- prefix, which browsers only accept on a Secure cookie for the
// whole host with no Domain attribute, so no sibling domain can set it.
func (s *Server) cookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-throughcare_session"
	}
	return "throughcare_session"
}

func (s *Server) sessionIdle() time.Duration {
	if s.cfg.SessionIdle > 0 {
		return s.cfg.SessionIdle
	}
	return DefaultSessionIdle
}

func (s *Server) sessionMaxAge() time.Duration {
	if s.cfg.SessionMaxAge > 0 {
		return s.cfg.SessionMaxAge
	}
	return DefaultSessionMaxAge
}

// authenticate finds the signed-in user of each request from its session
// cookie. A cookie for an ended session is cleared, so the browser stops
// sending it; the visitor is then signed out.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(s.cookieName())
		if err != nil || c.Value == "" || s.cfg.DB == nil {
			next.ServeHTTP(w, r)
			return
		}
		u, _, err := s.cfg.DB.SessionUser(r.Context(), c.Value, s.sessionIdle())
		switch {
		case err == nil:
			r = withUser(r, &u)
		case errors.Is(err, apperr.Unauthenticated):
			s.clearSessionCookie(w)
		default:
			s.serveError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// startSession signs u in: it ends any session the browser already had
// (so a session id fixed before sign-in is never reused), creates a new
// one, audits the sign-in with method ("password", "oidc"), and sets the
// cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u account.User, method string) error {
	if s.cfg.DB == nil {
		return errNoAccounts
	}
	if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" {
		if err := s.cfg.DB.DeleteSession(r.Context(), c.Value, s.auditEvent(r, audit.UserSignedOut, `{"reason":"new sign-in"}`)); err != nil {
			return err
		}
	}
	ev := s.auditEvent(r, audit.UserSignedIn, `{"method":"`+method+`"}`)
	ev.ActorID = u.ID
	token, err := s.cfg.DB.CreateSession(r.Context(), u.ID, s.sessionMaxAge(), ev)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: token, Path: "/",
		MaxAge:   int(s.sessionMaxAge() / time.Second),
		Secure:   s.cfg.SecureCookies,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// endSession signs the browser out: it deletes its session, audited, and
// clears the cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" && s.cfg.DB != nil {
		if err := s.cfg.DB.DeleteSession(r.Context(), c.Value, s.auditEvent(r, audit.UserSignedOut, "")); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	return nil
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1,
		Secure: s.cfg.SecureCookies, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// auditEvent returns an event of action by r's signed-in user (if any),
// from r's client address, at the server's time. The caller sets the
// record and organisation.
func (s *Server) auditEvent(r *http.Request, action audit.Action, detail string) audit.Event {
	ev := audit.Event{Action: action, At: s.now(), IP: clientIP(r), Detail: detail}
	if u := userOf(r); u != nil {
		ev.ActorID = u.ID
		if u.Admin {
			ev.ActorRole = string(account.RoleAdmin)
		}
	}
	return ev
}

// clientIP is the address the request came from: the visitor's, or behind
// a reverse proxy the one the proxy reports, when the proxy is trusted (see
// BehindProxies).
func clientIP(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return ap.Addr().Unmap().String()
}

// errNoAccounts is returned by account pages when the server has no
// database to keep accounts in.
var errNoAccounts = apperr.Errorf(apperr.NotFound, "signing in is not available on this server")

// signOut ends the browser's session and goes to the home page.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
