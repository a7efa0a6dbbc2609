package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/geo"
	"throughcare/internal/search"
)

// The search results page runs the search engine (internal/search) through
// the same ParseRequest the JSON API uses, so the two read every parameter
// alike. The page is one GET form: a search bar, a filter panel in the MoJ
// filter layout, and the results as a list and, with JavaScript, a map.
// Every link the page makes (pagination, removing a filter, widening the
// search) is built from the request's own parameters, tidied.

// maxQueryString caps the length of a search's query string, in bytes. The
// longest search the form can make is well under it.
const maxQueryString = 2048

// radiusChoices are the distances, in kilometres, the search form offers;
// defaultRadius is the one a search by place gets when none is given.
var radiusChoices = []string{"5", "10", "25", "50", "100"}

const defaultRadius = "25"

// listParams take several values, also comma-separated; every other
// parameter takes one, and ParseRequest reads the first.
var listParams = map[string]bool{"type": true, "need": true}

// boolParams take true or false; a false one filters nothing.
var boolParams = map[string]bool{"accepting": true, "covers": true, "open_now": true, "include_inactive": true}

// hiddenParams are parameters the form has no field for; they ride along
// as hidden inputs so that searching again keeps them.
var hiddenParams = []string{"area", "org", "include_inactive", "per_page"}

// SearchPage is the data of the search results page.
type SearchPage struct {
	Page
	// Heading is the page's h1: the service type when exactly one is
	// chosen, else "Search results".
	Heading string
	Form    SearchForm
	Filters FilterPanel
	// Errors lists the problems with the search, for the error summary;
	// when there are any, no search was run.
	Errors formErrors

	// Summary says what was found: "12 services within 25 km of Lincoln,
	// Lincolnshire".
	Summary string
	// Range says which results this page shows, when there is more than
	// one page: "Showing 21 to 40 of 57".
	Range   string
	Total   int
	Results []ResultView
	// HasMap is set when at least one result has a location to mark.
	HasMap                     bool
	TilesURL, TilesAttribution string
	Pagination                 *Pagination
	// OutOfRange is set when the page asked for is past the last one.
	OutOfRange *OutOfRange
	// Empty suggests ways to widen a search that found nothing.
	Empty *EmptyHelp
}

// SearchForm is what the search bar shows: the values searched for, the
// distances offered, and any problems with them.
type SearchForm struct {
	Query  string
	Where  string
	Radius []Option
	// Hidden are parameters without a field, kept for the next search.
	Hidden []Hidden
	// Errors holds the message for each parameter that has a problem.
	Errors map[string]string
}

// Option is one choice of a select.
type Option struct {
	Value, Text string
	Selected    bool
}

// Hidden is a hidden form input.
type Hidden struct{ Name, Value string }

// FilterPanel is what the filter panel shows.
type FilterPanel struct {
	Types     []TypeGroup
	Needs     []TypeOption
	Accepting bool
	Covers    bool
	OpenNow   bool
	Age       string
	Days      []Option
	Time      string
	Sorts     []Option
	// Selected lists the filters in use, each with a link removing it.
	Selected []FilterCategory
	// ClearURL searches again with the same words and place but no filters.
	ClearURL string
	Errors   map[string]string
}

// FilterCategory is a heading of the panel's selected filters.
type FilterCategory struct {
	Heading string
	Items   []FilterLink
}

// FilterLink names a filter in use and links to the search without it.
type FilterLink struct {
	Text string
	Href string
}

// ResultView is a service as the results list shows it.
type ResultView struct {
	ID   string
	Name string
	// Href links to the service page, with the searched place when there
	// is one, so that the page can say how far away the service is.
	Href         string
	Organisation *OrganisationLink
	Summary      string
	// Distance is "1.2 km" from the searched place to the nearest
	// location, or "" without a place.
	Distance string
	// Today is the opening times today: "Open today, 9am to 5pm", "Open
	// 24 hours", "Closed today" or "Hours not listed".
	Today string
	// Status is shown only when Inactive.
	Status   Tag
	Inactive bool
	// Stale is set when the listing has not been confirmed for
	// Config.StaleAfter; StaleSince is when it last was (fresh.go).
	Stale       bool
	StaleSince  string
	Demo        bool
	Probation   bool // accepts referrals from probation
	Types       []Tag
	Eligibility []Tag
	Exclusions  []Tag
	// HasPoint is set when the result has a location for the map.
	HasPoint bool
	Lat, Lng string
}

