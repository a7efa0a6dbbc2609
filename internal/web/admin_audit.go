package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"throughcare/internal/apperr"
	"throughcare/internal/audit"
	"throughcare/internal/store"
)

// The audit log search: events newest first, filtered by action, actor,
// record and date, a page at a time, under a check of the whole hash chain.

// auditPageSize is how many events the audit log shows at a time.
const auditPageSize = 50

// auditActions are the actions the search offers, in the order shown. A
// package that records actions of its own adds them here.
var auditActions = []audit.Action{
	audit.UserSignedIn, audit.UserSignedOut, audit.UserSignInFailed, audit.UserLocked, audit.UserUnlocked,
	audit.UserCreated, audit.UserUpdated, audit.UserDisabled, audit.UserPasswordChanged, audit.UserPasswordResetSent,
	audit.UserTOTPEnabled, audit.UserTOTPDisabled, audit.UserRecoveryCodeUsed, audit.PermissionChanged,
	audit.OrgCreated, audit.OrgUpdated,
	audit.ListingChanged, audit.ListingApproved, audit.ListingRejected, audit.ListingPublished, audit.ListingAssured, audit.ListingReminderSent,
	audit.TokenCreated, audit.TokenRevoked,
	audit.PersonRead, audit.PersonCreated, audit.PersonUpdated, audit.PersonExported,
	audit.ImportRun, audit.AuditVerified, audit.SubscriptionChanged,
}

// AdminAuditPage is the data of the audit log search.
type AdminAuditPage struct {
	Page
	Form formErrors
	// The filters as given.
	Action, Actor, Record           string
	SinceDay, SinceMonth, SinceYear string
	Actions                         []Option
	// Chain is the result of checking the whole log.
	Chain AdminAuditChain
	// Events are the matching events on this page, newest first.
	Events []AdminAuditRow
	// Paged is set when this page starts below the newest match;
	// NewestURL leads back there and OlderURL (when there are older
	// matches) on.
	Paged               bool
	NewestURL, OlderURL string
}

// AdminAuditChain says whether the audit log's hash chain is intact.
type AdminAuditChain struct {
	Intact bool
	// Events is how many events an intact log holds.
	Events int64
	// BrokenAt is the first event that does not follow from the one
	// before, and Problem says why.
	BrokenAt int64
	Problem  string
}

// AdminAuditRow is one event as the log shows it.
type AdminAuditRow struct {
	Seq  int64
	Time string
	// Actor is the actor's e-mail address (or id, if the user is gone;
	// "" for the system itself), linking to ActorHref.
	Actor, ActorHref string
	Role, Action     string
	// Record names what the event is about, linking to RecordHref when the
	// record has a page.
	Record, RecordHref string
	Org, OrgHref       string
	IP, Detail         string
}

func (s *Server) showAudit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	p := &AdminAuditPage{
		Page:   Page{Title: "Audit log"},
		Action: q.Get("action"), Actor: strings.TrimSpace(q.Get("actor")), Record: strings.TrimSpace(q.Get("record")),
		SinceDay: strings.TrimSpace(q.Get("since-day")), SinceMonth: strings.TrimSpace(q.Get("since-month")), SinceYear: strings.TrimSpace(q.Get("since-year")),
	}
	p.Actions = append(p.Actions, Option{Value: "", Text: "Any action", Selected: p.Action == ""})
	for _, a := range auditActions {
		p.Actions = append(p.Actions, Option{Value: string(a), Text: string(a), Selected: string(a) == p.Action})
	}

	head, brokenAt, err := s.cfg.DB.VerifyAuditHead(ctx)
	switch {
	case brokenAt > 0:
		p.Chain = AdminAuditChain{BrokenAt: brokenAt, Problem: err.Error()}
	case err != nil:
		return err
	default:
		p.Chain = AdminAuditChain{Intact: true, Events: head.Seq}
	}

	f, err := s.auditFilter(r, p)
	if err != nil {
		return err
	}
	if p.Form.failed() {
		p.Title = errorTitle(p.Title)
		return s.render(w, r, http.StatusBadRequest, "admin-audit", p)
	}
	f.Limit = auditPageSize + 1
	events, err := s.cfg.DB.AuditEvents(ctx, f)
	if err != nil {
		return err
	}
	p.Paged = f.BeforeSeq > 0
	v := url.Values{}
	for _, k := range []string{"action", "actor", "record", "since-day", "since-month", "since-year"} {
		if x := strings.TrimSpace(q.Get(k)); x != "" {
			v.Set(k, x)
		}
	}
	p.NewestURL = "/admin/audit"
	if len(v) > 0 {
		p.NewestURL += "?" + v.Encode()
	}
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		v.Set("before", strconv.FormatInt(events[len(events)-1].Seq, 10))
		p.OlderURL = "/admin/audit?" + v.Encode()
	}
	if p.Events, err = s.auditRows(r, events); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin-audit", p)
}

