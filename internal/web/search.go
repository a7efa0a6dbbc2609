package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
)

// This file holds a simple stand-in for directory search: a keyword and
// service-type filter run over the index on every request. It exists so the
// pages work end to end; the ranked search engine replaces keywordSearch
// (and adds the place filter) without changing SearchPage or the template.

// maxResults caps the services one results page lists.
const maxResults = 50

// maxQuery caps the length of the keywords, in characters.
const maxQuery = 200

// SearchPage is the data of the search results page.
type SearchPage struct {
	Page
	// Form holds the keywords and place as typed, and the service types.
	Form SearchForm
	// Type is the service-type code filtered on, or "".
	Type string
	// TypeName names the service type filtered on.
	TypeName string
	// Searched is false when no keyword or type was given.
	Searched bool
	Results  []ServiceSummary
	// Total counts every match; Results holds at most maxResults of them.
	Total int
	// WhereIgnored is set when a place was given but not used.
	WhereIgnored bool
}

func (s *Server) showSearch(w http.ResponseWriter, r *http.Request) error {
	ix := s.index()
	q := r.URL.Query()
	p := &SearchPage{
		Page: Page{Title: "Search results"},
		Form: SearchForm{Query: strings.TrimSpace(q.Get("q")), Where: strings.TrimSpace(q.Get("where"))},
		Type: strings.TrimSpace(q.Get("type")),
	}
	if utf8.RuneCountInString(p.Form.Query) > maxQuery {
		return apperr.Field("q", "search words must be %d characters or fewer", maxQuery)
	}
	if utf8.RuneCountInString(p.Form.Where) > maxQuery {
		return apperr.Field("where", "the postcode or place must be %d characters or fewer", maxQuery)
	}
	p.Form.Types = serviceTypes(ix, p.Type)
	var typeCodes []string
	if p.Type != "" {
		t, codes, ok := findType(p.Form.Types, p.Type)
		if !ok {
			return apperr.Field("type", "there is no service type with the code %q", p.Type)
		}
		p.TypeName, p.Title, typeCodes = t.Name, t.Name, codes
	}
	p.WhereIgnored = p.Form.Where != ""
	p.Searched = p.Form.Query != "" || p.Type != ""
	if p.Searched {
		matches := keywordSearch(ix, p.Form.Query, typeCodes)
		p.Total = len(matches)
		for _, i := range matches[:min(len(matches), maxResults)] {
			p.Results = append(p.Results, newServiceSummary(ix, i))
		}
	}
	return s.render(w, r, http.StatusOK, "search", p)
}

// keywordSearch returns the positions of the services whose name,
// alternate name, description or organisation name contain every word of
// query (ignoring case) and, if typeCodes is not empty, that have one of
// those service types. Closed services are left out. The result is sorted
// by name.
func keywordSearch(ix *directory.Index, query string, typeCodes []string) []int {
	words := strings.Fields(strings.ToLower(query))
	var out []int
	for i := range ix.NumServices() {
		svc := ix.ServiceAt(i)
		if strings.EqualFold(svc.Status, "defunct") {
			continue
		}
		if len(words) > 0 {
			text := strings.ToLower(svc.Name + "\n" + svc.AlternateName + "\n" + svc.Description)
			if o := ix.ServiceBrief(i).Organization; o != nil {
				text += "\n" + strings.ToLower(o.Name)
			}
			if !containsAll(text, words) {
				continue
			}
		}
		if len(typeCodes) > 0 && !hasServiceType(ix, svc.ID, typeCodes) {
			continue
		}
		out = append(out, i)
	}
	slices.SortStableFunc(out, func(a, b int) int {
		return cmp.Compare(strings.ToLower(ix.ServiceAt(a).Name), strings.ToLower(ix.ServiceAt(b).Name))
	})
	return out
}

func containsAll(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}