// Pagination is the GOV.UK pagination component's data.
type Pagination struct {
	Prev, Next string // URLs, or "" on the first or last page
	Items      []PageLink
}

// PageLink is a numbered page link, or an ellipsis between them.
type PageLink struct {
	Number   int
	Href     string
	Current  bool
	Ellipsis bool
}

// OutOfRange describes a page past the last one.
type OutOfRange struct {
	Page     int
	Pages    int
	FirstURL string
	LastURL  string
}

// EmptyHelp suggests ways to widen a search that found nothing.
type EmptyHelp struct {
	// Radii are larger distances that find something.
	Radii []Suggestion
	// Remove lists the search's words, place and filters, each with a link
	// to the search without it.
	Remove []FilterLink
	// Places are nearby towns where the same search finds something.
	Places []Suggestion
}

// Suggestion is a wider search and how many services it finds.
type Suggestion struct {
	Text  string
	Href  string
	Count int
}

func (s *Server) showSearch(w http.ResponseWriter, r *http.Request) error {
	if n := len(r.URL.RawQuery); n > maxQueryString {
		return apperr.Errorf(apperr.Invalid, "This search is too long to run: its words and filters take %d characters, and the limit is %d. Search again with fewer words or filters.", n, maxQueryString)
	}
	snap := s.snapshot()
	now := s.now()
	v := canonicalQuery(r.URL.Query())
	p := &SearchPage{TilesURL: s.cfg.TilesURL, TilesAttribution: s.cfg.TilesAttribution}
	p.Form, p.Filters = searchFormFor(snap.ix, v), filterPanelFor(snap.ix, v)
	p.Heading = "Search results"
	if len(v["type"]) == 1 {
		if t, _, ok := findType(p.Filters.Types, v.Get("type")); ok {
			p.Heading = t.Name
		}
	}
	p.Title = p.Heading

	req, err := snap.engine.ParseRequest(r.Context(), v, s.cfg.Postcodes, now)
	if err != nil {
		// ParseRequest stops at the first problem; asking again without
		// each bad parameter finds the others, so all are shown at once.
		ask := v
		for range len(search.Parameters) {
			fe, ok := errors.AsType[*apperr.FieldError](err)
			if !ok {
				return fmt.Errorf("web: reading a search: %w", err)
			}
			p.addError(fe)
			if ask = withoutField(ask, fe.Field); ask == nil {
				break
			}
			if _, err = snap.engine.ParseRequest(r.Context(), ask, s.cfg.Postcodes, now); err == nil {
				break
			}
		}
		return s.render(w, r, http.StatusBadRequest, "search", p)
	}
	p.Filters.Selected = selectedFilters(p.Filters, v, req)

	res := snap.engine.Search(req.Query)
	p.Total = res.Total
	for _, h := range res.Hits {
		rv := newResultView(snap.ix, h, req, now)
		s.markStale(&rv, snap.ix, now)
		p.HasMap = p.HasMap || rv.HasPoint
		p.Results = append(p.Results, rv)
	}
	p.Map = p.HasMap
	p.Summary = searchSummary(req, res.Total)
	pages := (res.Total + req.PerPage - 1) / req.PerPage
	switch {
	case res.Total == 0:
		p.Empty = emptyHelp(snap.engine, req, v, p.Filters.Selected)
	case len(res.Hits) == 0:
		p.OutOfRange = &OutOfRange{Page: req.Page, Pages: pages, FirstURL: pageURL(v, 1), LastURL: pageURL(v, pages)}
	case pages > 1:
		first := req.Query.Offset + 1
		p.Range = fmt.Sprintf("Showing %d to %d of %d", first, first+len(res.Hits)-1, res.Total)
		p.Pagination = newPagination(v, req.Page, pages)
		p.Title += fmt.Sprintf(" (page %d of %d)", req.Page, pages)
	}
	return s.render(w, r, http.StatusOK, "search", p)
}

