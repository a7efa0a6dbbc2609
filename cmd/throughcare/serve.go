package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/geo"
	"throughcare/internal/search"

	"throughcare/internal/api"
	"throughcare/internal/demo"
	"throughcare/internal/directory"
	"throughcare/internal/hsds"
	"throughcare/internal/store"
	"throughcare/internal/web"
)

// liveIndex holds the current in-memory view of the directory and its
// search engine. Readers take the pointer once per request; a reload builds
// a whole new snapshot and swaps it in, so no reader ever sees a half-built
// one.
type liveIndex struct {
	db      *store.DB
	cur     atomic.Pointer[snapshot]
	version int64 // the store's DirectoryVersion at the last load
	mu      sync.Mutex
	// listening, if not nil, is closed once the store's change notices
	// are being listened for (PostgreSQL only).
	listening chan struct{}
}

type snapshot struct {
	x *directory.Index
	e *search.Engine
}

func (l *liveIndex) Index() *directory.Index { return l.cur.Load().x }
func (l *liveIndex) Engine() *search.Engine  { return l.cur.Load().e }

// reload reads the directory from the store and swaps in a new snapshot.
func (l *liveIndex) reload(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, err := l.db.DirectoryVersion(ctx)
	if err != nil {
		return err
	}
	ds, err := l.db.LoadDirectory(ctx)
	if err != nil {
		return err
	}
	x := directory.NewIndex(ds)
	l.cur.Store(&snapshot{x: x, e: search.New(x)})
	l.version = v
	return nil
}

// follow keeps the index current with changes made by other processes
// (the import command, other server nodes) until ctx ends. On PostgreSQL
// the store announces each committed change (LISTEN/NOTIFY) and follow
// reloads at once, checking the version every minute as well in case a
// notice is lost; on SQLite it checks the version every poll.
func (l *liveIndex) follow(ctx context.Context, poll time.Duration, log *slog.Logger) {
	kick := make(chan struct{}, 1)
	notify := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	if l.db.Engine() == "postgres" {
		go func() {
			if err := l.db.WatchDirectory(ctx, notify, l.listening); err != nil {
				log.Error("listen for directory changes", "err", err)
			}
		}()
		poll = time.Minute
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
		v, err := l.db.DirectoryVersion(ctx)
		if err != nil || v == l.loadedVersion() {
			continue
		}
		if err := l.reload(ctx); err != nil {
			log.Error("reload the directory", "err", err)
			continue
		}
		log.Info("directory reloaded", "services", l.Index().NumServices())
	}
}

func (l *liveIndex) loadedVersion() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.version
}

// postcodeLookup answers postcode searches from the loaded ONSPD.
func postcodeLookup(db *store.DB) search.PostcodeLookup {
	return func(ctx context.Context, pc string) (geo.Point, []string, error) {
		p, err := db.Postcode(ctx, pc)
		if errors.Is(err, apperr.NotFound) {
			if n, cerr := db.PostcodeCount(ctx); cerr == nil && n == 0 {
				return geo.Point{}, nil, search.ErrNoPostcodes
			}
			return geo.Point{}, nil, err
		}
		if err != nil {
			return geo.Point{}, nil, err
		}
		if !p.HasLocation {
			return geo.Point{}, nil, apperr.Errorf(apperr.NotFound, "postcode %s has no location in the ONS Postcode Directory", pc)
		}
		return p.Location, p.Codes, nil
	}
}

// serveFlags are the flags of every command that serves.
type serveFlags struct {
	db, addr, tiles, tilesAttribution *string
	dev                               *bool
	site                              *siteFlags
	fresh                             *freshFlags
	oidc                              *oidcFlags
}

func addServeFlags(fs *flag.FlagSet, e env) serveFlags {
	return serveFlags{
		db:               dbFlag(fs, e),
		addr:             stringFlag(fs, e, "addr", ":8080", "address to listen on"),
		tiles:            stringFlag(fs, e, "tiles", "", "map tile URL template, e.g. https://tiles.example/{z}/{x}/{y}.png (empty: plain background)"),
		tilesAttribution: stringFlag(fs, e, "tiles-attribution", "", "attribution text the tile provider requires"),
		dev:              fs.Bool("dev", false, "read templates and static files from disk (for development)"),
		site:             addSiteFlags(fs, e),
		fresh:            addFreshFlags(fs, e),
		oidc:             addOIDCFlags(fs, e),
	}
}

func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "serve", "", "Serves the web site on / and the Open Referral API on /openreferral/.\nApplies pending migrations first.")
	sf := addServeFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, e, *sf.db)
	if err != nil {
		return err
	}
	defer db.Close()
	return serve(ctx, e, db, sf)
}

func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "demo", "",
		`Loads the fictional demo directory into the database (again and again
without duplicating it) and serves it, labelled as demo data.

With --generate N, instead writes a synthetic directory of N services to
--out (HSDS JSON, or ndjson when the file name ends in .ndjson) for
benchmarks and load tests, and exits.`)
	sf := addServeFlags(fs, e)
	generate := fs.Int("generate", 0, "write a synthetic directory of this many services to --out and exit")
	out := fs.String("out", "", "with --generate: the file to write")
	seed := fs.Uint64("seed", 1, "with --generate: the random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *generate != 0 {
		if *generate < 0 || *out == "" {
			return fmt.Errorf("%w: --generate needs a positive number and --out FILE", errUsage)
		}
		x := directory.NewIndex(demo.Generate(*generate, *seed))
		return writeFile(e, *out, func(w *bufio.Writer) error {
			if strings.HasSuffix(*out, ".ndjson") {
				return hsds.WriteNDJSON(w, x)
			}
			return hsds.WriteJSON(w, x)
		})
	}
	db, err := openDB(ctx, e, *sf.db)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.ImportDataset(ctx, demo.AsOf(time.Now().UTC().Truncate(24*time.Hour)), store.ImportSource{Name: "demo directory", Format: "builtin", UpdatedBy: "throughcare demo"}, directory.Validate)
	if err != nil {
		return fmt.Errorf("load the demo directory: %w", err)
	}
	printImport(env{stdout: e.stderr}, "demo directory", res)
	return serve(ctx, e, db, sf)
}

