package web

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"throughcare/internal/directory"
	"throughcare/internal/geo"
)

// ukTime is the time zone opening hours are read in and dates shown in.
var ukTime = geo.UKTime

// Phrases for today's opening times. A service whose schedules say nothing
// about today is closed today; one with no readable schedule at all has
// hours we do not know.
const (
	open24Hours     = "Open 24 hours"
	closedToday     = "Closed today"
	hoursNotListed  = "Hours not listed"
	openTodayPrefix = "Open today, "
)

// interval is an opening on one day, in minutes after midnight; close may
// pass 1440 for an opening that runs past midnight.
type interval struct{ open, close int }

// hoursToday describes when schedules open on the day of now, in UK time:
// "Open today, 9am to 5pm", "Open 24 hours", "Closed today" or "Hours not
// listed". Schedules out of their valid dates, or without both an opening
// and a closing time, are left out.
func hoursToday(schedules []directory.Schedule, now time.Time) string {
	now = now.In(ukTime)
	today := now.Format(time.DateOnly)
	known := false
	var spans []interval
	for _, s := range schedules {
		o, ok1 := clock(s.OpensAt)
		c, ok2 := clock(s.ClosesAt)
		if !ok1 || !ok2 || !validOn(s, today) {
			continue
		}
		on, ok := appliesOn(s, now)
		if !ok {
			continue
		}
		known = true
		if !on {
			continue
		}
		if o == c || (o == 0 && c >= 23*60+59) {
			return open24Hours
		}
		if c < o {
			c += 24 * 60
		}
		spans = append(spans, interval{o, c})
	}
	switch {
	case !known:
		return hoursNotListed
	case len(spans) == 0:
		return closedToday
	}
	slices.SortFunc(spans, func(a, b interval) int { return cmp.Or(cmp.Compare(a.open, b.open), cmp.Compare(a.close, b.close)) })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		last := &merged[len(merged)-1]
		if sp.open <= last.close {
			last.close = max(last.close, sp.close)
			continue
		}
		merged = append(merged, sp)
	}
	var parts []string
	for _, sp := range merged {
		parts = append(parts, clockText(sp.open)+" to "+clockText(sp.close))
	}
	return openTodayPrefix + joinAnd(parts)
}

// validOn reports whether a schedule's valid_from and valid_to dates (when
// given, as dates or date-times) include the day (YYYY-MM-DD).
func validOn(s directory.Schedule, day string) bool {
	from, to := datePart(s.ValidFrom), datePart(s.ValidTo)
	return (from == "" || from <= day) && (to == "" || day <= to)
}

// datePart returns the YYYY-MM-DD start of an HSDS date or date-time, or ""
// when it has none.
func datePart(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 10 {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, s[:10]); err != nil {
		return ""
	}
	return s[:10]
}

// appliesOn reports whether a schedule opens on the day of t. ok is false
// for a frequency we cannot read (yearly, say), whose schedule tells
// nothing about a given day. Without BYDAY a daily or weekly schedule runs
// every day, as the search engine reads it; a BYDAY item with an ordinal
// ("1MO", "-1FR") picks that weekday of the month.
func appliesOn(s directory.Schedule, t time.Time) (on, ok bool) {
	switch strings.ToUpper(strings.TrimSpace(s.Freq)) {
	case "", "WEEKLY", "DAILY", "MONTHLY":
	default:
		return false, false
	}
	byDay := strings.TrimSpace(s.ByDay)
	if byDay == "" {
		return true, true
	}
	wd := (int(t.Weekday()) + 6) % 7 // Monday is 0, as in weekdays
	daysInMonth := time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	seen := false
	for tok := range strings.SplitSeq(strings.ToUpper(byDay), ",") {
		tok = strings.TrimSpace(tok)
		if len(tok) < 2 {
			continue
		}
		d := dayIndex(tok[len(tok)-2:])
		if d < 0 {
			continue
		}
		seen = true
		if d != wd {
			continue
		}
		ord := tok[:len(tok)-2]
		if ord == "" {
			return true, true
		}
		n, err := strconv.Atoi(ord)
		switch {
		case err != nil:
		case n > 0 && (t.Day()-1)/7+1 == n:
			return true, true
		case n < 0 && (daysInMonth-t.Day())/7+1 == -n:
			return true, true
		}
	}
	return false, seen
}

// scheduleOwner picks the schedules that say when a service opens: its own
// when it has any, else those of the service-at-location preferSAL (and
// its location), else those of the first service-at-location that has
// any. svc is nested as Index.Service returns it.
func scheduleOwner(svc directory.Service, preferSAL string) []directory.Schedule {
	if len(svc.Schedules) > 0 {
		return svc.Schedules
	}
	of := func(sal directory.ServiceAtLocation) []directory.Schedule {
		out := sal.Schedules
		if sal.Location != nil {
			out = slices.Concat(out, sal.Location.Schedules)
		}
		return out
	}
	if preferSAL != "" {
		for _, sal := range svc.ServiceAtLocations {
			if sal.ID == preferSAL {
				if sc := of(sal); len(sc) > 0 {
					return sc
				}
			}
		}
	}
	for _, sal := range svc.ServiceAtLocations {
		if sc := of(sal); len(sc) > 0 {
			return sc
		}
	}
	return nil
}

// nearestLocation returns the service-at-location of svc (nested) whose
// location is nearest p, and its distance in metres; ok is false when no
// location has coordinates.
func nearestLocation(svc directory.Service, p geo.Point) (salID string, metres float64, ok bool) {
	for _, sal := range svc.ServiceAtLocations {
		l := sal.Location
		if l == nil || l.Latitude == nil || l.Longitude == nil {
			continue
		}
		d := geo.Distance(p, geo.Point{Lat: *l.Latitude, Lon: *l.Longitude})
		if !ok || d < metres {
			salID, metres, ok = sal.ID, d, true
		}
	}
	return salID, metres, ok
}

// formatKm writes a distance in metres as kilometres to one decimal place.
func formatKm(metres float64) string {
	return strconv.FormatFloat(metres/1000, 'f', 1, 64) + " km"
}
