package web

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strings"

	"throughcare/internal/account"
)

// Every route is registered with an access rule, through Server.route, and
// the rule is checked before the handler runs: account.Can decides, given
// the signed-in user, the rule's action and the resource the request acts
// on. There is no way to register a page without a rule, and the route
// table (Server.Routes) lets a test walk every route with every role.

// access says who may use a route: those account.Can allows to do action
// to the resource that resource finds in the request.
type access struct {
	action account.Action
	// resource finds what the request acts on. Nil means no particular
	// record (account.Resource{}); self routes use the signed-in user.
	resource func(s *Server, r *http.Request) (account.Resource, error)
}

// public lets everyone in, signed in or not.
var public = access{action: account.DirectoryRead}

// signedIn lets any signed-in user in, to act on their own account.
var signedIn = access{action: account.AccountManage, resource: ownResource}

// own returns a rule for acting on something of the signed-in user's own,
// such as their API tokens or subscriptions.
func own(a account.Action) access { return access{action: a, resource: ownResource} }

// can returns a rule for doing a to the resource found by find.
func can(a account.Action, find func(s *Server, r *http.Request) (account.Resource, error)) access {
	return access{action: a, resource: find}
}

func ownResource(_ *Server, r *http.Request) (account.Resource, error) {
	if u := userOf(r); u != nil {
		return account.Resource{OwnerID: u.ID}, nil
	}
	return account.Resource{}, nil
}

// Route is a registered route and the action its rule checks.
type Route struct {
	Pattern string // as given to http.ServeMux, e.g. "GET /services/{id}"
	Action  account.Action
}

// Routes returns every registered route, in the order registered.
func (s *Server) Routes() []Route { return append([]Route(nil), s.table...) }

// route registers h at pattern behind rule.
func (s *Server) route(mux *http.ServeMux, pattern string, rule access, h handlerFunc) {
	if rule.action == "" {
		panic("web: route " + pattern + " has no access rule")
	}
	s.table = append(s.table, Route{Pattern: pattern, Action: rule.action})
	mux.Handle(pattern, s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.authorize(r, rule); err != nil {
			return err
		}
		if s.mustEnrol(w, r, pattern, rule) {
			return nil
		}
		return h(w, r)
	}))
}

// authorize checks rule for r's user. A signed-out visitor asking for a
// page that needs signing in gets an Unauthenticated error before the
// resource is looked up, so the existence of private records is not
// revealed. Without a database nobody is signed in, so the handlers (and
// resource finders) of such pages may rely on Config.DB being set; only
// pages everyone may use must check it.
func (s *Server) authorize(r *http.Request, rule access) error {
	u := userOf(r)
	if u == nil && !account.Can(nil, rule.action, account.Resource{}) {
		return account.Check(nil, rule.action, account.Resource{})
	}
	var res account.Resource
	if rule.resource != nil {
		var err error
		if res, err = rule.resource(s, r); err != nil {
			return err
		}
	}
	return account.Check(u, rule.action, res)
}

type userKey struct{}

// withUser returns r carrying u as its signed-in user.
func withUser(r *http.Request, u *account.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey{}, u))
}

// userOf returns the signed-in user of r, or nil when signed out.
func userOf(r *http.Request) *account.User {
	u, _ := r.Context().Value(userKey{}).(*account.User)
	return u
}

// signInURL is where a signed-out visitor is sent to sign in before coming
// back to r's page. Only GET pages are come back to; after a refused form
// the visitor returns to the home page.
func signInURL(r *http.Request) string {
	if r.Method != http.MethodGet {
		return "/sign-in"
	}
	return "/sign-in?next=" + url.QueryEscape(r.URL.RequestURI())
}

// safeNext returns next if it is a path on this site to return to after
// signing in, and "/" otherwise, so that a crafted link cannot send a user
// who has just signed in to another site. A backslash is refused anywhere
// (browsers read it as a slash), as is anything that, once
// http.Redirect has cleaned its dot segments, would start with two
// slashes.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || u.Opaque != "" {
		return "/"
	}
	if p, err := url.PathUnescape(u.Path); err != nil || strings.Contains(p, "\\") {
		return "/"
	}
	clean := path.Clean(u.Path)
	if strings.HasPrefix(u.Path, "//") || strings.HasPrefix(clean, "//") {
		return "/"
	}
	return next
}
