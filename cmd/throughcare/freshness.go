package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/directory"
	"throughcare/internal/listing"
	"throughcare/internal/mail"
	"throughcare/internal/store"
	"throughcare/internal/web"
)

// Keeping listings fresh: the --stale-after flag of the commands that
// serve, the hourly background run of the reminder and digest jobs in
// serve, and the reminders and digest commands that run them once, for
// cron.

// jobsEvery is how often serve runs the jobs. The store's bookkeeping
// decides what is due, so running often only makes them prompt.
const jobsEvery = time.Hour

// freshFlags configure how listings are kept fresh.
type freshFlags struct {
	staleAfter *string
	// after is staleAfter parsed, once resolve has run.
	after time.Duration
}

func addFreshFlags(fs *flag.FlagSet, e env) *freshFlags {
	return &freshFlags{
		staleAfter: stringFlag(fs, e, "stale-after", formatDays(listing.DefaultStaleAfter),
			"a listing nobody has confirmed or changed for this long is stale: tagged in search results, with a warning on its page, and its providers reminded (days such as 183d, or hours such as 4392h)"),
	}
}

// resolve checks --stale-after and keeps its value in f.after.
func (f *freshFlags) resolve() error {
	d, err := parseDays(*f.staleAfter)
	if err != nil || d < 24*time.Hour {
		return apperr.Field("stale-after", "%q is not a period of at least a day, such as 183d or 4392h", *f.staleAfter)
	}
	f.after = d
	return nil
}

// parseDays reads a duration written in days ("183d") or as Go writes
// durations ("4392h").
func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, err
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// formatDays writes a whole number of days as parseDays reads it.
func formatDays(d time.Duration) string {
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// startJobs runs the reminder and digest jobs of site in the background
// every jobsEvery until ctx ends, when e-mail can actually be sent. With
// e-mail only logged, they do not run: they would record as sent
// reminders and digests that nobody received.
func (f *freshFlags) startJobs(ctx context.Context, site *web.Server, sc siteConfig, log *slog.Logger) {
	if _, logged := sc.mailer.(*mail.Log); logged {
		log.Info("listing reminders and subscription digests are off until --smtp-host is set")
		return
	}
	go site.RunJobs(ctx, jobsEvery)
}

func runReminders(ctx context.Context, e env, args []string) error {
	return runJob(ctx, e, args, "reminders",
		`E-mails the providers of every organisation that owns stale listings a reminder
listing them, each with a single-use link that confirms it is still correct.
A listing is reminded about at most once every 14 days however often this
runs, so it may run from cron as often as you like; 'throughcare serve' also
runs it every hour when it can send e-mail.`,
		func(ctx context.Context, site *web.Server) (string, error) {
			r, err := site.SendReminders(ctx)
			return fmt.Sprintf("reminded about %d stale listings in %d emails; %d stale listings have no organisation to remind", r.Services, r.Emails, r.Unowned), err
		})
}

func runDigest(ctx context.Context, e env, args []string) error {
	return runJob(ctx, e, args, "digest",
		`E-mails every subscriber due a weekly digest the new and changed services
matching their subscriptions since their last one. Subscribers with no news
get nothing. Each subscriber gets at most one digest a week however often
this runs, so it may run from cron as often as you like; 'throughcare serve'
also runs it every hour when it can send e-mail.`,
		func(ctx context.Context, site *web.Server) (string, error) {
			r, err := site.SendDigests(ctx)
			return fmt.Sprintf("%d subscribers were due a digest; sent %d", r.Due, r.Emails), err
		})
}

// runJob runs one job once over the directory in the database, with the
// site's e-mail settings, and prints what it did.
func runJob(ctx context.Context, e env, args []string, name, about string, job func(context.Context, *web.Server) (string, error)) error {
	fs := newFlagSet(e, name, "", about+"\n\nNeeds --base-url, for the links in the emails, and --smtp-host; reminders\nalso need the --link-key the server uses, so that their links work there.")
	dsn := dbFlag(fs, e)
	site := addSiteFlags(fs, e)
	fresh := addFreshFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s takes no arguments, got %q", errUsage, name, fs.Arg(0))
	}
	switch {
	case *site.baseURL == "":
		return apperr.Field("base-url", "is required: the site's public address, for the links in the emails")
	case *site.smtpHost == "":
		return apperr.Field("smtp-host", "is required: without a mail server the emails would be recorded as sent but reach nobody")
	case name == "reminders" && *site.linkKey == "":
		return apperr.Field("link-key", "is required: the key the server signs links with, or the reminders' links will not work")
	}
	if err := fresh.resolve(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	sc, err := site.resolve(*site.baseURL, log)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, e, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ix, err := loadFreshIndex(ctx, db)
	if err != nil {
		return err
	}
	srv, err := web.New(web.Config{
		Index:      func() *directory.Index { return ix },
		Logger:     log,
		DB:         db,
		Mailer:     sc.mailer,
		LinkKey:    sc.linkKey,
		BaseURL:    sc.baseURL,
		StaleAfter: fresh.after,
	})
	if err != nil {
		return err
	}
	report, err := job(ctx, srv)
	fmt.Fprintln(e.stdout, report)
	return err
}

// loadFreshIndex reads the directory from db into memory.
func loadFreshIndex(ctx context.Context, db *store.DB) (*directory.Index, error) {
	ds, err := db.LoadDirectory(ctx)
	if err != nil {
		return nil, err
	}
	return directory.NewIndex(ds), nil
}
