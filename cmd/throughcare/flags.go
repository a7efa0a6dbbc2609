package main

import (
	"flag"
	"fmt"
	"strings"

	"throughcare/internal/store"
)

// newFlagSet returns a flag set whose usage text names the command, its
// arguments and what it does, and lists each flag with its environment
// variable.
func newFlagSet(e env, name, argsUsage, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: throughcare %s [flags] %s\n\n%s\n", name, argsUsage, about)
		var any bool
		fs.VisitAll(func(*flag.Flag) { any = true })
		if any {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// envName is the environment variable that backs a flag: --db is THROUGHCARE_DB.
func envName(flagName string) string {
	return "THROUGHCARE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// stringFlag defines a string flag whose default comes from its environment
// variable when that is set.
func stringFlag(fs *flag.FlagSet, e env, name, def, help string) *string {
	if v := e.getenv(envName(name)); v != "" {
		def = v
	}
	return fs.String(name, def, help+" (env "+envName(name)+")")
}

func dbFlag(fs *flag.FlagSet, e env) *string {
	return stringFlag(fs, e, "db", store.DefaultDSN, "database: sqlite:PATH or postgres://user@host:5432/db")
}
