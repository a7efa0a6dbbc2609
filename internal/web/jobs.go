package web

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"throughcare/internal/account"
	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/listing"
	"throughcare/internal/mail"
)

// The site's background jobs: reminding providers of their stale listings,
// and sending subscribers their weekly digest of new and changed services.
// Both may run as often as anyone likes, on as many servers as there are:
// the store records what went out, so nothing is sent twice in a period.
// `throughcare serve` runs them every hour (RunJobs); `throughcare
// reminders` and `throughcare digest` run them once, for cron.

// The periods of the jobs.
const (
	// ReminderEvery is the least time between two reminders about one
	// listing.
	ReminderEvery = 14 * 24 * time.Hour
	// DigestEvery is the least time between two digests to one subscriber.
	DigestEvery = 7 * 24 * time.Hour
)

// ReminderResult counts what SendReminders did.
type ReminderResult struct {
	// Services is how many stale listings were reminded about.
	Services int
	// Emails is how many reminder e-mails were sent.
	Emails int
	// Unowned is how many stale listings no account organisation owns,
	// so nobody could be reminded.
	Unowned int
}

// DigestResult counts what SendDigests did.
type DigestResult struct {
	// Due is how many subscribers were due a digest.
	Due int
	// Emails is how many digests were sent (a subscriber with no news
	// gets none).
	Emails int
}

// checkMailConfig returns an error unless the server can send e-mails with
// links in them.
func (s *Server) checkMailConfig(needKey bool) error {
	switch {
	case s.cfg.DB == nil:
		return apperr.Field("DB", "is needed to send reminders and digests")
	case s.cfg.BaseURL == "":
		return apperr.Field("BaseURL", "is needed for the links in emails")
	case needKey && account.CheckLinkKey(s.cfg.LinkKey) != nil:
		return apperr.Field("LinkKey", "is needed to sign the links in reminders")
	}
	return nil
}

// SendReminders e-mails the providers of every organisation that owns
// stale listings (listing.StaleServices) a reminder listing them, each with
// a single-use link that confirms it is still correct. A listing is
// reminded about at most once every ReminderEvery, however often this
// runs; listings whose organisation has no providers are left until it
// has. Every reminder is audited. A failure to mail one organisation does
// not stop the others; the errors are returned together, and listings
// nobody could be told about are tried again at the next run.
func (s *Server) SendReminders(ctx context.Context) (ReminderResult, error) {
	var res ReminderResult
	if err := s.checkMailConfig(true); err != nil {
		return res, err
	}
	now := s.now()
	ix := s.index()
	byOrg := map[string][]listing.StaleService{}
	var order []string
	for _, st := range listing.StaleServices(ix.Dataset(), now, s.staleAfter()) {
		if _, seen := byOrg[st.OrganizationID]; !seen {
			order = append(order, st.OrganizationID)
		}
		byOrg[st.OrganizationID] = append(byOrg[st.OrganizationID], st)
	}
	var errs []error
	for _, hsdsOrg := range order {
		services := byOrg[hsdsOrg]
		if hsdsOrg == "" {
			res.Unowned += len(services)
			continue
		}
		org, err := s.cfg.DB.OrganisationByHSDS(ctx, hsdsOrg)
		if errors.Is(err, apperr.NotFound) {
			res.Unowned += len(services)
			continue
		}
		if err != nil {
			return res, err
		}
		n, sent, err := s.remindOrganisation(ctx, org, services, now)
		res.Services += n
		res.Emails += sent
		if err != nil {
			errs = append(errs, fmt.Errorf("reminders to %s: %w", org.Name, err))
		}
	}
	return res, errors.Join(errs...)
}

