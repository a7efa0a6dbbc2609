package web

import (
	"net/http"
	"net/url"

	"throughcare/internal/apperr"
	"throughcare/internal/listing"
)

// A service's change history, rebuilt from the directory's own HSDS
// metadata rows (store.ServiceHistory): each version says when, who (the
// metadata's updated_by, which names staff by email address) and which
// fields changed. It is for signed-in users only; the public page says
// just when the listing was last updated.

// HistoryPage is the data of a service's change history.
type HistoryPage struct {
	Page
	ServiceID, ServiceName string
	Versions               []HistoryVersion
}

// HistoryVersion is one version of a listing.
type HistoryVersion struct {
	When, Who string
	// What says what kind of version it was ("Imported", "Checked").
	What    string
	Changes []DiffRow
}

func (s *Server) showServiceHistory(w http.ResponseWriter, r *http.Request) error {
	ix := s.index()
	id := r.PathValue("id")
	svc, ok := ix.ServiceFlat(id)
	if !ok {
		return apperr.Errorf(apperr.NotFound, "no service with id %q", id)
	}
	entries, err := s.cfg.DB.ServiceHistory(r.Context(), id)
	if err != nil {
		return err
	}
	p := &HistoryPage{Page: Page{Title: "Change history: " + svc.Name}, ServiceID: url.PathEscape(id), ServiceName: svc.Name}
	p.Breadcrumbs = trail(homeTrail, Crumb{svc.Name, "/services/" + url.PathEscape(id)})
	for _, e := range entries {
		v := HistoryVersion{When: formatWhen(e.At), Who: e.UpdatedBy, What: historyKind(e)}
		if e.At.IsZero() {
			v.When = e.Date
		}
		v.Changes = diffRows(ix, nil, e.Changes)
		p.Versions = append(p.Versions, v)
	}
	return s.render(w, r, http.StatusOK, "history", p)
}

// historyKind says what made a version: a check that the listing is
// still right, a change made through Throughcare, or an import.
func historyKind(e listing.HistoryEntry) string {
	switch {
	case len(e.Changes) > 0 && e.Changes[0].Action == listing.ActionAssure:
		return "Checked and confirmed"
	case e.ChangeID != "":
		return "Changed"
	}
	for _, c := range e.Changes {
		if c.Record == "service" && c.Action == listing.ActionCreate {
			return "Added"
		}
	}
	return "Updated"
}
