// Package api serves the directory's public JSON APIs: the Open Referral
// read API under /openreferral (the endpoints of HSDS 3.0 with the
// parameters of the Open Referral UK (ORUK) 3.0 profile), the ranked
// directory search at /api/v1/search, the write endpoints under /api/v1
// for machine clients holding an API token (auth.go), and the OpenAPI
// document that describes them all. Every read is answered from the current
// search.Engine and the directory.Index it was built from; only the write
// endpoints touch the database.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/search"
	"throughcare/internal/store"
)

// Prefix is the path under which the Open Referral API is mounted. The
// handler expects requests with the prefix still on the path.
const Prefix = "/openreferral"

// V1Prefix is the path under which the version 1 JSON API (the directory
// search) is mounted, also with the prefix left on the path.
const V1Prefix = "/api/v1"

// Version is the value of "version" in GET /openreferral/: the HSDS version
// with the UK profile, as ORUK validators expect it.
const Version = "HSDS-UK-3.0"

// ProfileURI identifies the ORUK 3.0 profile of HSDS, the repository it is
// published in.
const ProfileURI = "https://github.com/openreferral/uk-profile"

// maxQuery is the longest query string accepted, in bytes.
const maxQuery = 2048

// Config holds what the API needs from the rest of the program.
type Config struct {
	// Engine returns the current search engine; its Index is the directory
	// snapshot served. Each request calls it once, so the records and the
	// search always come from the same snapshot. It must not be nil; a nil
	// engine is served as an empty directory.
	Engine func() *search.Engine
	// Postcodes finds postcodes, for the where parameter of /api/v1/search
	// and the postcode parameter of /openreferral/service_at_locations. Nil
	// means no postcode directory is loaded: such requests get a 400 answer
	// that says how to load one.
	Postcodes search.PostcodeLookup
	// Now returns the current time, for open_now. Nil means time.Now.
	Now func() time.Time
	// Logger receives internal errors. Nil discards them.
	Logger *slog.Logger
	// DB holds accounts and API tokens and takes the write endpoints'
	// changes. Nil turns the write endpoints off: they answer 404 saying
	// so.
	DB *store.DB
	// DirectoryChanged is called after a write endpoint changed the
	// directory, so the in-memory index is rebuilt at once. Nil leaves it
	// to the next reload.
	DirectoryChanged func(ctx context.Context) error
}

// server holds the handler's state: its configuration and a cache of
// per-snapshot views (sort orders and search text).
type server struct {
	cfg   Config
	log   *slog.Logger
	empty *search.Engine

	mu   sync.Mutex
	view atomic.Pointer[view]
}

// New returns the handler of every path under /openreferral/ and
// /api/v1/. Mount it at both without stripping the prefixes. It panics if
// cfg.Engine is nil.
func New(cfg Config) http.Handler {
	if cfg.Engine == nil {
		panic("api: Config.Engine must be set")
	}
	s := &server{cfg: cfg, log: cfg.Logger, empty: search.New(directory.NewIndex(&directory.Dataset{}))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.handle(rt.h))
	}
	mux.Handle(Prefix+"/", s.handle(fallback))
	mux.Handle(V1Prefix+"/", s.handle(fallback))
	return cors(mux)
}

// route is one registered endpoint and the query parameters it reads; the
// OpenAPI document is checked against this table.
type route struct {
	pattern string
	params  []string
	h       handlerFunc
}

// Query parameters shared by several endpoints.
var (
	listParams    = []string{"search", "page", "per_page", "format"}
	serviceParams = []string{
		"search", "page", "per_page", "format", "taxonomy_term_id", "taxonomy_id", "organization_id",
		"modified_after", "full", "minimum_age", "maximum_age", "day", "start_time", "end_time",
	}
)

func (s *server) routes() []route {
	return []route{
		{"GET " + Prefix + "/{$}", nil, s.root},
		{"GET " + Prefix + "/openapi.json", nil, serveOpenAPI},
		{"GET " + Prefix + "/services", append(serviceParams[:len(serviceParams):len(serviceParams)], "minimal"), s.listServices},
		{"GET " + Prefix + "/services/{id}", nil, s.getService},
		{"GET " + Prefix + "/service_at_locations", append(serviceParams[:len(serviceParams):len(serviceParams)], "lat", "lon", "proximity", "postcode"), s.listServiceAtLocations},
		{"GET " + Prefix + "/service_at_locations/{id}", nil, s.getServiceAtLocation},
		{"GET " + Prefix + "/organizations", append(listParams[:len(listParams):len(listParams)], "full", "full_service"), s.listOrganizations},
		{"GET " + Prefix + "/organizations/{id}", []string{"full_service"}, s.getOrganization},
		{"GET " + Prefix + "/taxonomies", listParams, s.listTaxonomies},
		{"GET " + Prefix + "/taxonomies/{id}", nil, s.getTaxonomy},
		{"GET " + Prefix + "/taxonomy_terms", append(listParams[:len(listParams):len(listParams)], "taxonomy_id", "parent_id", "top_only"), s.listTaxonomyTerms},
		{"GET " + Prefix + "/taxonomy_terms/{id}", nil, s.getTaxonomyTerm},
		{"GET " + V1Prefix + "/search", search.Parameters, s.searchServices},
		{"POST " + V1Prefix + "/services/{id}/assure", nil, s.withToken(account.ListingAssure, s.serviceOwner, s.assureService)},
	}
}

