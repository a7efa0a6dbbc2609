// Package web serves Throughcare's public HTML pages: the directory's home
// page and search, service and organisation pages, and the pages about the
// data and accessibility. Pages are rendered on the server with html/template,
// styled with GOV.UK Frontend and MoJ Frontend, and work without JavaScript;
// with it, maps are drawn with Leaflet.
//
// Every response carries a strict Content-Security-Policy: no page has inline
// script or style, and static files are served from content-hashed URLs so
// browsers may cache them for a year.
package web

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/mail"
	"throughcare/internal/search"
	"throughcare/internal/store"
)

// Config holds what the web server needs from the program that runs it.
type Config struct {
	// Engine returns the search engine over the current directory. It is
	// called once per request, so an engine swapped in after a write is
	// seen at once, and every page takes its directory from
	// Engine().Index(), so that search results and the records they link
	// to always come from the same snapshot. It may return nil while no
	// directory is loaded; pages then show an empty directory.
	Engine func() *search.Engine

	// Index returns the current directory index. It is used only when
	// Engine is nil, for programs and tests that have no engine of their
	// own: the server then builds one for each new index it sees. One of
	// Engine and Index must be set.
	Index func() *directory.Index

	// Postcodes finds where a postcode is, for searches by postcode. When
	// nil, a postcode search says that postcodes are not loaded; towns and
	// coordinates still work.
	Postcodes search.PostcodeLookup

	// Now returns the current time, for "open now" and today's opening
	// times. It defaults to time.Now.
	Now func() time.Time

	// Dev makes the server read templates and static files from disk on
	// every request (from DevDir), so edits show without a rebuild.
	Dev bool
	// DevDir is the folder holding templates/ and static/ in Dev mode. It
	// defaults to internal/web, relative to the working directory.
	DevDir string

	// TilesURL is a Leaflet tile URL template such as
	// https://{s}.tiles.example.org/{z}/{x}/{y}.png. When empty, maps show
	// markers and area outlines on a plain background.
	TilesURL string
	// TilesAttribution is the plain-text credit the tile provider asks for.
	TilesAttribution string

	// Logger receives request errors. It defaults to slog.Default().
	Logger *slog.Logger

	// Demo shows a banner on every page saying the data are fictional.
	Demo bool

	// DB keeps accounts, sessions, listing changes and the audit log. When
	// nil the site is the public directory alone: nobody can sign in.
	DB *store.DB
	// Mailer sends account and listing e-mails (password resets,
	// reminders, digests). When nil, e-mail is logged without its body.
	Mailer mail.Mailer
	// LinkKey signs the single-use links sent by e-mail; it must be at
	// least account.LinkKeyMinLength bytes when DB is set.
	LinkKey []byte
	// BaseURL is the site's public address (https://throughcare.example),
	// used to build the links in e-mails.
	BaseURL string
	// SecureCookies marks the session cookie Secure, for sites served over
	// HTTPS. Set it whenever BaseURL is https.
	SecureCookies bool
	// SessionIdle and SessionMaxAge end sessions after this long unused
	// and this long after sign-in; zero means DefaultSessionIdle and
	// DefaultSessionMaxAge.
	SessionIdle, SessionMaxAge time.Duration
	// MaxFormBytes caps the size of a request body; zero means
	// DefaultMaxFormBytes.
	MaxFormBytes int64
	// DirectoryChanged is called after the site itself changes the
	// directory (an approved or published listing, an assurance), so the
	// in-memory index is rebuilt at once rather than at the next poll.
	DirectoryChanged func(ctx context.Context) error
	// StaleAfter is how long a listing stays fresh after it was last
	// confirmed; zero means listing.DefaultStaleAfter (about six months).
	StaleAfter time.Duration
	// OIDC turns on single sign-on with an OpenID Connect provider; nil
	// means password sign-in only.
	OIDC *OIDCConfig
}

// Server serves the HTML pages. Build one with New.
type Server struct {
	cfg     Config
	log     *slog.Logger
	assets  *assets
	pages   *pageSet
	handler http.Handler
	empty   snapshot
	// table lists every registered route with its access rule's action.
	table []Route
	// auth serves the sign-in pages; single sign-on finishes through it.
	auth *auth
	// feeds keeps recently built Atom feeds.
	feeds feedCache
	// built caches the engine made for the last index Config.Index
	// returned, when Config.Engine is nil.
	built atomic.Pointer[snapshot]
}

