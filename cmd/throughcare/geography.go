package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"throughcare/internal/apperr"
	"throughcare/internal/geo"
)

func runImportONSPD(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "import onspd", "FILE.csv",
		`Loads the ONS Postcode Directory (ONSPD) CSV as published, so searches can
start from a postcode. The file is streamed, so the full directory (about
2.7 million rows) loads in bounded memory, in one transaction. Terminated
postcodes are kept and flagged. Running it again replaces what was loaded.`)
	dsn := dbFlag(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: import onspd takes one FILE.csv", errUsage)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.ImportPostcodes(ctx, func(yield func(geo.PostcodeRecord) error) error {
		return geo.ReadONSPD(f, yield)
	})
	if err != nil {
		if fe, ok := errors.AsType[*apperr.FieldError](err); ok {
			fe.File = fs.Arg(0)
		}
		return fmt.Errorf("%s: nothing was imported: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(e.stdout, "%s: %d postcodes loaded\n", fs.Arg(0), n)
	return nil
}

func runImportAreas(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "import areas", "FILE.geojson",
		`Loads area boundaries (a GeoJSON FeatureCollection, as the ONS Open
Geography Portal publishes them) with their official codes, so searches can
ask which services cover an area. Each feature's code and name are read from
the properties --code-prop and --name-prop (for example LAD21CD and LAD21NM).`)
	dsn := dbFlag(fs, e)
	kind := fs.String("kind", "", "what the areas are: region (probation region), pdu, la (local authority) or icb")
	codeProp := fs.String("code-prop", "", "the feature property holding the area code")
	nameProp := fs.String("name-prop", "", "the feature property holding the area name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *codeProp == "" || *nameProp == "" {
		fs.Usage()
		return fmt.Errorf("%w: import areas takes --kind, --code-prop, --name-prop and one FILE.geojson", errUsage)
	}
	k, err := geo.ParseAreaKind(*kind)
	if err != nil {
		return fmt.Errorf("--kind: %w", err)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	areas, err := geo.ReadAreas(f, k, *codeProp, *nameProp)
	if err != nil {
		return fmt.Errorf("%s: nothing was imported: %w", fs.Arg(0), err)
	}
	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.ReplaceAreas(ctx, areas); err != nil {
		return fmt.Errorf("%s: nothing was imported: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(e.stdout, "%s: %d areas of kind %s loaded\n", fs.Arg(0), len(areas), k)
	return nil
}