// remindOrganisation reminds the providers of org about those of services
// not reminded about within the period. It returns how many listings it
// reminded about and how many e-mails it sent.
func (s *Server) remindOrganisation(ctx context.Context, org account.Organisation, services []listing.StaleService, now time.Time) (int, int, error) {
	members, err := s.cfg.DB.MembersOf(ctx, org.ID)
	if err != nil {
		return 0, 0, err
	}
	members = slices.DeleteFunc(members, func(u account.User) bool {
		return u.RoleIn(org.ID) != account.RoleProvider || !account.Can(&u, account.ListingAssure, org.Resource())
	})
	if len(members) == 0 {
		return 0, 0, nil
	}
	var claimed []listing.StaleService
	for _, st := range services {
		ok, err := s.cfg.DB.ClaimReminder(ctx, st.ServiceID, org.ID, now, ReminderEvery)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			claimed = append(claimed, st)
		}
	}
	if len(claimed) == 0 {
		return 0, 0, nil
	}
	sent := 0
	var errs []error
	for _, u := range members {
		if err := s.cfg.Mailer.Send(ctx, s.reminderMessage(u, org, claimed, now)); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
	}
	if sent == 0 {
		// Nobody heard: forget the claims, so the next run tries again.
		for _, st := range claimed {
			if err := s.cfg.DB.ReleaseReminder(ctx, st.ServiceID, now); err != nil {
				errs = append(errs, err)
			}
		}
		return 0, 0, errors.Join(errs...)
	}
	for _, st := range claimed {
		ev := audit.Event{Action: audit.ListingReminderSent, At: now, RecordType: "service", RecordID: st.ServiceID,
			OrgID: org.ID, Detail: fmt.Sprintf(`{"recipients":%d}`, sent)}
		if _, err := s.cfg.DB.AppendAudit(ctx, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return len(claimed), sent, errors.Join(errs...)
}

// reminderMessage is the reminder to provider u of org about services,
// with a "still correct" link for each, signed for u alone.
func (s *Server) reminderMessage(u account.User, org account.Organisation, services []listing.StaleService, now time.Time) mail.Message {
	ix := s.index()
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	expires := now.Add(assureLinkLife)
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", u.Name)
	if len(services) == 1 {
		fmt.Fprintf(&b, "A listing of %s in the Throughcare directory has not been confirmed as correct for over %s.", org.Name, freshDays(s.staleAfter()))
	} else {
		fmt.Fprintf(&b, "%d listings of %s in the Throughcare directory have not been confirmed as correct for over %s.", len(services), org.Name, freshDays(s.staleAfter()))
	}
	b.WriteString(" Probation staff use these listings to refer people, and are warned to check with you first when a listing has not been confirmed for that long.\n\n")
	b.WriteString("Please read each listing. If it is still correct, open its \"Still correct\" link and press the button on the page. If something has changed, sign in and edit the listing.\n")
	for _, st := range services {
		svc, ok := ix.ServiceFlat(st.ServiceID)
		if !ok {
			continue
		}
		nonce, _ := account.NewToken()
		token := account.SignLink(s.cfg.LinkKey, assurePurpose, svc.ID+":"+u.ID, expires, nonce)
		last := "never confirmed"
		if !st.Since.IsZero() {
			last = "last confirmed " + longDate(st.Since)
		}
		fmt.Fprintf(&b, "\n%s (%s)\n  Read the listing: %s/services/%s\n  Still correct: %s/listings/assure?token=%s\n", svc.Name, last, base, svc.ID, base, token)
	}
	fmt.Fprintf(&b, "\nEach \"Still correct\" link works once, for you alone, until %s. You can also see your listings to confirm at %s/provider/freshness once signed in.\n", longDate(expires), base)
	fmt.Fprintf(&b, "\nYou are getting this email because you are a provider for %s on Throughcare. We remind you at most once every %s about each listing.\n", org.Name, freshDays(ReminderEvery))
	subject := "Please confirm your Throughcare listing is still correct"
	if len(services) > 1 {
		subject = fmt.Sprintf("Please confirm %d Throughcare listings are still correct", len(services))
	}
	return mail.Message{To: []string{u.Email}, Subject: subject, Text: b.String()}
}

// SendDigests e-mails every subscriber who has not had a digest for
// DigestEvery the new and changed services matching any of their
// subscriptions since their last digest (or, for a new subscriber, since
// they subscribed). A subscriber with no news gets nothing, but their
// period starts again, so a later digest does not repeat what this one
// would have covered. The store records each digest before it is sent and
// forgets it if sending fails, so a restart, or a second server running
// at once, never sends one twice.
func (s *Server) SendDigests(ctx context.Context) (DigestResult, error) {
	var res DigestResult
	if err := s.checkMailConfig(false); err != nil {
		return res, err
	}
	now := s.now()
	subs, err := s.cfg.DB.AllSubscriptions(ctx)
	if err != nil {
		return res, err
	}
	byUser := map[string][]listing.Subscription{}
	var users []string
	for _, sub := range subs {
		if _, seen := byUser[sub.UserID]; !seen {
			users = append(users, sub.UserID)
		}
		byUser[sub.UserID] = append(byUser[sub.UserID], sub)
	}
	snap := s.snapshot()
	var errs []error
	for _, userID := range users {
		sent, due, err := s.digestFor(ctx, snap, userID, byUser[userID], now)
		if due {
			res.Due++
		}
		if sent {
			res.Emails++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// digestFor sends one subscriber their digest if it is due.
func (s *Server) digestFor(ctx context.Context, snap snapshot, userID string, subs []listing.Subscription, now time.Time) (sent, due bool, err error) {
	last, err := s.cfg.DB.LastDigest(ctx, userID)
	if err != nil {
		return false, false, err
	}
	since := last
	if since.IsZero() {
		since = subs[0].CreatedAt
		for _, sub := range subs {
			if sub.CreatedAt.Before(since) {
				since = sub.CreatedAt
			}
		}
	}
	if now.Sub(since) < DigestEvery {
		return false, false, nil
	}
	claimed, err := s.cfg.DB.ClaimDigest(ctx, userID, now, DigestEvery)
	if err != nil || !claimed {
		return false, false, err
	}
	u, err := s.cfg.DB.User(ctx, userID)
	if err != nil {
		return false, true, err
	}
	if u.Disabled {
		return false, true, nil
	}
	var items []newsItem
	seen := map[string]bool{}
	for _, sub := range subs {
		f := newsFilter{Area: sub.AreaCode, TypeID: sub.ServiceTypeID}
		news, err := s.news(ctx, snap, f, since, 0)
		if err != nil {
			return false, true, s.undoDigest(ctx, userID, last, now, err)
		}
		for _, it := range news {
			if !seen[it.service.ID] && !it.change.At.After(now) {
				seen[it.service.ID] = true
				items = append(items, it)
			}
		}
	}
	if len(items) == 0 {
		return false, true, nil
	}
	slices.SortStableFunc(items, func(a, b newsItem) int { return b.change.At.Compare(a.change.At) })
	if err := s.cfg.Mailer.Send(ctx, s.digestMessage(snap, u, items, since)); err != nil {
		return false, true, s.undoDigest(ctx, userID, last, now, err)
	}
	return true, true, nil
}

// undoDigest puts a subscriber's last digest back to prev after the one
// claimed at now failed with cause, so the next run tries again.
func (s *Server) undoDigest(ctx context.Context, userID string, prev, now time.Time, cause error) error {
	if err := s.cfg.DB.ReleaseDigest(ctx, userID, now, prev); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// digestMessage is the digest to u of items, the news since since.
func (s *Server) digestMessage(snap snapshot, u account.User, items []newsItem, since time.Time) mail.Message {
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", u.Name)
	fmt.Fprintf(&b, "These services matching your Throughcare subscriptions were added or changed since %s:\n", longDate(since))
	for _, it := range items {
		kind := "Changed"
		if it.change.Action == listing.ActionCreate {
			kind = "New"
		}
		fmt.Fprintf(&b, "\n%s: %s\n", kind, it.service.Name)
		if o, ok := snap.ix.Organization(it.service.OrganizationID); ok {
			fmt.Fprintf(&b, "  Run by %s\n", o.Name)
		}
		fmt.Fprintf(&b, "  %s/services/%s\n", base, it.service.ID)
	}
	fmt.Fprintf(&b, "\nTo change what you hear about, or to stop these emails, go to %s/account/subscriptions\n", base)
	subject := "1 new or changed service on Throughcare"
	if len(items) > 1 {
		subject = fmt.Sprintf("%d new or changed services on Throughcare", len(items))
	}
	return mail.Message{To: []string{u.Email}, Subject: subject, Text: b.String()}
}

// RunJobs sends reminders and digests now and then every interval until
// ctx ends, logging what they did and any failure.
func (s *Server) RunJobs(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if r, err := s.SendReminders(ctx); err != nil {
			s.log.ErrorContext(ctx, "listing reminders", "err", err, "services", r.Services, "emails", r.Emails)
		} else if r.Services > 0 {
			s.log.InfoContext(ctx, "listing reminders sent", "services", r.Services, "emails", r.Emails)
		}
		if r, err := s.SendDigests(ctx); err != nil {
			s.log.ErrorContext(ctx, "subscription digests", "err", err, "emails", r.Emails)
		} else if r.Emails > 0 {
			s.log.InfoContext(ctx, "subscription digests sent", "emails", r.Emails)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