// hasDemoData reports whether any record carries the demo label.
func hasDemoData(x *directory.Index) bool {
	label := directory.TermID(directory.LabelTaxonomy, "demo-fictional")
	for _, a := range x.Dataset().Attributes {
		if a.TaxonomyTermID == label {
			return true
		}
	}
	return false
}

// serve builds the handlers over db and serves until ctx is cancelled.
func serve(ctx context.Context, e env, db *store.DB, sf serveFlags) error {
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	started := time.Now()
	live := &liveIndex{db: db}
	if err := live.reload(ctx); err != nil {
		return err
	}
	go live.follow(ctx, 5*time.Second, log)
	go housekeep(ctx, db, time.Hour, log)
	x := live.Index()
	ln, err := net.Listen("tcp", *sf.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *sf.addr, err)
	}
	defer ln.Close()
	sc, err := sf.site.resolve("http://"+displayAddr(ln.Addr()), log)
	if err != nil {
		return err
	}
	if sc.secretKey != nil {
		if err := db.SetSecretKey(sc.secretKey); err != nil {
			return err
		}
	}
	if n, err := db.UnreadableTOTPSecrets(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Error("second-factor secrets cannot be opened with this --secret-key (or none is set); those people cannot give a code until it is the key they were stored with, or their second factor is reset with 'throughcare user reset-totp'", "users", n)
	}
	if err := sf.fresh.resolve(); err != nil {
		return err
	}
	site, err := web.New(web.Config{
		Engine:           live.Engine,
		Postcodes:        postcodeLookup(db),
		Dev:              *sf.dev,
		TilesURL:         *sf.tiles,
		TilesAttribution: *sf.tilesAttribution,
		Logger:           log,
		Demo:             hasDemoData(x),
		DB:               db,
		Mailer:           sc.mailer,
		LinkKey:          sc.linkKey,
		BaseURL:          sc.baseURL,
		SecureCookies:    sc.secure,
		SessionIdle:      sc.sessionIdle,
		SessionMaxAge:    sc.sessionMaxAge,
		DirectoryChanged: live.reload,
		StaleAfter:       sf.fresh.after,
		OIDC:             sf.oidc.config(),
	})
	if err != nil {
		return err
	}
	sf.fresh.startJobs(ctx, site, sc, log)
	mux := http.NewServeMux()
	apiHandler := api.New(api.Config{Engine: live.Engine, Postcodes: postcodeLookup(db), Logger: log, DB: db, DirectoryChanged: live.reload})
	mux.Handle(api.Prefix+"/", apiHandler)
	mux.Handle(api.V1Prefix+"/", apiHandler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("/", site)

	srv := &http.Server{
		Handler:           web.BehindProxies(sc.proxies, accessLog(log, baseline(mux))),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("serving", "url", "http://"+displayAddr(ln.Addr()), "db", db.Engine(),
		"services", x.NumServices(), "organisations", x.NumOrganizations(), "startup", time.Since(started).Round(time.Millisecond))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// displayAddr turns a listening address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// baseline applies the security rules every route shares, the API's and
// /healthz as much as the web site's: browsers may not send unsafe
// cross-origin requests (http.CrossOriginProtection; machine clients, which
// send neither Origin nor Sec-Fetch-Site, are not affected), and every
// response says not to sniff content types, not to be framed, and to keep
// to HTTPS once reached over it. The web site sets its own fuller
// Content-Security-Policy on top.
func baseline(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if web.IsHTTPS(r) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		cop.Handler(next).ServeHTTP(w, r)
	})
}

// accessLog writes one structured line per request: method, path, status,
// size and duration. It never writes the query string, headers, cookies or
// body, which may carry sign-in links' tokens, passwords, session cookies
// or a person's details; a path never holds them, since every route keeps
// secrets and personal data out of the path.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Duration("took", time.Since(start)))
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// housekeep deletes, now and then every interval until ctx ends, what the
// database no longer needs: sessions past their absolute expiry and the
// records of used single-use links that have expired anyway.
func housekeep(ctx context.Context, db *store.DB, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		tidy(ctx, db, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tidy is one pass of housekeep.
func tidy(ctx context.Context, db *store.DB, log *slog.Logger) {
	if n, err := db.PruneSessions(ctx); err != nil {
		log.ErrorContext(ctx, "prune ended sessions", "err", err)
	} else if n > 0 {
		log.InfoContext(ctx, "ended sessions deleted", "sessions", n)
	}
	if n, err := db.PruneUsedLinks(ctx, db.Now()); err != nil {
		log.ErrorContext(ctx, "prune used links", "err", err)
	} else if n > 0 {
		log.InfoContext(ctx, "expired used links deleted", "links", n)
	}
}
