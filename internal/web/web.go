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
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// Config holds what the web server needs from the program that runs it.
type Config struct {
	// Index returns the current directory index. It is called once per
	// request, so a new index swapped in after a write is seen at once. It
	// may return nil while no directory is loaded; pages then show an empty
	// directory.
	Index func() *directory.Index

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
}

// Server serves the HTML pages. Build one with New.
type Server struct {
	cfg     Config
	log     *slog.Logger
	assets  *assets
	pages   *pageSet
	handler http.Handler
	empty   *directory.Index
}

// DefaultDevDir is where Dev mode reads templates and static files from when
// Config.DevDir is empty.
const DefaultDevDir = "internal/web"

// New returns a Server for cfg. It parses the templates and hashes the static
// files once, so it fails early on a broken template; the error is
// apperr.Invalid when cfg itself is wrong, naming the field.
func New(cfg Config) (*Server, error) {
	if cfg.Index == nil {
		return nil, apperr.Field("Index", "must be set")
	}
	tilesSrc, err := tilesSource(cfg.TilesURL)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, empty: directory.NewIndex(&directory.Dataset{})}
	if s.log == nil {
		s.log = slog.Default()
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
	s.handler = securityHeaders(mux, contentSecurityPolicy(tilesSrc))
	return s, nil
}

// routes registers every page. Handlers return an error, which one adapter
// (Server.handle) turns into an error page.
func (s *Server) routes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", s.handle(s.showHome))
	mux.Handle("GET /search", s.handle(s.showSearch))
	mux.Handle("GET /services/{id}", s.handle(s.showService))
	mux.Handle("GET /services/{id}/areas.geojson", s.handle(s.serviceAreasGeoJSON))
	mux.Handle("GET /organisations/{id}", s.handle(s.showOrganisation))
	mux.Handle("GET /about/data", s.handle(s.showAboutData))
	mux.Handle("GET /accessibility", s.handle(s.showAccessibility))
	mux.Handle("GET /assets/{hash}/{path...}", s.handle(s.assets.serve))
	mux.Handle("/", s.handle(notFound))
}

// ServeHTTP serves the HTML pages and static files.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// index returns the current directory index, or an empty one when none is
// loaded yet.
func (s *Server) index() *directory.Index {
	if x := s.cfg.Index(); x != nil {
		return x
	}
	return s.empty
}

func notFound(http.ResponseWriter, *http.Request) error {
	return apperr.Errorf(apperr.NotFound, "page not found")
}
