package api

import (
	"bufio"
	"encoding/json"
	"net/http"
)

// Page is the HSDS list envelope.
type Page[T any] struct {
	TotalItems int  `json:"total_items"`
	TotalPages int  `json:"total_pages"`
	PageNumber int  `json:"page_number"`
	Size       int  `json:"size"` // items on this page
	FirstPage  bool `json:"first_page"`
	LastPage   bool `json:"last_page"`
	Empty      bool `json:"empty"` // no items on this page
	Contents   []T  `json:"contents"`
}

// newPage cuts the requested page out of idx (positions, in order) and
// renders its items. A page past the end is empty, not an error.
func newPage[T any](pg paging, idx []int, item func(int) T) Page[T] {
	total := len(idx)
	pages := (total + pg.perPage - 1) / pg.perPage
	p := Page[T]{
		TotalItems: total,
		TotalPages: pages,
		PageNumber: pg.page,
		FirstPage:  pg.page == 1,
		LastPage:   pg.page >= pages,
		Contents:   []T{},
	}
	if pg.page <= pages {
		start := (pg.page - 1) * pg.perPage
		end := min(start+pg.perPage, total)
		p.Contents = make([]T, 0, end-start)
		for _, i := range idx[start:end] {
			p.Contents = append(p.Contents, item(i))
		}
	}
	p.Size = len(p.Contents)
	p.Empty = p.Size == 0
	return p
}

// list answers a list endpoint: the page asked for as JSON, or with
// format=ndjson every item, unpaginated, one JSON document a line, rendered
// by full.
func list[T any](s *server, w http.ResponseWriter, r *http.Request, format string, pg paging, idx []int, item, full func(int) T) error {
	if format == "ndjson" {
		s.stream(w, r, idx, func(i int) any { return full(i) })
		return nil
	}
	return writeJSON(w, newPage(pg, idx, item))
}

// stream writes one JSON document a line. Once the first line is out the
// status is sent, so a failure part-way can only be logged and the stream
// cut short.
func (s *server) stream(w http.ResponseWriter, r *http.Request, idx []int, item func(int) any) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for n, i := range idx {
		if n%256 == 0 && r.Context().Err() != nil {
			return // the client has gone
		}
		if err := enc.Encode(item(i)); err != nil {
			s.log.ErrorContext(r.Context(), "ndjson stream cut short", "path", r.URL.Path, "err", err)
			return
		}
	}
	bw.Flush()
}