// canonicalQuery returns the search parameters of a request, tidied: only
// those ParseRequest reads, trimmed, lists split at commas, empty and
// default values dropped. need=referrals-from-probation is written as
// accepting=1, which means the same and has its own checkbox; lat and lon
// become where="lat,lon", which the place box can show. A radius without a
// place is dropped (the form always sends one), and a place without a
// radius gets the default one.
func canonicalQuery(in url.Values) url.Values {
	out := url.Values{}
	for _, name := range search.Parameters {
		vals := in[name]
		if len(vals) == 0 {
			continue
		}
		if !listParams[name] {
			if val := strings.TrimSpace(vals[0]); val != "" && !(boolParams[name] && isFalse(val)) {
				out.Set(name, val)
			}
			continue
		}
		for _, val := range vals {
			for item := range strings.SplitSeq(val, ",") {
				if item = strings.TrimSpace(item); item != "" && !slices.Contains(out[name], item) {
					out.Add(name, item)
				}
			}
		}
	}
	if needs := out["need"]; slices.ContainsFunc(needs, isProbationCode) {
		needs = slices.DeleteFunc(slices.Clone(needs), isProbationCode)
		if len(needs) == 0 {
			out.Del("need")
		} else {
			out["need"] = needs
		}
		out.Set("accepting", "1")
	}
	if lat, lon := out.Get("lat"), out.Get("lon"); lat != "" && lon != "" {
		out.Set("where", lat+","+lon)
		out.Del("lat")
		out.Del("lon")
	}
	if out.Get("sort") == "relevance" {
		out.Del("sort")
	}
	if out.Get("page") == "1" {
		out.Del("page")
	}
	switch {
	case !hasPlace(out):
		out.Del("radius")
	case out.Get("radius") == "":
		out.Set("radius", defaultRadius)
	}
	return out
}

func isProbationCode(code string) bool { return strings.EqualFold(code, probationTermCode) }

func hasPlace(v url.Values) bool {
	return v.Get("where") != "" || v.Get("lat") != "" || v.Get("lon") != ""
}

// isFalse reports whether a boolean parameter's value says no.
func isFalse(s string) bool {
	switch strings.ToLower(s) {
	case "0", "false", "no", "off":
		return true
	}
	return false
}

// isTrue reports whether a boolean parameter's value says yes.
func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// searchURL returns the URL of the search with parameters v.
func searchURL(v url.Values) string {
	if len(v) == 0 {
		return "/search"
	}
	return "/search?" + v.Encode()
}

// without returns a copy of v without the named parameters, and without
// the page number, which a changed search starts again from.
func without(v url.Values, names ...string) url.Values {
	out := url.Values{}
	for k, vals := range v {
		if k != "page" && !slices.Contains(names, k) {
			out[k] = slices.Clone(vals)
		}
	}
	return out
}

// withoutValue returns a copy of v (at page 1) with one value of a list
// parameter removed.
func withoutValue(v url.Values, name, value string) url.Values {
	out := without(v)
	out[name] = slices.DeleteFunc(out[name], func(s string) bool { return s == value })
	if len(out[name]) == 0 {
		delete(out, name)
	}
	return out
}

// withoutPlace returns a copy of v (at page 1) without its place and what
// only makes sense with one.
func withoutPlace(v url.Values) url.Values {
	out := without(v, "where", "lat", "lon", "radius", "covers")
	if out.Get("sort") == "distance" {
		out.Del("sort")
	}
	return out
}

// withoutField returns a copy of v in which the parameter a FieldError
// named no longer fails, so that the parameters read after it are
// checked too: a bad place or day is replaced by a good one, which the
// radius or time need; anything else is dropped. It returns nil when v
// has no such parameter, so that asking again would not help.
func withoutField(v url.Values, field string) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = slices.Clone(vals)
	}
	switch field {
	case "where", "lat", "lon":
		if !hasPlace(v) {
			return nil
		}
		out.Del("lat")
		out.Del("lon")
		out.Set("where", "0,0")
	case "day":
		if !v.Has("day") {
			return nil
		}
		out.Set("day", days[0])
	default:
		if !v.Has(field) {
			return nil
		}
		out.Del(field)
	}
	return out
}

// pageURL returns the URL of page n of the search v.
func pageURL(v url.Values, n int) string {
	out := without(v)
	if n > 1 {
		out.Set("page", strconv.Itoa(n))
	}
	return searchURL(out)
}

// searchFormFor echoes the search bar's values.
func searchFormFor(ix *directory.Index, v url.Values) SearchForm {
	f := SearchForm{Query: v.Get("q"), Where: v.Get("where"), Radius: radiusOptions(v.Get("radius"))}
	for _, name := range hiddenParams {
		if val := v.Get(name); val != "" {
			f.Hidden = append(f.Hidden, Hidden{Name: name, Value: val})
		}
	}
	return f
}

