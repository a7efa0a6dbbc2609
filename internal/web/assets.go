package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"throughcare/internal/apperr"
)

// The embedded files. static/dist is built by `make assets` from the npm
// packages and is not committed; static/js holds our own script. Files whose
// names start with "." or "_" (the placeholder, the build stamp) are left out
// by go:embed.
//
//go:embed templates static
var embedded embed.FS

func embeddedTemplates() fs.FS { return sub(embedded, "templates") }
func embeddedStatic() fs.FS    { return sub(embedded, "static") }

func sub(fsys fs.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // dir is a constant folder of the embed above
	}
	return s
}

// assets serves the static files at /assets/<hash>/<path>. The hash is of
// the whole static tree, not of each file, so that relative references keep
// working: app.css names its images and app.js imports GOV.UK Frontend by
// relative URL, and those resolve under the same hash. Any change to any
// file changes every URL, which for a folder this small costs little.
type assets struct {
	fsys fs.FS
	hash string
	dev  bool
}

// devHash stands in for the content hash in dev mode, where files change
// under a running server and must not be cached.
const devHash = "dev"

func newAssets(fsys fs.FS, dev bool) (*assets, error) {
	a := &assets{fsys: fsys, dev: dev, hash: devHash}
	if dev {
		return a, nil
	}
	h, err := treeHash(fsys)
	if err != nil {
		return nil, fmt.Errorf("web: hashing static files: %w", err)
	}
	a.hash = h
	return a, nil
}

// treeHash returns a short hex SHA-256 over the names and contents of every
// servable file in fsys, in a fixed order.
func treeHash(fsys fs.FS) (string, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && servable(name) {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// servable reports whether a static file may be served: not hidden. The
// embed leaves hidden files out, so dev mode must too, to serve what
// production does.
func servable(name string) bool {
	for elem := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(elem, ".") || strings.HasPrefix(elem, "_") {
			return false
		}
	}
	return true
}

// URL returns the URL of the static file at p (such as "dist/app.css").
func (a *assets) URL(p string) string {
	return "/assets/" + a.hash + "/" + p
}

// serve serves GET /assets/{hash}/{path...}. A hash other than the current
// one is not found: the content it named is gone.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("path")
	if r.PathValue("hash") != a.hash || !fs.ValidPath(name) || !servable(name) {
		return apperr.Errorf(apperr.NotFound, "no such file")
	}
	f, err := a.fsys.Open(name)
	if err != nil {
		return apperr.Errorf(apperr.NotFound, "no such file")
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("web: static file %s: %w", name, err)
	}
	rs, ok := f.(io.ReadSeeker)
	if info.IsDir() || !ok {
		return apperr.Errorf(apperr.NotFound, "no such file")
	}
	if a.dev {
		w.Header().Set("Cache-Control", "no-cache")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeContent(w, r, path.Base(name), time.Time{}, rs)
	return nil
}
