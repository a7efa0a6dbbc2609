package web

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/listing"
	"throughcare/internal/search"
)

// News of services: an Atom feed of new and changed services, which anyone
// may follow, and the weekly e-mail digest that subscribers get
// (subscription.go, jobs.go). Both narrow the news with the same newsFilter:
// services covering an area, of a service type.

// Limits of the feed.
const (
	// feedEntries is the most entries a feed holds, newest first.
	feedEntries = 50
	// feedWindow is how far back a feed looks for changes.
	feedWindow = 366 * 24 * time.Hour
)

func (s *Server) feedRoutes(mux *http.ServeMux) {
	s.route(mux, "GET /feeds/services.atom", public, s.serviceFeed)
}

// newsFilter narrows news of services to those whose service area covers
// Area (a GSS code) and that are of the service type TypeID (a term of the
// service-type taxonomy, which takes in its narrower types). Empty fields
// do not filter. Subscribers' filters are built from their listing.Subscription.
type newsFilter struct {
	Area   string
	TypeID string
}

// parseNewsFilter reads a filter from the area (a GSS code) and type (a
// service-type code) parameters of v, returning an Invalid error naming
// the parameter when one is not known.
func parseNewsFilter(ix *directory.Index, v url.Values) (newsFilter, error) {
	f := newsFilter{Area: strings.ToUpper(strings.TrimSpace(v.Get("area")))}
	if f.Area != "" && !geo.IsGSSCode(f.Area) {
		return f, apperr.Field("area", "%q is not an area code such as E07000138", f.Area)
	}
	if code := strings.TrimSpace(v.Get("type")); code != "" {
		t, ok := ix.TermByCode(directory.TaxonomyID(directory.ServiceTypeTaxonomy), code)
		if !ok {
			return f, apperr.Field("type", "%q is not a service type we know", code)
		}
		f.TypeID = t.ID
	}
	return f, nil
}

// query returns f as the parameters of a feed or search URL.
func (f newsFilter) query(ix *directory.Index) url.Values {
	q := url.Values{}
	if f.Area != "" {
		q.Set("area", f.Area)
	}
	if t, ok := ix.TaxonomyTerm(f.TypeID); ok && f.TypeID != "" {
		q.Set("type", t.Code)
	}
	return q
}

// empty reports whether f lets every service through.
func (f newsFilter) empty() bool { return f.Area == "" && f.TypeID == "" }

// services returns the ids of the services, active or not, that f lets
// through, found with the search engine's own area and type filters; nil
// when f is empty (every service).
func (f newsFilter) services(e *search.Engine) map[string]bool {
	if f.empty() {
		return nil
	}
	q := search.Query{IncludeInactive: true, Limit: max(e.NumServices(), 1)}
	if f.Area != "" {
		q.CoversCodes = []string{f.Area}
	}
	if f.TypeID != "" {
		q.Types = []string{f.TypeID}
	}
	ix := e.Index()
	out := map[string]bool{}
	for _, h := range e.Search(q).Hits {
		out[ix.ServiceAt(h.Service).ID] = true
	}
	return out
}

// describe says in words what f narrows to: " in Lincoln, NHS Talking
// Therapies" (empty for an empty filter).
func (f newsFilter) describe(ix *directory.Index) string {
	var parts []string
	if f.Area != "" {
		parts = append(parts, "in "+feedAreaName(ix, f.Area))
	}
	if t, ok := ix.TaxonomyTerm(f.TypeID); ok && f.TypeID != "" {
		parts = append(parts, t.Name)
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, ", ")
}

// feedAreaName names the area with GSS code, from the service areas that use
// it, or returns the code itself.
func feedAreaName(ix *directory.Index, code string) string {
	for _, a := range ix.Dataset().ServiceAreas {
		if a.Name != "" && search.AreaCode(a.URI) == code {
			return a.Name
		}
	}
	return code
}

// newsItem is one new or changed service.
type newsItem struct {
	change  listing.ServiceChange
	service *directory.Service
}

