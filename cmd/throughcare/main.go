// Command throughcare runs the Throughcare directory: the web site, the Open
// Referral API, and the commands that migrate, import and export its data
// and look after its accounts.
//
//	throughcare serve      serve the web site and API
//	throughcare demo       load the fictional demo directory and serve it
//	throughcare migrate    bring the database schema and taxonomy up to date
//	throughcare import     import an HSDS, ORUK or CSV datapackage file
//	throughcare export     export the directory as HSDS JSON, ndjson or CSV
//	throughcare user add   create an account (the first administrator, or anyone)
//	throughcare audit      check the audit log's hash chain
//	throughcare reminders  e-mail providers about listings not confirmed lately
//	throughcare digest     e-mail subscribers the week's new and changed services
//	throughcare version    print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"throughcare/internal/apperr"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "throughcare:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for usage and input errors, 1 for anything else.
func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, errUsage) || errors.Is(err, apperr.Invalid) {
		return 2
	}
	return 1
}

var errUsage = errors.New("usage")

// env is how commands read the environment; tests pass their own.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve the web site and the Open Referral API", runServe},
		{"demo", "load the fictional demo directory and serve it (or generate a synthetic file)", runDemo},
		{"migrate", "bring the database schema and the shipped taxonomy up to date", runMigrate},
		{"import", "import an HSDS 3.0, ORUK v1 or HSDS CSV datapackage file", runImport},
		{"export", "export the directory as HSDS JSON, ndjson or a CSV datapackage", runExport},
		{"user", "add users (the first administrator, on a new database)", runUser},
		{"audit", "verify the audit log's hash chain", runAudit},
		{"reminders", "email providers a reminder about their stale listings (for cron)", runReminders},
		{"digest", "email subscribers their weekly digest of new and changed services (for cron)", runDigest},
		{"version", "print the version", runVersion},
	}
}

// run is the whole program: main only supplies the real arguments,
// environment and output streams, so tests can drive every command.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) < 2 {
		usage(stderr)
		return errUsage
	}
	name := args[1]
	if name == "-h" || name == "--help" || name == "help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[2:])
		}
	}
	usage(stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Throughcare: a directory of health services for people on probation, with an Open Referral API.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: throughcare COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'throughcare COMMAND --help' for a command's flags.")
}

func runVersion(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "version", "", "Prints the version of this build.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "throughcare", version)
	return nil
}
