package web

import (
	"fmt"
	"strconv"
	"strings"

	"throughcare/internal/directory"
)

// weekdays are the iCalendar day codes HSDS schedules use, Monday first.
var weekdays = []struct{ code, name string }{
	{"MO", "Monday"}, {"TU", "Tuesday"}, {"WE", "Wednesday"}, {"TH", "Thursday"},
	{"FR", "Friday"}, {"SA", "Saturday"}, {"SU", "Sunday"},
}

// hoursOf turns HSDS schedules into an opening-hours table, one row per
// schedule, in the order given.
func hoursOf(schedules []directory.Schedule) HoursView {
	var v HoursView
	for _, s := range schedules {
		row := HoursRow{Days: scheduleDays(s), Times: scheduleTimes(s.OpensAt, s.ClosesAt)}
		var notes []string
		for _, n := range []string{s.Description, s.Notes, validity(s.ValidFrom, s.ValidTo)} {
			if n = strings.TrimSpace(n); n != "" {
				notes = append(notes, n)
			}
		}
		row.Notes = strings.Join(notes, ". ")
		if row.Days == "" && row.Times == "" && row.Notes == "" {
			continue
		}
		if row.Days == "" {
			row.Days = "See notes"
		}
		v.HasNotes = v.HasNotes || row.Notes != ""
		v.Rows = append(v.Rows, row)
	}
	return v
}

// scheduleDays describes the days of a schedule: "Every day",
// "Monday to Friday", "Tuesday and Thursday", "First Monday of the month".
func scheduleDays(s directory.Schedule) string {
	var days [7]bool
	var monthly []string
	for tok := range strings.SplitSeq(strings.ToUpper(s.ByDay), ",") {
		tok = strings.TrimSpace(tok)
		if len(tok) < 2 {
			continue
		}
		code, ord := tok[len(tok)-2:], tok[:len(tok)-2]
		d := dayIndex(code)
		if d < 0 {
			continue
		}
		if ord == "" {
			days[d] = true
			continue
		}
		if n, err := strconv.Atoi(ord); err == nil && ordinals[n] != "" {
			monthly = append(monthly, ordinals[n]+" "+weekdays[d].name+" of the month")
		}
	}
	if len(monthly) > 0 {
		return strings.Join(monthly, ", ")
	}
	text := dayRange(days)
	if text == "" && strings.EqualFold(s.Freq, "DAILY") {
		return "Every day"
	}
	return text
}

func dayIndex(code string) int {
	for i, d := range weekdays {
		if d.code == code {
			return i
		}
	}
	return -1
}

// dayRange describes a set of weekdays, joining runs of three or more
// consecutive days with "to".
func dayRange(days [7]bool) string {
	var parts []string
	all := true
	for i := 0; i < 7; {
		if !days[i] {
			all = false
			i++
			continue
		}
		j := i
		for j+1 < 7 && days[j+1] {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, weekdays[i].name+" to "+weekdays[j].name)
		case j == i+1:
			parts = append(parts, weekdays[i].name, weekdays[j].name)
		default:
			parts = append(parts, weekdays[i].name)
		}
		i = j + 1
	}
	if all {
		return "Every day"
	}
	return joinAnd(parts)
}

// joinAnd joins items as English does: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// ordinals name the weeks of a month an RRULE BYDAY prefix can pick.
var ordinals = map[int]string{1: "First", 2: "Second", 3: "Third", 4: "Fourth", 5: "Fifth", -1: "Last", -2: "Second to last"}

// scheduleTimes describes opening times: "9am to 5pm", "Open 24 hours",
// "From 6pm", "Until midday", or "" when neither is given.
func scheduleTimes(opens, closes string) string {
	o, oOK := clock(opens)
	c, cOK := clock(closes)
	switch {
	case oOK && cOK && o == 0 && (c == 0 || c >= 23*60+59):
		return "Open 24 hours"
	case oOK && cOK:
		return clockText(o) + " to " + clockText(c)
	case oOK:
		return "From " + clockText(o)
	case cOK:
		return "Until " + clockText(c)
	}
	return ""
}

// clock reads the minutes after midnight of an HSDS time such as "09:00",
// "17:30:00" or "09:00:00Z".
func clock(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:5])
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// clockText writes minutes after midnight as GOV.UK style asks: "9am",
// "5:30pm", "midday", "midnight".
func clockText(min int) string {
	h, m := min/60%24, min%60
	switch {
	case h == 0 && m == 0:
		return "midnight"
	case h == 12 && m == 0:
		return "midday"
	}
	suffix := "am"
	if h >= 12 {
		suffix = "pm"
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	if m == 0 {
		return fmt.Sprintf("%d%s", h12, suffix)
	}
	return fmt.Sprintf("%d:%02d%s", h12, m, suffix)
}

// validity describes the dates a schedule applies between.
func validity(from, to string) string {
	switch {
	case from != "" && to != "":
		return "From " + formatDate(from) + " to " + formatDate(to)
	case from != "":
		return "From " + formatDate(from)
	case to != "":
		return "Until " + formatDate(to)
	}
	return ""
}
