package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"throughcare/internal/account"
)

// pageSet holds one template per page, each made of the layout, the
// partials and the page's own file. They are parsed once at start; in dev
// mode they are parsed again for every page rendered, so edits show at once.
type pageSet struct {
	fsys  fs.FS
	funcs template.FuncMap
	dev   bool
	pages map[string]*template.Template
}

// requiredPages must exist among the page templates (pages/NAME.tmpl):
// the error page is what every failure renders.
var requiredPages = []string{"error"}

func newPageSet(fsys fs.FS, assetURL func(string) string, dev bool) (*pageSet, error) {
	ps := &pageSet{fsys: fsys, dev: dev, funcs: templateFuncs(assetURL)}
	pages, err := ps.parse()
	if err != nil {
		return nil, err
	}
	ps.pages = pages
	return ps, nil
}

// parse parses every page from ps.fsys.
func (ps *pageSet) parse() (map[string]*template.Template, error) {
	base, err := template.New("layout.tmpl").Funcs(ps.funcs).ParseFS(ps.fsys, "layout.tmpl", "partials/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("web: parsing layout and partials: %w", err)
	}
	files, err := fs.Glob(ps.fsys, "pages/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("web: listing page templates: %w", err)
	}
	pages := make(map[string]*template.Template, len(files))
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".tmpl")
		t, err := template.Must(base.Clone()).ParseFS(ps.fsys, f)
		if err != nil {
			return nil, fmt.Errorf("web: parsing page %s: %w", name, err)
		}
		pages[name] = t
	}
	for _, name := range requiredPages {
		if pages[name] == nil {
			return nil, fmt.Errorf("web: page template pages/%s.tmpl is missing", name)
		}
	}
	return pages, nil
}

// page returns the template of the named page.
func (ps *pageSet) page(name string) (*template.Template, error) {
	pages := ps.pages
	if ps.dev {
		var err error
		if pages, err = ps.parse(); err != nil {
			return nil, err
		}
	}
	t := pages[name]
	if t == nil {
		return nil, fmt.Errorf("web: no page template %q", name)
	}
	return t, nil
}

// Page holds what the layout needs. Every page's data embeds it.
type Page struct {
	// Title is the page's own title; the layout adds the service name.
	Title string
	// Demo shows the banner saying the data are fictional; render sets it.
	Demo bool
	// Map loads Leaflet; set by pages that draw a map.
	Map bool
	// Path is the request path, for marking the current navigation item.
	Path string
	// User is the signed-in user, nil when signed out; render sets it.
	User *account.User
	// Breadcrumbs is the trail above the page; render fills it in from
	// the page's section (pageTrail) when the handler leaves it nil.
	Breadcrumbs []Crumb
}

func (p *Page) layout() *Page { return p }

// pageData is any page's data: a struct embedding Page.
type pageData interface{ layout() *Page }

// rendered, when set (by the package's tests), is told the name of every
// page rendered.
var rendered func(name string)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes the named page into a buffer and, only if that succeeds,
// writes it with the given status, so a failing template yields a clean
// error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data pageData) error {
	p := data.layout()
	p.Demo = s.cfg.Demo
	p.Path = r.URL.Path
	p.User = userOf(r)
	if p.Breadcrumbs == nil {
		p.Breadcrumbs = pageTrail(name, p.Path)
	}
	t, err := s.pages.page(name)
	if err != nil {
		return err
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		return fmt.Errorf("web: rendering page %s: %w", name, err)
	}
	if rendered != nil {
		rendered(name)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
	return nil
}

// templateFuncs are the functions templates may call.
func templateFuncs(assetURL func(string) string) template.FuncMap {
	return template.FuncMap{
		// asset returns the content-hashed URL of a static file.
		"asset": assetURL,
		// join joins strings with a separator.
		"join": strings.Join,
		// lower lower-cases the first letter of a name, for use inside a
		// sentence ("All mental health"); the rest keeps its capitals
		// ("All NHS services").
		"lower": lowerFirst,
		// navItem describes a navigation link for the page at path.
		"navItem": newNavItem,
		// checkbox describes a checkbox of a filter list.
		"checkbox": newCheckbox,
	}
}

// Checkbox is one checkbox of a list of filters. Its id is the
// parameter's name and the value joined by a hyphen ("type-autism"), which
// is what the error summary links to.
type Checkbox struct {
	ID, Name, Value, Label string
	Checked                bool
}

func newCheckbox(name, value, label string, checked bool) Checkbox {
	return Checkbox{ID: name + "-" + value, Name: name, Value: value, Label: label, Checked: checked}
}

// NavItem is a link of the service navigation.
type NavItem struct {
	Href, Text string
	// Current marks the link to the section the page is in.
	Current bool
}

// newNavItem returns the navigation link to href for a page at path. The
// home page's link also stands for search results.
func newNavItem(path, href, text string) NavItem {
	current := path == href || (href == "/" && path == "/search")
	return NavItem{Href: href, Text: text, Current: current}
}

// lowerFirst lower-cases the first letter of s unless the first word is
// all capitals, as an acronym is.
func lowerFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	if word == "" || (len(word) > 1 && strings.ToUpper(word) == word) {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// paragraphs splits text at blank lines into trimmed, non-empty paragraphs.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for p := range strings.SplitSeq(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
