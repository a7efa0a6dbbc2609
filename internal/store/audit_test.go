package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
	"throughcare/internal/store/storetest"
)

func TestAuditLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if brokenAt, err := db.VerifyAudit(ctx); brokenAt != 0 || err != nil {
			t.Fatalf("empty log: %d, %v", brokenAt, err)
		}
		base := time.Date(2026, 4, 2, 10, 0, 0, 0, time.UTC)
		var stored []audit.Event
		for i := range 5 {
			ev := audit.Event{At: base.Add(time.Duration(i) * time.Hour), ActorID: []string{"a", "b"}[i%2],
				Action: []audit.Action{audit.UserSignedIn, audit.ListingChanged}[i%2], RecordType: "service",
				RecordID: []string{"r1", "r2", "r3"}[i%3], IP: "192.0.2.7"}
			e, err := db.AppendAudit(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			if e.Seq != int64(i+1) {
				t.Errorf("event %d got seq %d", i, e.Seq)
			}
			stored = append(stored, e)
		}
		if _, err := db.AppendAudit(ctx, audit.Event{Action: "Bad"}); !errors.Is(err, apperr.Invalid) {
			t.Errorf("bad action: %v, want Invalid", err)
		}

		head, brokenAt, err := db.VerifyAuditHead(ctx)
		if brokenAt != 0 || err != nil || head.Seq != 5 || string(head.Hash) != string(stored[4].Hash) {
			t.Fatalf("intact log: head %+v, brokenAt %d, %v", head, brokenAt, err)
		}

		for _, c := range []struct {
			name string
			f    store.AuditFilter
			want []int64
		}{
			{"all", store.AuditFilter{}, []int64{5, 4, 3, 2, 1}},
			{"action", store.AuditFilter{Action: audit.ListingChanged}, []int64{4, 2}},
			{"actor", store.AuditFilter{ActorID: "a"}, []int64{5, 3, 1}},
			{"record", store.AuditFilter{RecordID: "r1"}, []int64{4, 1}},
			{"since", store.AuditFilter{Since: base.Add(3 * time.Hour)}, []int64{5, 4}},
			{"limit", store.AuditFilter{Limit: 2}, []int64{5, 4}},
			{"combined", store.AuditFilter{ActorID: "a", RecordID: "r3", Since: base}, []int64{3}},
			{"none", store.AuditFilter{ActorID: "zzz"}, nil},
		} {
			got, err := db.AuditEvents(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var seqs []int64
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if !slices.Equal(seqs, c.want) {
				t.Errorf("%s: seqs %v, want %v", c.name, seqs, c.want)
			}
		}
		got, _ := db.AuditEvents(ctx, store.AuditFilter{Limit: 1})
		if len(got) != 1 || got[0].IP != "192.0.2.7" || !got[0].At.Equal(stored[4].At) || string(got[0].PrevHash) != string(stored[3].Hash) {
			t.Errorf("newest event read back = %+v, want %+v", got, stored[4])
		}

		// The triggers refuse to change or delete audit rows.
		raw := db.SQL()
		if _, err := raw.ExecContext(ctx, `UPDATE audit_event SET record_id = 'forged' WHERE seq = 3`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("UPDATE of an audit row: %v, want the append-only error", err)
		}
		if _, err := raw.ExecContext(ctx, `DELETE FROM audit_event WHERE seq = 5`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("DELETE of an audit row: %v, want the append-only error", err)
		}
		if brokenAt, err := db.VerifyAudit(ctx); brokenAt != 0 || err != nil {
			t.Fatalf("after refused tampering: %d, %v", brokenAt, err)
		}

		// Someone with the rights to drop the trigger can still change a
		// row, but the chain shows where.
		tamper(t, db, `UPDATE audit_event SET record_id = 'forged' WHERE seq = 3`)
		brokenAt, err = db.VerifyAudit(ctx)
		if brokenAt != 3 || !errors.Is(err, audit.ErrBroken) || !strings.Contains(err.Error(), "content does not match its hash") {
			t.Errorf("tampered log: brokenAt %d, %v; want 3 and a content mismatch", brokenAt, err)
		}
	})
}

func TestAuditLogDeletedRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for range 4 {
			if _, err := db.AppendAudit(ctx, audit.Event{Action: audit.ImportRun}); err != nil {
				t.Fatal(err)
			}
		}
		tamper(t, db, `DELETE FROM audit_event WHERE seq = 2`)
		brokenAt, err := db.VerifyAudit(ctx)
		if brokenAt != 2 || !errors.Is(err, audit.ErrBroken) {
			t.Errorf("deleted row: brokenAt %d, %v; want 2", brokenAt, err)
		}
	})
}

// tamper runs stmt with the append-only triggers dropped, then restores
// them, as an attacker with full database rights could.
func tamper(t *testing.T, db *store.DB, stmt string) {
	t.Helper()
	ctx := context.Background()
	raw := db.SQL()
	var drop, restore []string
	switch db.Engine() {
	case "sqlite":
		drop = []string{`DROP TRIGGER audit_event_no_update`, `DROP TRIGGER audit_event_no_delete`}
		restore = []string{
			`CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END`,
			`CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END`,
		}
	default:
		drop = []string{`ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only`}
		restore = []string{`ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only`}
	}
	for _, s := range append(append(drop, stmt), restore...) {
		if _, err := raw.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