// radiusOptions returns the distances to offer, with current (or the
// default) selected; a current value that is not one of the choices is
// offered too, so that the form keeps it.
func radiusOptions(current string) []Option {
	if current == "" {
		current = defaultRadius
	}
	var out []Option
	for _, km := range radiusChoices {
		out = append(out, Option{Value: km, Text: km + " km", Selected: km == current})
	}
	if !slices.Contains(radiusChoices, current) {
		out = append(out, Option{Value: current, Text: current + " km", Selected: true})
	}
	return out
}

// days are the values of the form's day select, Monday first.
var days = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// normaliseDay returns the full lower-case name of a day given as
// ParseRequest accepts it ("mo", "mon", "Monday"), or s itself.
func normaliseDay(s string) string {
	l := strings.ToLower(strings.TrimSpace(s))
	for _, d := range days {
		if l == d || l == d[:2] || l == d[:3] {
			return d
		}
	}
	return s
}

// filterPanelFor echoes the filter panel's values.
func filterPanelFor(ix *directory.Index, v url.Values) FilterPanel {
	f := FilterPanel{
		Types:     serviceTypes(ix, v["type"]),
		Needs:     needOptions(ix, v["need"]),
		Accepting: isTrue(v.Get("accepting")),
		Covers:    isTrue(v.Get("covers")),
		OpenNow:   isTrue(v.Get("open_now")),
		Age:       v.Get("age"),
		Time:      v.Get("time"),
		ClearURL:  searchURL(without(v, "type", "need", "accepting", "covers", "age", "open_now", "day", "time", "sort")),
	}
	day := normaliseDay(v.Get("day"))
	f.Days = append(f.Days, Option{Value: "", Text: "Any day", Selected: day == ""})
	for _, d := range days {
		f.Days = append(f.Days, Option{Value: d, Text: strings.ToUpper(d[:1]) + d[1:], Selected: d == day})
	}
	sort := cmp.Or(v.Get("sort"), "relevance")
	for _, o := range []Option{{Value: "relevance", Text: "Best match"}, {Value: "distance", Text: "Nearest first"}, {Value: "name", Text: "Name (A to Z)"}} {
		o.Selected = o.Value == sort
		f.Sorts = append(f.Sorts, o)
	}
	return f
}

// selectedFilters lists the filters of a parsed search, each with a link
// to the search without it, grouped as the panel shows them.
func selectedFilters(f FilterPanel, v url.Values, req search.Request) []FilterCategory {
	var out []FilterCategory
	add := func(heading string, items ...FilterLink) {
		if len(items) > 0 {
			out = append(out, FilterCategory{Heading: heading, Items: items})
		}
	}
	var types []FilterLink
	for _, code := range v["type"] {
		name := code
		if t, _, ok := findType(f.Types, code); ok {
			name = t.Name
		}
		types = append(types, FilterLink{Text: name, Href: searchURL(withoutValue(v, "type", code))})
	}
	add("Type of service", types...)
	var needs []FilterLink
	for _, code := range v["need"] {
		name := code
		if i := slices.IndexFunc(f.Needs, func(o TypeOption) bool { return strings.EqualFold(o.Code, code) }); i >= 0 {
			name = f.Needs[i].Name
		}
		needs = append(needs, FilterLink{Text: name, Href: searchURL(withoutValue(v, "need", code))})
	}
	add("Who it accepts", needs...)
	if req.Accepting {
		add("Referrals", FilterLink{Text: "Accepts referrals from probation", Href: searchURL(without(v, "accepting"))})
	}
	if req.Covers {
		add("Area", FilterLink{Text: "Covers " + req.Place, Href: searchURL(without(v, "covers"))})
	}
	if req.Query.Age != nil {
		add("Age", FilterLink{Text: "Aged " + strconv.Itoa(*req.Query.Age), Href: searchURL(without(v, "age"))})
	}
	if o := req.Query.Open; o != nil {
		text := "Open now"
		if !isTrue(v.Get("open_now")) {
			text = "Open on " + o.Day.String() + " at " + clockText(o.Minute)
		}
		add("When it is open", FilterLink{Text: text, Href: searchURL(without(v, "open_now", "day", "time"))})
	}
	return out
}