// snapshot is one consistent view of the directory: an index and the
// search engine built from it.
type snapshot struct {
	ix     *directory.Index
	engine *search.Engine
}

// DefaultDevDir is where Dev mode reads templates and static files from when
// Config.DevDir is empty.
const DefaultDevDir = "internal/web"

// New returns a Server for cfg. It parses the templates and hashes the static
// files once, so it fails early on a broken template; the error is
// apperr.Invalid when cfg itself is wrong, naming the field.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil && cfg.Index == nil {
		return nil, apperr.Field("Engine", "must be set (or Index, for a server without an engine of its own)")
	}
	tilesSrc, err := tilesSource(cfg.TilesURL)
	if err != nil {
		return nil, err
	}
	if cfg.DB != nil {
		if err := account.CheckLinkKey(cfg.LinkKey); err != nil {
			return nil, fmt.Errorf("web: %w", apperr.Field("LinkKey", "%v", err))
		}
	}
	if cfg.OIDC, err = checkOIDC(cfg); err != nil {
		return nil, err
	}
	emptyIx := directory.NewIndex(&directory.Dataset{})
	s := &Server{cfg: cfg, log: cfg.Logger, empty: snapshot{ix: emptyIx, engine: search.New(emptyIx)}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.cfg.Mailer == nil {
		s.cfg.Mailer = &mail.Log{Logger: s.log}
	}

	var templates, static fs.FS
	if cfg.Dev {
		dir := cfg.DevDir
		if dir == "" {
			dir = DefaultDevDir
		}
		if _, err := os.Stat(filepath.Join(dir, "templates")); err != nil {
			return nil, fmt.Errorf("web: %w", apperr.Field("DevDir", "no templates to read in dev mode: %v", err))
		}
		templates = os.DirFS(filepath.Join(dir, "templates"))
		static = os.DirFS(filepath.Join(dir, "static"))
	} else {
		templates = embeddedTemplates()
		static = embeddedStatic()
	}
	if s.assets, err = newAssets(static, cfg.Dev); err != nil {
		return nil, err
	}
	if s.pages, err = newPageSet(templates, s.assets.URL, cfg.Dev); err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	s.routes(mux)
	s.handler = securityHeaders(s.protect(s.authenticate(mux)), contentSecurityPolicy(tilesSrc))
	return s, nil
}

// routes registers every page, each behind its access rule (see
// Server.route). Handlers return an error, which one adapter
// (Server.handle) turns into an error page.
func (s *Server) routes(mux *http.ServeMux) {
	s.route(mux, "GET /{$}", public, s.showHome)
	s.route(mux, "GET /search", public, s.showSearch)
	s.route(mux, "GET /services/{id}", public, s.showService)
	s.route(mux, "GET /services/{id}/areas.geojson", public, s.serviceAreasGeoJSON)
	s.route(mux, "GET /organisations/{id}", public, s.showOrganisation)
	s.route(mux, "GET /about/data", public, s.showAboutData)
	s.route(mux, "GET /accessibility", public, s.showAccessibility)
	s.route(mux, "GET /assets/{hash}/{path...}", public, s.assets.serve)
	s.route(mux, "POST /sign-out", signedIn, s.signOut)
	s.authRoutes(mux)
	s.freshnessRoutes(mux)
	s.adminRoutes(mux)
	s.tokenRoutes(mux)
	s.oidcRoutes(mux)
	s.listingRoutes(mux)
	s.route(mux, "/", public, notFound)
}

// ServeHTTP serves the HTML pages and static files.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// snapshot returns the current directory and its search engine, or an
// empty directory when none is loaded yet.
func (s *Server) snapshot() snapshot {
	if s.cfg.Engine != nil {
		if e := s.cfg.Engine(); e != nil {
			return snapshot{ix: e.Index(), engine: e}
		}
		return s.empty
	}
	x := s.cfg.Index()
	if x == nil {
		return s.empty
	}
	if b := s.built.Load(); b != nil && b.ix == x {
		return *b
	}
	// Two requests may build an engine for the same new index at once;
	// either result is right, and the last one stored is kept.
	b := &snapshot{ix: x, engine: search.New(x)}
	s.built.Store(b)
	return *b
}

// index returns the current directory index, or an empty one when none is
// loaded yet.
func (s *Server) index() *directory.Index { return s.snapshot().ix }

// now returns the current time.
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

func notFound(http.ResponseWriter, *http.Request) error {
	return apperr.Errorf(apperr.NotFound, "page not found")
}
