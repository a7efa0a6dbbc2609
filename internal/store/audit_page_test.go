package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

// Paging back through the audit log: each page starts below the oldest
// event of the page before, with the other filters still applied.
func TestAuditEventsBeforeSeq(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		base := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		for i := range 7 {
			ev := audit.Event{At: base.Add(time.Duration(i) * time.Minute), ActorID: []string{"a", "b"}[i%2], Action: audit.UserUpdated}
			if _, err := db.AppendAudit(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		seqs := func(f store.AuditFilter) []int64 {
			t.Helper()
			evs, err := db.AuditEvents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, e := range evs {
				out = append(out, e.Seq)
			}
			return out
		}
		for _, c := range []struct {
			name string
			f    store.AuditFilter
			want []int64
		}{
			{"first page", store.AuditFilter{Limit: 3}, []int64{7, 6, 5}},
			{"second page", store.AuditFilter{Limit: 3, BeforeSeq: 5}, []int64{4, 3, 2}},
			{"last page", store.AuditFilter{Limit: 3, BeforeSeq: 2}, []int64{1}},
			{"past the start", store.AuditFilter{BeforeSeq: 1}, nil},
			{"with an actor", store.AuditFilter{ActorID: "a", BeforeSeq: 5, Limit: 10}, []int64{3, 1}},
			{"with since", store.AuditFilter{Since: base.Add(2 * time.Minute), BeforeSeq: 6}, []int64{5, 4, 3}},
		} {
			if got := seqs(c.f); !slices.Equal(got, c.want) {
				t.Errorf("%s: seqs %v, want %v", c.name, got, c.want)
			}
		}
	})
}
