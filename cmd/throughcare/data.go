package main

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/hsds"
	"throughcare/internal/listing"
	"throughcare/internal/store"
)

// openDB opens and migrates the database, and loads the shipped taxonomy.
func openDB(ctx context.Context, e env, dsn string) (*store.DB, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, name := range applied {
		fmt.Fprintln(e.stderr, "applied migration", name)
	}
	// The shipped vocabularies: the justice-aware taxonomy, and the
	// referral-procedure terms that provider listings record response
	// times, capacity and the liaison contact with.
	vocab := directory.JusticeTaxonomy()
	referral := listing.Vocabulary()
	vocab.Taxonomies = append(vocab.Taxonomies, referral.Taxonomies...)
	vocab.TaxonomyTerms = append(vocab.TaxonomyTerms, referral.TaxonomyTerms...)
	res, err := db.ImportDataset(ctx, vocab,
		store.ImportSource{Name: "justice taxonomy", Format: "builtin", UpdatedBy: "throughcare migrate"}, directory.Validate)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load the shipped taxonomy: %w", err)
	}
	if res.Changed() {
		fmt.Fprintf(e.stderr, "taxonomy: %d terms added, %d updated\n", res.Inserted, res.Updated)
	}
	return db, nil
}

func runMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "migrate", "", "Applies any schema migrations not yet applied and loads the justice-aware taxonomy.\nMigrations also run when the server starts.")
	dsn := dbFlag(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "database %s is up to date\n", db.Engine())
	return nil
}

func runImport(ctx context.Context, e env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "onspd":
			return runImportONSPD(ctx, e, args[1:])
		case "areas":
			return runImportAreas(ctx, e, args[1:])
		}
	}
	fs := newFlagSet(e, "import", "PATH | onspd FILE.csv | areas [flags] FILE.geojson",
		`Imports a directory file into the database in one transaction: a bad file changes nothing.
Records are matched by id, so importing the same file twice leaves one copy.

PATH is an HSDS 3.0 JSON file (a service, a list, a Page, or a package), an
ndjson file, an ORUK v1 JSON file, or a folder holding an HSDS CSV
datapackage (datapackage.json and one CSV file per table).

'throughcare import onspd FILE.csv' loads the ONS Postcode Directory and
'throughcare import areas --kind K --code-prop P --name-prop Q FILE.geojson'
loads area boundaries; each has its own --help.`)
	dsn := dbFlag(fs, e)
	format := fs.String("format", "auto", "input format: auto, hsds-json, ndjson, oruk-v1 or csv")
	by := fs.String("by", "import", "who is importing, recorded in the provenance rows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: import takes one PATH", errUsage)
	}
	path := fs.Arg(0)
	ds, err := hsds.ReadFile(path, *format)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.ImportDataset(ctx, ds, store.ImportSource{Name: filepath.Base(path), Format: *format, UpdatedBy: *by}, directory.Validate)
	if err != nil {
		return fmt.Errorf("%s: nothing was imported: %w", path, err)
	}
	printImport(e, path, res)
	return nil
}

func printImport(e env, name string, res store.ImportResult) {
	fmt.Fprintf(e.stdout, "%s: %d inserted, %d updated, %d deleted, %d unchanged\n",
		name, res.Inserted, res.Updated, res.Deleted, res.Unchanged)
	for _, t := range slices.Sorted(maps.Keys(res.ByTable)) {
		c := res.ByTable[t]
		fmt.Fprintf(e.stdout, "  %-24s %6d inserted %6d updated %6d deleted %6d unchanged\n", t, c.Inserted, c.Updated, c.Deleted, c.Unchanged)
	}
}

func runExport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "export", "",
		`Exports the whole directory. json writes fully nested HSDS services (with the
records no service reaches); ndjson writes the same one record a line; csv
writes an HSDS CSV datapackage into the folder --out names.`)
	dsn := dbFlag(fs, e)
	format := fs.String("format", "json", "output format: json, ndjson or csv")
	out := fs.String("out", "", "output file (json, ndjson; - for standard output) or folder (csv)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if !slices.Contains([]string{"json", "ndjson", "csv"}, *format) {
		return apperr.Field("--format", "%q is not one of json, ndjson, csv", *format)
	}
	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ds, err := db.LoadDirectory(ctx)
	if err != nil {
		return err
	}
	if *format == "csv" {
		if err := hsds.WriteCSVPackage(*out, ds); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote a CSV datapackage of %d services to %s\n", len(ds.Services), *out)
		return nil
	}
	return writeFile(e, *out, func(w *bufio.Writer) error {
		x := directory.NewIndex(ds)
		if *format == "ndjson" {
			return hsds.WriteNDJSON(w, x)
		}
		return hsds.WriteJSON(w, x)
	})
}

// writeFile writes to path (or standard output for "-") through a buffer,
// replacing the file only once everything was written.
func writeFile(e env, path string, write func(w *bufio.Writer) error) error {
	if path == "-" {
		w := bufio.NewWriter(e.stdout)
		if err := write(w); err != nil {
			return err
		}
		return w.Flush()
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<16)
	if err := write(w); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s\n", strings.TrimPrefix(path, "./"))
	return nil
}
