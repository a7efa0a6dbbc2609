package web

import (
	"net/http"
	"testing"
	"time"

	"throughcare/internal/store/storetest"
)

// The provider's own page judges staleness by the site's --stale-after,
// as search results and the freshness reports do.
func TestProviderPageUsesStaleAfter(t *testing.T) {
	f := newWalkFixture(t, storetest.SQLite(t))
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) // the fixture's talking therapies were written on 30 June 2025
	for _, c := range []struct {
		after time.Duration
		stale bool
	}{
		{20 * 365 * 24 * time.Hour, false},
		{30 * 24 * time.Hour, true},
	} {
		srv := newTestServer(t, Config{Index: f.srv.cfg.Index, DB: f.db, LinkKey: f.srv.cfg.LinkKey, StaleAfter: c.after, Now: func() time.Time { return now }}, nil)
		res := serveAs(t, srv, f.db, f.user(provider), http.MethodGet, "/provider", nil)
		doc := parseHTML(t, body(t, res))
		row := doc.Find("#listing-" + talkingID)
		if res.StatusCode != http.StatusOK || len(row) != 1 {
			t.Fatalf("stale after %v: status %d, %d rows for the service", c.after, res.StatusCode, len(row))
		}
		if got := len(row[0].Find(".govuk-tag--orange")) == 1; got != c.stale {
			t.Errorf("stale after %v: marked stale %v, want %v", c.after, got, c.stale)
		}
	}
}