// fieldLabels name the search's parameters in error messages.
var fieldLabels = map[string]string{
	"q": "Keywords", "where": "Postcode or place", "radius": "Distance", "lat": "Latitude", "lon": "Longitude",
	"type": "Type of service", "need": "Who it accepts", "age": "Age", "day": "Day", "time": "Time",
	"open_now": "Open now", "covers": "Covers this place", "area": "Area code", "accepting": "Accepts referrals from probation",
	"org": "Organisation", "include_inactive": "Include closed services", "sort": "Sort by", "page": "Page number", "per_page": "Results per page",
}

// errorText turns a FieldError's message into a sentence: messages that
// start with a verb ("must be …") get the field's name in front.
func errorText(fe *apperr.FieldError) string {
	msg := fe.Msg
	if strings.HasPrefix(msg, "must ") || strings.HasPrefix(msg, "needs ") {
		msg = cmp.Or(fieldLabels[fe.Field], fe.Field) + " " + msg
	}
	return upperFirst(msg)
}

// addError records a problem with the search for the error summary and
// beside its field.
func (p *SearchPage) addError(fe *apperr.FieldError) {
	text := errorText(fe)
	field := fe.Field
	switch field {
	case "lat", "lon":
		field = "where"
	}
	var href string
	switch field {
	case "q", "where", "radius", "age", "day", "time", "open_now", "covers", "accepting", "sort":
		href = "#" + field
	case "type":
		if len(p.Filters.Types) > 0 {
			// The summary links to the first checkbox, which must be in view.
			p.Filters.Types[0].Open = true
			href = "#type-" + p.Filters.Types[0].Code
		}
	case "need":
		if len(p.Filters.Needs) > 0 {
			href = "#need-" + p.Filters.Needs[0].Code
		}
	}
	p.Errors.addLinked(field, href, text)
	p.Form.Errors = p.Errors.Field
	p.Filters.Errors = p.Errors.Field
	p.Title = errorTitle(p.Title)
}

// newResultView builds the list entry of a hit.
func newResultView(ix *directory.Index, h search.Hit, req search.Request, now time.Time) ResultView {
	svc, _ := ix.Service(ix.ServiceAt(h.Service).ID)
	v := ResultView{
		ID:       svc.ID,
		Name:     svc.Name,
		Href:     "/services/" + svc.ID,
		Summary:  summary(svc.Description, 240),
		Status:   statusTag(svc.Status),
		Inactive: !strings.EqualFold(strings.TrimSpace(svc.Status), "active") && strings.TrimSpace(svc.Status) != "",
	}
	if svc.Organization != nil {
		v.Organisation = &OrganisationLink{ID: svc.Organization.ID, Name: svc.Organization.Name}
	}
	// Referrals from probation get a tag of their own.
	attrs := slices.DeleteFunc(slices.Clone(svc.Attributes), func(a directory.Attribute) bool {
		t := a.TaxonomyTerm
		if t != nil && isProbationCode(t.Code) && inTaxonomy(ix, t, eligibilityTaxonomy) {
			v.Probation = true
			return true
		}
		return false
	})
	tags := classify(ix, attrs)
	v.Demo, v.Types, v.Eligibility, v.Exclusions = tags.Demo, tags.Types, tags.Eligibility, tags.Exclusions

	var salID string
	if h.SAL >= 0 {
		sal := ix.ServiceAtLocationAt(h.SAL)
		salID = sal.ID
		if l, ok := ix.LocationFlat(sal.LocationID); ok && l.Latitude != nil && l.Longitude != nil {
			v.HasPoint = true
			v.Lat = strconv.FormatFloat(*l.Latitude, 'f', 6, 64)
			v.Lng = strconv.FormatFloat(*l.Longitude, 'f', 6, 64)
		}
	}
	if req.Point != nil {
		v.Href += "?from=" + fromParam(*req.Point)
		if h.Distance >= 0 {
			v.Distance = formatKm(h.Distance)
		}
	}
	v.Today = hoursToday(scheduleOwner(svc, salID), now)
	return v
}

// fromParam writes a point as the service page's from parameter.
func fromParam(p geo.Point) string {
	return strconv.FormatFloat(p.Lat, 'f', 5, 64) + "," + strconv.FormatFloat(p.Lon, 'f', 5, 64)
}

// parseFrom reads the service page's from parameter, "lat,lon".
func parseFrom(s string) (geo.Point, bool) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return geo.Point{}, false
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	p := geo.Point{Lat: lat, Lon: lon}
	if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return geo.Point{}, false
	}
	return p, true
}

