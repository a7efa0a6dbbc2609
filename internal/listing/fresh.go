package listing

import (
	"slices"
	"strings"
	"time"

	"throughcare/internal/directory"
)

// DefaultStaleAfter is how long a listing stays fresh by default: 183 days,
// about six months.
const DefaultStaleAfter = 183 * 24 * time.Hour

// Checked returns when a listing was last known to be right: the later of
// assured (the service's assured_date, YYYY-MM-DD) and lastModified (its
// last_modified, or when it was imported if it has none; RFC 3339 or
// YYYY-MM-DD). A value that is empty or does not parse is ignored; if
// neither gives a date, ok is false.
func Checked(assured, lastModified string) (t time.Time, ok bool) {
	a, okA := ParseDate(assured)
	m, okM := ParseDate(lastModified)
	switch {
	case okA && okM:
		if m.After(a) {
			return m, true
		}
		return a, true
	case okA:
		return a, true
	case okM:
		return m, true
	}
	return time.Time{}, false
}

// Stale reports whether a listing is stale at now: nobody has assured or
// changed it for longer than after (DefaultStaleAfter when after is not
// positive), counting from Checked(assured, lastModified). A listing with
// no date at all is stale: nothing says it was ever checked.
func Stale(assured, lastModified string, now time.Time, after time.Duration) bool {
	if after <= 0 {
		after = DefaultStaleAfter
	}
	t, ok := Checked(assured, lastModified)
	return !ok || now.Sub(t) > after
}

// StaleService is a service whose listing is stale.
type StaleService struct {
	ServiceID      string
	OrganizationID string    // HSDS organization
	Since          time.Time // when it was last checked (see Checked); zero if never
}

// StaleServices returns the services of ds whose listings are stale at now
// (see Stale), oldest check first, services never checked before them. A
// service with no last_modified counts from its newest HSDS metadata row
// in ds (the import or change that last wrote it). Services whose status is
// defunct are left out: nobody needs reminding about them. It reads only
// ds, so the server can run it on the in-memory directory.
func StaleServices(ds *directory.Dataset, now time.Time, after time.Duration) []StaleService {
	if after <= 0 {
		after = DefaultStaleAfter
	}
	written := map[string]time.Time{}
	for _, m := range ds.Metadata {
		if m.ResourceType != "service" {
			continue
		}
		if t, ok := ParseDate(m.LastActionDate); ok && t.After(written[m.ResourceID]) {
			written[m.ResourceID] = t
		}
	}
	var out []StaleService
	for _, s := range ds.Services {
		if strings.EqualFold(s.Status, "defunct") {
			continue
		}
		modified := s.LastModified
		if _, ok := ParseDate(modified); !ok {
			if t, ok := written[s.ID]; ok {
				modified = t.Format(time.RFC3339Nano)
			}
		}
		if Stale(s.AssuredDate, modified, now, after) {
			since, _ := Checked(s.AssuredDate, modified)
			out = append(out, StaleService{ServiceID: s.ID, OrganizationID: s.OrganizationID, Since: since})
		}
	}
	slices.SortStableFunc(out, func(a, b StaleService) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.ServiceID, b.ServiceID)
	})
	return out
}
