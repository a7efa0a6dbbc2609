package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// Migration is one embedded schema change.
type Migration struct {
	Name string // file name, e.g. "0001_directory.sql"
	SQL  string
}

// Migrations returns the embedded migrations of one engine ("sqlite" or
// "postgres"), in the order they apply.
func Migrations(engine string) ([]Migration, error) {
	dir := path.Join("migrations", engine)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(migrations, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Name: e.Name(), SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Migrate applies, in order, every embedded migration not yet recorded in
// the schema_migration table, each in its own transaction, and returns the
// names it applied. Migrations only move forward.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migration (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
)`); err != nil {
		return nil, fmt.Errorf("store: create schema_migration: %w", err)
	}
	ms, err := Migrations(d.dialect.name())
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range ms {
		done, err := d.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		if done {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

func (d *DB) applyMigration(ctx context.Context, m Migration) (bool, error) {
	var done bool
	err := d.withTx(ctx, func(tx *sql.Tx) error {
		if err := d.dialect.lock(ctx, tx, directoryLock); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migration WHERE name = $1`, m.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migration (name, applied_at) VALUES ($1, $2)`, m.Name, formatTime(d.Now())); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done, err
}
