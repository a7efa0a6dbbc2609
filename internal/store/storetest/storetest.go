// Package storetest opens fresh, migrated databases for tests: an in-memory
// SQLite database always, and a private schema on the PostgreSQL server
// named by THROUGHCARE_TEST_POSTGRES when that variable is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"throughcare/internal/store"
)

// EnvPostgres names the variable holding a PostgreSQL URL for tests.
const EnvPostgres = "THROUGHCARE_TEST_POSTGRES"

// Each runs fn as a subtest once per engine: "sqlite" always, "postgres"
// when THROUGHCARE_TEST_POSTGRES is set (otherwise that subtest skips and
// says why). Each run gets a fresh, migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a fresh, migrated in-memory SQLite database.
func SQLite(tb testing.TB) *store.DB {
	tb.Helper()
	return open(tb, "sqlite::memory:")
}

// SQLiteFile returns a fresh, migrated SQLite database in a file under
// tb.TempDir, for tests that need WAL mode or several connections.
func SQLiteFile(tb testing.TB) *store.DB {
	tb.Helper()
	return open(tb, "sqlite:"+tb.TempDir()+"/test.db")
}

// Postgres returns a fresh, migrated PostgreSQL database: a new schema on
// the server named by THROUGHCARE_TEST_POSTGRES, dropped when the test ends.
// Without the variable the test is skipped with a message.
func Postgres(tb testing.TB) *store.DB {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		tb.Skipf("PostgreSQL tests skipped: set %s=postgres://user@host:5432/db?sslmode=disable to run them", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create test schema on %s: %v", EnvPostgres, err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return open(tb, u.String())
}

func open(tb testing.TB, dsn string) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}