// news returns the services created or changed after since that f lets
// through, newest first, at most limit of them (0: no limit).
func (s *Server) news(ctx context.Context, snap snapshot, f newsFilter, since time.Time, limit int) ([]newsItem, error) {
	changes, err := s.changesSince(ctx, since)
	if err != nil {
		return nil, err
	}
	allowed := f.services(snap.engine)
	var out []newsItem
	for _, c := range changes {
		if allowed != nil && !allowed[c.ServiceID] {
			continue
		}
		svc, ok := snap.ix.ServiceFlat(c.ServiceID)
		if !ok {
			continue
		}
		out = append(out, newsItem{change: c, service: svc})
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// changesSince returns the services created or changed after since,
// newest first.
func (s *Server) changesSince(ctx context.Context, since time.Time) ([]listing.ServiceChange, error) {
	if s.cfg.DB == nil {
		return nil, nil
	}
	cs, err := s.cfg.DB.ChangesSince(ctx, since)
	if err != nil {
		return nil, err
	}
	listing.SortServiceChanges(cs)
	return cs, nil
}

// The Atom 1.0 document (RFC 4287), as much of it as the feed uses.
type (
	atomFeed struct {
		XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
		ID       string      `xml:"id"`
		Title    string      `xml:"title"`
		Subtitle string      `xml:"subtitle,omitempty"`
		Updated  string      `xml:"updated"`
		Links    []atomLink  `xml:"link"`
		Author   atomPerson  `xml:"author"`
		Entries  []atomEntry `xml:"entry"`
	}
	atomLink struct {
		Rel  string `xml:"rel,attr,omitempty"`
		Type string `xml:"type,attr,omitempty"`
		Href string `xml:"href,attr"`
	}
	atomPerson struct {
		Name string `xml:"name"`
	}
	atomText struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	}
	atomCategory struct {
		Term  string `xml:"term,attr"`
		Label string `xml:"label,attr,omitempty"`
	}
	atomEntry struct {
		ID         string         `xml:"id"`
		Title      string         `xml:"title"`
		Links      []atomLink     `xml:"link"`
		Updated    string         `xml:"updated"`
		Summary    atomText       `xml:"summary"`
		Categories []atomCategory `xml:"category"`
	}
)

// feedBaseURL is the site's public address for absolute links: Config.BaseURL,
// or else the address the request came to.
func (s *Server) feedBaseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if IsHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// serviceFeed serves the Atom feed of new and changed services, narrowed
// by the area and type parameters.
func (s *Server) serviceFeed(w http.ResponseWriter, r *http.Request) error {
	snap := s.snapshot()
	f, err := parseNewsFilter(snap.ix, r.URL.Query())
	if err != nil {
		return err
	}
	now := s.now()
	key := feedKey{ix: snap.ix, filter: f, base: s.feedBaseURL(r)}
	body, ok := s.feeds.get(key, now)
	if !ok {
		if body, err = s.buildFeed(r, snap, f, now); err != nil {
			return err
		}
		s.feeds.put(key, body, now)
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}

// buildFeed makes the feed's document for filter f at now.
func (s *Server) buildFeed(r *http.Request, snap snapshot, f newsFilter, now time.Time) ([]byte, error) {
	items, err := s.news(r.Context(), snap, f, now.Add(-feedWindow), feedEntries)
	if err != nil {
		return nil, err
	}
	base := s.feedBaseURL(r)
	q := f.query(snap.ix)
	self := base + "/feeds/services.atom"
	search := base + "/search"
	if len(q) > 0 {
		self += "?" + q.Encode()
		search += "?" + q.Encode()
	}
	feed := atomFeed{
		// The feed's id names the site and the filter, so it stays the
		// same however often it is read.
		ID:       "urn:uuid:" + directory.NameUUID("throughcare:feed:"+self),
		Title:    "New and changed services" + f.describe(snap.ix) + " – Throughcare",
		Subtitle: "Health services for people on probation that were added to the directory or changed.",
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: search},
		},
		Author: atomPerson{Name: "Throughcare"},
	}
	updated := time.Time{}
	for _, it := range items {
		at := it.change.At.UTC()
		if at.After(updated) {
			updated = at
		}
		feed.Entries = append(feed.Entries, s.feedEntry(snap.ix, base, it))
	}
	if updated.IsZero() {
		// An empty feed was last updated when the window began, which
		// does not move while nothing changes within a day.
		updated = now.Add(-feedWindow).UTC().Truncate(24 * time.Hour)
	}
	feed.Updated = updated.Format(time.RFC3339)
	out, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

// Feeds are read by programs that poll, and cost a query and a search to
// build, so each built feed is kept for feedCacheFor, for the directory
// snapshot it was built from: a change to the directory makes a new
// snapshot, so a kept feed never hides a change for longer than that.
const (
	feedCacheFor   = 5 * time.Minute
	feedCacheLimit = 256
)

type feedKey struct {
	ix     *directory.Index
	filter newsFilter
	base   string
}

type cachedFeed struct {
	body  []byte
	built time.Time
}

// feedCache holds recently built feeds. When it is full it is emptied, which
// is simple and, with a few hundred filters at most in use, rare.
type feedCache struct {
	mu    sync.Mutex
	feeds map[feedKey]cachedFeed
}

func (c *feedCache) get(k feedKey, now time.Time) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.feeds[k]
	if !ok || now.Sub(f.built) >= feedCacheFor || now.Before(f.built) {
		return nil, false
	}
	return f.body, true
}

func (c *feedCache) put(k feedKey, body []byte, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.feeds == nil || len(c.feeds) >= feedCacheLimit {
		c.feeds = map[feedKey]cachedFeed{}
	}
	c.feeds[k] = cachedFeed{body: body, built: now}
}

// feedEntry is the feed's entry for one new or changed service. Its id
// names the service and the time of the change, so a later change is a
// new entry rather than an edit of this one.
func (s *Server) feedEntry(ix *directory.Index, base string, it newsItem) atomEntry {
	svc := it.service
	title := "Changed: " + svc.Name
	if it.change.Action == listing.ActionCreate {
		title = "New: " + svc.Name
	}
	at := it.change.At.UTC()
	text := summary(svc.Description, 400)
	if o, ok := ix.Organization(svc.OrganizationID); ok {
		text = strings.TrimSpace("Run by " + o.Name + ". " + text)
	}
	if st := statusTag(svc.Status); st.Text != "Active" {
		text = strings.TrimSpace(st.Text + ". " + text)
	}
	e := atomEntry{
		ID:      "urn:uuid:" + directory.NameUUID("throughcare:service-change:"+svc.ID+":"+at.Format(time.RFC3339Nano)),
		Title:   title,
		Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: base + "/services/" + svc.ID}},
		Updated: at.Format(time.RFC3339),
		Summary: atomText{Type: "text", Text: text},
	}
	for _, a := range ix.Attributes(svc.ID) {
		if t, ok := ix.TaxonomyTerm(a.TaxonomyTermID); ok && t.Code != "" && inTaxonomy(ix, &t, serviceTypeTaxonomy) && !slices.ContainsFunc(e.Categories, func(c atomCategory) bool { return c.Term == t.Code }) {
			e.Categories = append(e.Categories, atomCategory{Term: t.Code, Label: t.Name})
		}
	}
	return e
}