// engine returns the current snapshot's search engine.
func (s *server) engine() *search.Engine {
	if e := s.cfg.Engine(); e != nil {
		return e
	}
	return s.empty
}

// index returns the current directory snapshot.
func (s *server) index() *directory.Index { return s.engine().Index() }

// current returns the view of the current snapshot, building it the first
// time a snapshot is seen. Concurrent requests for a new snapshot wait for
// one build rather than each doing their own.
func (s *server) current() *view {
	e := s.engine()
	if v := s.view.Load(); v != nil && v.e == e {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.view.Load(); v != nil && v.e == e {
		return v
	}
	v := newView(e)
	s.view.Store(v)
	return v
}

// handlerFunc is an endpoint. It returns an error instead of writing one, and
// the adapter (server.handle) turns the error into a JSON error response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to http.Handler. It refuses over-long query strings before
// h runs and writes any error h returns.
func (s *server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		if len(r.URL.RawQuery) > maxQuery {
			err = apperr.Errorf(apperr.Invalid, "the query string is longer than %d bytes", maxQuery)
		} else {
			err = h(w, r)
		}
		if err != nil {
			s.serveError(w, r, err)
		}
	})
}

// errorBody is the JSON form of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// serveError writes err as a JSON error: 400 for bad input, naming the
// field; 404 for a missing record; 401 for a missing or unusable API token
// and 403 for one that may not do this; 409 for a clash; 500, logged with its detail but shown
// only as "Internal error.", for anything else.
func (s *server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	d := errorDetail{Message: apperr.Message(err)}
	switch {
	case errors.Is(err, apperr.Invalid):
		d.Status = http.StatusBadRequest
		var fe *apperr.FieldError
		if errors.As(err, &fe) {
			d.Field = fe.Field
			d.Message = fe.Error()
		}
	case errors.Is(err, apperr.NotFound):
		d.Status = http.StatusNotFound
	case errors.Is(err, apperr.Unauthenticated):
		d.Status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Bearer realm="throughcare"`)
	case errors.Is(err, apperr.Forbidden):
		d.Status = http.StatusForbidden
	case errors.Is(err, apperr.Conflict):
		d.Status = http.StatusConflict
	default:
		d.Status = http.StatusInternalServerError
		d.Message = "Internal error."
		s.log.ErrorContext(r.Context(), "API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, d)
}

func writeError(w http.ResponseWriter, d errorDetail) {
	b, _ := json.Marshal(errorBody{d}) // cannot fail: strings and an int
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(d.Status)
	w.Write(append(b, '\n'))
}

// fallback answers every path under the prefix that no endpoint serves:
// 204 to a CORS preflight, 405 to a method other than GET or HEAD, and 404
// otherwise.
func fallback(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return apperr.Errorf(apperr.NotFound, "there is no endpoint at %s", r.URL.Path)
	case http.MethodOptions:
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		w.Header().Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return nil
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		writeError(w, errorDetail{Status: http.StatusMethodNotAllowed, Message: "this API is read-only: use GET"})
		return nil
	}
}

// cors lets any web page read every response, as the ORUK compliance rules
// require.
func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
}

// writeJSON writes v as the JSON body of a 200 response. It encodes to a
// buffer first, so an encoding failure can still become a 500.
func writeJSON(w http.ResponseWriter, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}

// rootInfo is the body of GET /openreferral/.
type rootInfo struct {
	Version    string `json:"version"`
	Profile    string `json:"profile"`
	OpenAPIURL string `json:"openapi_url"`
}

// root describes the API: its HSDS version, profile and OpenAPI document.
func (s *server) root(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, rootInfo{Version: Version, Profile: ProfileURI, OpenAPIURL: baseURL(r) + Prefix + "/openapi.json"})
}

// baseURL returns scheme://host of the request as the client addressed it:
// a proxy's X-Forwarded-Proto wins over the connection's own scheme.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ","); p != "" {
		switch p = strings.ToLower(strings.TrimSpace(p)); p {
		case "http", "https":
			scheme = p
		}
	}
	return scheme + "://" + r.Host
}
