package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/directory"
	"throughcare/internal/store"
)

// runUser dispatches "throughcare user SUBCOMMAND".
func runUser(ctx context.Context, e env, args []string) error {
	subs := map[string]func(context.Context, env, []string) error{"add": runUserAdd, "reset-totp": runUserResetTOTP}
	return runSub(ctx, e, "user", args, subs, "  add         create a user (the first-run path for the first administrator)\n  reset-totp  turn off a user's second factor, for someone who has lost it")
}

// runUserResetTOTP turns off a user's second factor: the way back for
// someone who has lost their authenticator and recovery codes, and for an
// administrator, who cannot turn their own off on the site.
func runUserResetTOTP(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user reset-totp", "",
		"Turns off the second factor of the user with --email and deletes their recovery codes,\n"+
			"recorded in the audit log. Administrators are asked to set it up again at their next\n"+
			"sign-in; others may choose to.")
	dsn := dbFlag(fs, e)
	email := fs.String("email", "", "the user's email address (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByEmail(ctx, *email)
	if err != nil {
		return fmt.Errorf("--email: %w", err)
	}
	if err := db.DisableTOTP(ctx, u.ID, audit.Event{ActorRole: "system", Action: audit.UserTOTPDisabled, Detail: `{"via":"command line"}`}); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "second factor of %s turned off\n", u.Email)
	return nil
}

// runSub runs one subcommand of a command that has several, printing the
// command's usage for --help or a missing or unknown subcommand.
func runSub(ctx context.Context, e env, name string, args []string, subs map[string]func(context.Context, env, []string) error, list string) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: throughcare %s SUBCOMMAND [flags]\n\nSubcommands:\n%s\n\nRun 'throughcare %s SUBCOMMAND --help' for its flags.\n", name, list, name)
	}
	if len(args) == 0 {
		usage(e.stderr)
		return fmt.Errorf("%w: %s needs a subcommand", errUsage, name)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stderr)
		return flag.ErrHelp
	}
	run, ok := subs[args[0]]
	if !ok {
		usage(e.stderr)
		return fmt.Errorf("%w: unknown subcommand %q of %s", errUsage, args[0], name)
	}
	return run(ctx, e, args[1:])
}

// runUserAdd creates a user. On a new, empty database it is how the first
// administrator is made: "throughcare user add --admin --email … --name …".
func runUserAdd(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "user add", "",
		"Creates a user and prints their id. The password is read from THROUGHCARE_PASSWORD or,\n"+
			"if that is unset, from the first line of standard input. An organisation given by a\n"+
			"name that does not exist yet is created (kind \"other\").\n\n"+
			"First run: on an empty database, create the first administrator with --admin\n"+
			"(--org and --role may then be left out); they can create everyone else.")
	dsn := dbFlag(fs, e)
	email := fs.String("email", "", "the user's email address (required)")
	name := fs.String("name", "", "the user's full name (default: the email address)")
	role := fs.String("role", "", "their role in --org: provider, practitioner, commissioner or analyst")
	org := fs.String("org", "", "organisation id or name")
	admin := fs.Bool("admin", false, "make the user an administrator of every organisation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: user add takes no arguments, got %q", errUsage, fs.Arg(0))
	}
	addr, err := account.NormalizeEmail(*email)
	if err != nil {
		return fmt.Errorf("--%w", err)
	}
	if *name == "" {
		*name = addr
	}
	var r account.Role
	switch {
	case *role == "" && *org == "" && *admin:
	case *role == "" || *org == "":
		return apperr.Errorf(apperr.Invalid, "--role and --org: give both (only an --admin user may have neither)")
	default:
		if r, err = account.ParseRole("--role", *role); err != nil {
			return err
		}
		if r == account.RolePublic || r == account.RoleAdmin {
			return apperr.Field("--role", "%q is not a role an organisation can give; use provider, practitioner, commissioner or analyst (or --admin)", r)
		}
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	if err := account.ValidateNewPassword(password, addr); err != nil {
		return err
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return err
	}

	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	u := account.User{Email: addr, Name: *name, Admin: *admin}
	if *org != "" {
		o, err := findOrCreateOrg(ctx, e, db, *org)
		if err != nil {
			return err
		}
		u.Memberships = []account.Membership{{OrgID: o.ID, Role: r}}
	}
	detail := fmt.Sprintf(`{"via":"command line","admin":%t}`, *admin)
	u, err = db.CreateUser(ctx, u, hash, audit.Event{ActorRole: "system", Action: audit.UserCreated, OrgID: orgOf(u), Detail: detail})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, u.ID)
	return nil
}

func orgOf(u account.User) string {
	if len(u.Memberships) > 0 {
		return u.Memberships[0].OrgID
	}
	return ""
}

// findOrCreateOrg returns the organisation with id or name ref, creating it
// (kind "other", with its audit event) if no organisation has that name.
func findOrCreateOrg(ctx context.Context, e env, db *store.DB, ref string) (account.Organisation, error) {
	ref = strings.TrimSpace(ref)
	if directory.ValidUUID(ref) {
		o, err := db.Organisation(ctx, ref)
		if err == nil || !errors.Is(err, apperr.NotFound) {
			return o, err
		}
	}
	o, err := db.OrganisationByName(ctx, ref)
	if err == nil || !errors.Is(err, apperr.NotFound) {
		return o, err
	}
	o, err = db.CreateOrganisation(ctx, account.Organisation{Name: ref, Kind: account.KindOther},
		audit.Event{ActorRole: "system", Action: audit.OrgCreated, Detail: `{"via":"command line"}`})
	if err != nil {
		return o, fmt.Errorf("--org: %w", err)
	}
	fmt.Fprintf(e.stderr, "created organisation %q (%s)\n", o.Name, o.ID)
	return o, nil
}

// readPassword returns THROUGHCARE_PASSWORD or, if that is unset, the first
// line of standard input.
func readPassword(e env) (string, error) {
	if p := e.getenv("THROUGHCARE_PASSWORD"); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", apperr.Errorf(apperr.Invalid, "password: set THROUGHCARE_PASSWORD or give it on the first line of standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