// searchSummary says what a search found: "12 services matching
// “counselling” within 25 km of Lincoln, Lincolnshire".
func searchSummary(req search.Request, total int) string {
	var b strings.Builder
	switch total {
	case 0:
		b.WriteString("No services found")
	case 1:
		b.WriteString("1 service")
	default:
		fmt.Fprintf(&b, "%d services", total)
	}
	if req.Query.Text != "" {
		fmt.Fprintf(&b, " matching “%s”", req.Query.Text)
	}
	if req.Point != nil {
		if req.RadiusKm > 0 {
			fmt.Fprintf(&b, " within %s km of %s", strconv.FormatFloat(req.RadiusKm, 'f', -1, 64), req.Place)
		} else {
			fmt.Fprintf(&b, " near %s", req.Place)
		}
	}
	return b.String()
}

// newPagination builds the links to the pages of a search: the first, the
// last, and those either side of the current one, with ellipses between.
func newPagination(v url.Values, current, pages int) *Pagination {
	p := &Pagination{}
	if current > 1 {
		p.Prev = pageURL(v, current-1)
	}
	if current < pages {
		p.Next = pageURL(v, current+1)
	}
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < current-1 || n > current+1) {
			continue
		}
		if last > 0 && n > last+1 {
			p.Items = append(p.Items, PageLink{Ellipsis: true})
		}
		p.Items = append(p.Items, PageLink{Number: n, Href: pageURL(v, n), Current: n == current})
		last = n
	}
	return p
}

// Limits on the suggestions for a search that found nothing.
const (
	maxRadiusSuggestions = 3
	maxPlaceSuggestions  = 4
	maxPlacesTried       = 12
	nearbyPlaceKm        = 60
)

// emptyHelp suggests how to widen a search that found nothing: larger
// distances and nearby towns where the same search finds something (with
// how many), and the search's words, place and filters, each with a link
// removing it.
func emptyHelp(e *search.Engine, req search.Request, v url.Values, selected []FilterCategory) *EmptyHelp {
	h := &EmptyHelp{}
	count := func(q search.Query) int {
		q.Offset, q.Limit = 0, 1
		return e.Search(q).Total
	}
	if req.Point != nil && req.Query.Radius > 0 {
		for _, km := range radiusChoices {
			n, _ := strconv.ParseFloat(km, 64)
			if n <= req.RadiusKm || len(h.Radii) == maxRadiusSuggestions {
				continue
			}
			q := req.Query
			q.Radius = n * 1000
			if c := count(q); c > 0 {
				u := without(v)
				u.Set("radius", km)
				h.Radii = append(h.Radii, Suggestion{Text: "within " + km + " km", Href: searchURL(u), Count: c})
			}
		}
	}
	if req.Point != nil {
		type near struct {
			place geo.Place
			d     float64
		}
		var cands []near
		for _, pl := range geo.Places() {
			d := geo.Distance(*req.Point, pl.Location)
			// The searched town itself is not a suggestion.
			if d > 2000 && d <= nearbyPlaceKm*1000 {
				cands = append(cands, near{pl, d})
			}
		}
		slices.SortFunc(cands, func(a, b near) int { return cmp.Compare(a.d, b.d) })
		var areaCodes []string
		if a := v.Get("area"); a != "" {
			areaCodes = []string{strings.ToUpper(a)}
		}
		for _, c := range cands[:min(len(cands), maxPlacesTried)] {
			if len(h.Places) == maxPlaceSuggestions {
				break
			}
			q := req.Query
			pt := c.place.Location
			q.Near = &pt
			if q.CoversPoint != nil {
				q.CoversPoint, q.CoversCodes = &pt, areaCodes
			}
			if n := count(q); n > 0 {
				u := without(v, "lat", "lon")
				u.Set("where", c.place.Name)
				h.Places = append(h.Places, Suggestion{Text: c.place.Name, Href: searchURL(u), Count: n})
			}
		}
	}
	if req.Query.Text != "" {
		h.Remove = append(h.Remove, FilterLink{Text: "the words “" + req.Query.Text + "”", Href: searchURL(without(v, "q"))})
	}
	if req.Point != nil {
		h.Remove = append(h.Remove, FilterLink{Text: "the place " + req.Place, Href: searchURL(withoutPlace(v))})
	}
	for _, c := range selected {
		for _, it := range c.Items {
			h.Remove = append(h.Remove, FilterLink{Text: "the filter “" + it.Text + "”", Href: it.Href})
		}
	}
	return h
}
