package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
)

// Write endpoints are for machine clients, which authenticate with an API
// token (made by a user at /account/tokens) sent as
//
//	Authorization: Bearer TOKEN
//
// The token is looked up by its hash; it acts as its owner, but only for
// the actions in its scopes (account.CanWithToken). Every refusal says
// which check failed, so an integrator can fix it: 401 for a missing,
// unknown, revoked or expired token or a disabled owner, 403 for a missing
// scope or a record the owner may not act on.

// caller is who a write request acts for: the token's owner, through the
// token.
type caller struct {
	user  account.User
	token account.APIToken
	// resource is the record acted on, as the permission check saw it.
	resource account.Resource
}

// tokenHandler is a write endpoint, given the authenticated caller.
type tokenHandler func(w http.ResponseWriter, r *http.Request, c *caller) error

// resourceFinder finds the record a write request acts on, for the
// permission check; it returns a NotFound error for an unknown one.
type resourceFinder func(r *http.Request) (account.Resource, error)

// errNoAccounts answers write endpoints on a server without an account
// database: there is no one to authenticate.
var errNoAccounts = apperr.Errorf(apperr.NotFound, "this server keeps no accounts, so the API's write endpoints are not available here")

// withToken returns an endpoint that runs h only for a request carrying a
// token that may do action to the record find returns. The token is
// checked before the record is looked up, so that nobody without a token
// learns which records exist.
func (s *server) withToken(action account.Action, find resourceFinder, h tokenHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.DB == nil {
			return errNoAccounts
		}
		c, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if !slices.Contains(c.token.Scopes, action) {
			return apperr.Errorf(apperr.Forbidden, "the API token does not have the scope %s; make a token with it at /account/tokens", action)
		}
		res, err := find(r)
		if err != nil {
			return err
		}
		if !account.CanWithToken(&c.user, &c.token, action, res, s.cfg.Now()) {
			return apperr.Errorf(apperr.Forbidden, "the API token's owner may not do %s to this record", action)
		}
		c.resource = res
		if err := s.cfg.DB.TouchAPIToken(r.Context(), c.token.ID, s.cfg.Now()); err != nil {
			// Only the "last used" time is lost; the request may go on.
			s.log.ErrorContext(r.Context(), "record API token use", "err", err)
		}
		return h(w, r, c)
	}
}

// authenticate finds the caller from r's bearer token, or returns an
// Unauthenticated error saying what is wrong with it.
func (s *server) authenticate(r *http.Request) (*caller, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, apperr.Errorf(apperr.Unauthenticated, "this endpoint needs an API token: send the header Authorization: Bearer followed by the token")
	}
	scheme, plain, _ := strings.Cut(h, " ")
	plain = strings.TrimSpace(plain)
	if !strings.EqualFold(scheme, "Bearer") || plain == "" {
		return nil, apperr.Errorf(apperr.Unauthenticated, "the Authorization header must be Bearer followed by an API token")
	}
	t, u, err := s.cfg.DB.APITokenByHash(r.Context(), account.HashToken(plain))
	if errors.Is(err, apperr.NotFound) {
		return nil, apperr.Errorf(apperr.Unauthenticated, "the API token is not recognised; check it was copied whole, or make a new one")
	}
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	switch {
	case !t.RevokedAt.IsZero():
		return nil, apperr.Errorf(apperr.Unauthenticated, "the API token was revoked on %s", apiDate(t.RevokedAt))
	case !t.Active(now):
		return nil, apperr.Errorf(apperr.Unauthenticated, "the API token expired on %s", apiDate(t.ExpiresAt))
	case u.Disabled:
		return nil, apperr.Errorf(apperr.Unauthenticated, "the account that owns the API token is disabled")
	}
	return &caller{user: u, token: t}, nil
}

// apiDate formats a time in error messages, to the second, in UTC.
func apiDate(t time.Time) string { return t.UTC().Format(time.RFC3339) }