// auditFilter reads the search's filters from r into a store filter,
// recording any problems in p.
func (s *Server) auditFilter(r *http.Request, p *AdminAuditPage) (store.AuditFilter, error) {
	var f store.AuditFilter
	form := &p.Form
	if p.Action != "" {
		if !slices.Contains(auditActions, audit.Action(p.Action)) {
			form.add("action", "Choose an action from the list")
		}
		f.Action = audit.Action(p.Action)
	}
	if p.Actor != "" {
		u, err := s.cfg.DB.UserByEmail(r.Context(), p.Actor)
		switch {
		case errors.Is(err, apperr.NotFound):
			form.add("actor", "No user has the email address "+p.Actor)
		case err != nil:
			return f, err
		default:
			f.ActorID = u.ID
		}
	}
	if p.Record != "" {
		if utf8.RuneCountInString(p.Record) > 200 || strings.ContainsAny(p.Record, "\r\n\x00") {
			form.add("record", "Record id must be a single line of at most 200 characters")
		}
		f.RecordID = p.Record
	}
	if p.SinceDay != "" || p.SinceMonth != "" || p.SinceYear != "" {
		since, ok := parseDate(p.SinceDay, p.SinceMonth, p.SinceYear)
		if !ok {
			form.addLinked("since", "#since-day", "Date must be a real date, like 27 3 2026")
		}
		f.Since = since
	}
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			form.addLinked("before", "", "The page of older events asked for does not exist: start again from the newest")
		}
		f.BeforeSeq = n
	}
	return f, nil
}

// parseDate returns the start of the day given as day, month and year
// numbers, in UK time, and whether they make a real date.
func parseDate(day, month, year string) (time.Time, bool) {
	d, err1 := strconv.Atoi(day)
	m, err2 := strconv.Atoi(month)
	y, err3 := strconv.Atoi(year)
	if err1 != nil || err2 != nil || err3 != nil || y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, ukTime)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// auditRows describes events for the log, naming their actors,
// organisations and records where those are known.
func (s *Server) auditRows(r *http.Request, events []audit.Event) ([]AdminAuditRow, error) {
	ctx := r.Context()
	orgs, err := s.orgNames(r)
	if err != nil {
		return nil, err
	}
	emails := map[string]string{}
	email := func(id string) (string, bool, error) {
		if e, ok := emails[id]; ok {
			return e, e != "", nil
		}
		u, err := s.cfg.DB.User(ctx, id)
		if errors.Is(err, apperr.NotFound) {
			emails[id] = ""
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		emails[id] = u.Email
		return u.Email, true, nil
	}
	ix := s.index()
	var rows []AdminAuditRow
	for _, e := range events {
		row := AdminAuditRow{
			Seq: e.Seq, Time: e.At.In(ukTime).Format("2 Jan 2006 15:04:05"),
			Role: e.ActorRole, Action: string(e.Action), IP: e.IP, Detail: e.Detail,
		}
		if e.ActorID != "" {
			addr, ok, err := email(e.ActorID)
			if err != nil {
				return nil, err
			}
			row.Actor = e.ActorID
			if ok {
				row.Actor, row.ActorHref = addr, "/admin/users/"+e.ActorID
			}
		}
		if e.OrgID != "" {
			row.Org = e.OrgID
			if name, ok := orgs[e.OrgID]; ok {
				row.Org, row.OrgHref = name, "/admin/organisations/"+e.OrgID
			}
		}
		if e.RecordID != "" {
			row.Record = strings.TrimSpace(e.RecordType + " " + e.RecordID)
			switch e.RecordType {
			case "user":
				addr, ok, err := email(e.RecordID)
				if err != nil {
					return nil, err
				}
				if ok {
					row.Record, row.RecordHref = "user "+addr, "/admin/users/"+e.RecordID
				}
			case "organisation":
				if name, ok := orgs[e.RecordID]; ok {
					row.Record, row.RecordHref = "organisation "+name, "/admin/organisations/"+e.RecordID
				}
			case "service":
				if svc, ok := ix.ServiceFlat(e.RecordID); ok {
					row.Record, row.RecordHref = "service "+svc.Name, "/services/"+e.RecordID
				}
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}
