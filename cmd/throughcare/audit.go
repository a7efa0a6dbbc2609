package main

import (
	"context"
	"errors"
	"fmt"

	"throughcare/internal/audit"
)

// runAudit dispatches "throughcare audit SUBCOMMAND".
func runAudit(ctx context.Context, e env, args []string) error {
	subs := map[string]func(context.Context, env, []string) error{"verify": runAuditVerify}
	return runSub(ctx, e, "audit", args, subs, "  verify  check that the audit log's hash chain is intact")
}

// errAuditBroken is returned, after the report is printed, when the audit
// log's chain is broken; the exit code is 1.
var errAuditBroken = errors.New("the audit log has been changed")

func runAuditVerify(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "audit verify", "",
		"Reads the whole audit log in order and checks every event's hash chain. Prints the\n"+
			"number of events and the hash of the last one (keep it elsewhere: a later run whose\n"+
			"chain no longer reaches it shows events were cut off the end). Exits 1 if broken.")
	dsn := dbFlag(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: audit verify takes no arguments, got %q", errUsage, fs.Arg(0))
	}
	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	head, brokenAt, err := db.VerifyAuditHead(ctx)
	if be, ok := errors.AsType[*audit.BreakError](err); ok {
		fmt.Fprintf(e.stdout, "audit log broken at event %d: %s\n", brokenAt, be.Reason)
		return errAuditBroken
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "audit log intact: %d events\n", head.Seq)
	if head.Seq > 0 {
		fmt.Fprintf(e.stdout, "last event hash: %x\n", head.Hash)
	}
	return nil
}
