package web

import (
	"testing"
	"time"

	"throughcare/internal/directory"
	"throughcare/internal/geo"
)

func TestHoursToday(t *testing.T) {
	// Days of May 2026 in UK time: the 4th is the first Monday, the 11th
	// the second, the 29th the last Friday, the 9th a Saturday.
	day := func(d int) time.Time { return time.Date(2026, time.May, d, 12, 0, 0, 0, ukTime) }
	weekly := func(byDay, opens, closes string) directory.Schedule {
		return directory.Schedule{Freq: "WEEKLY", ByDay: byDay, OpensAt: opens, ClosesAt: closes}
	}
	office := weekly("MO,TU,WE,TH,FR", "09:00", "17:00")
	tests := []struct {
		name      string
		schedules []directory.Schedule
		now       time.Time
		want      string
	}{
		{"office hours on a Monday", []directory.Schedule{office}, day(4), "Open today, 9am to 5pm"},
		{"office hours on a Saturday", []directory.Schedule{office}, day(9), "Closed today"},
		{"late evenings join the day", []directory.Schedule{office, weekly("TU,TH", "17:00", "20:00")}, day(5), "Open today, 9am to 8pm"},
		{"late evenings on another day", []directory.Schedule{office, weekly("TU,TH", "17:00", "20:00")}, day(4), "Open today, 9am to 5pm"},
		{"split day", []directory.Schedule{weekly("MO", "13:30", "17:00"), weekly("MO", "09:00", "12:00")}, day(4), "Open today, 9am to midday and 1:30pm to 5pm"},
		{"overlapping sessions", []directory.Schedule{weekly("MO", "09:00", "13:00"), weekly("MO", "12:00", "14:00")}, day(4), "Open today, 9am to 2pm"},
		{"round the clock", []directory.Schedule{weekly("", "00:00", "23:59")}, day(9), "Open 24 hours"},
		{"opens and closes at once", []directory.Schedule{weekly("SA", "08:00", "08:00")}, day(9), "Open 24 hours"},
		{"past midnight", []directory.Schedule{weekly("FR", "22:00", "02:00")}, day(8), "Open today, 10pm to 2am"},
		{"daily without days", []directory.Schedule{{Freq: "DAILY", OpensAt: "08:00", ClosesAt: "20:00:00"}}, day(10), "Open today, 8am to 8pm"},
		{"first Monday", []directory.Schedule{{Freq: "MONTHLY", ByDay: "1MO", OpensAt: "10:00", ClosesAt: "12:00"}}, day(4), "Open today, 10am to midday"},
		{"not the second Monday", []directory.Schedule{{Freq: "MONTHLY", ByDay: "1MO", OpensAt: "10:00", ClosesAt: "12:00"}}, day(11), "Closed today"},
		{"last Friday", []directory.Schedule{{Freq: "MONTHLY", ByDay: "-1FR", OpensAt: "10:00", ClosesAt: "12:00"}}, day(29), "Open today, 10am to midday"},
		{"not the last Friday", []directory.Schedule{{Freq: "MONTHLY", ByDay: "-1FR", OpensAt: "10:00", ClosesAt: "12:00"}}, day(22), "Closed today"},
		{"no schedules", nil, day(4), "Hours not listed"},
		{"no times", []directory.Schedule{{Freq: "WEEKLY", ByDay: "MO", Description: "By appointment"}}, day(4), "Hours not listed"},
		{"yearly says nothing of today", []directory.Schedule{{Freq: "YEARLY", OpensAt: "09:00", ClosesAt: "17:00"}}, day(4), "Hours not listed"},
		{"days we cannot read", []directory.Schedule{weekly("XX", "09:00", "17:00")}, day(4), "Hours not listed"},
		{"expired", []directory.Schedule{{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "17:00", ValidTo: "2026-05-03"}}, day(4), "Hours not listed"},
		{"not yet valid", []directory.Schedule{{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "17:00", ValidFrom: "2026-05-05T00:00:00Z"}}, day(4), "Hours not listed"},
		{"valid on its last day", []directory.Schedule{{Freq: "WEEKLY", ByDay: "MO", OpensAt: "09:00", ClosesAt: "17:00", ValidFrom: "2026-05-04", ValidTo: "2026-05-04"}}, day(4), "Open today, 9am to 5pm"},
		// Sunday 23:30 UTC is Monday 00:30 in summer in the UK.
		{"UK time", []directory.Schedule{weekly("MO", "00:00", "01:00")}, time.Date(2026, time.May, 3, 23, 30, 0, 0, time.UTC), "Open today, midnight to 1am"},
	}
	for _, tt := range tests {
		if got := hoursToday(tt.schedules, tt.now); got != tt.want {
			t.Errorf("%s: hoursToday = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestScheduleOwner(t *testing.T) {
	own := directory.Schedule{ID: "own"}
	salSched := directory.Schedule{ID: "sal"}
	locSched := directory.Schedule{ID: "loc"}
	other := directory.Schedule{ID: "other"}
	svc := directory.Service{ServiceAtLocations: []directory.ServiceAtLocation{
		{ID: "a"},
		{ID: "b", Schedules: []directory.Schedule{other}},
		{ID: "c", Schedules: []directory.Schedule{salSched}, Location: &directory.Location{Schedules: []directory.Schedule{locSched}}},
	}}
	ids := func(ss []directory.Schedule) string {
		var out string
		for _, s := range ss {
			out += s.ID + " "
		}
		return out
	}
	if got := ids(scheduleOwner(svc, "c")); got != "sal loc " {
		t.Errorf("preferred location: %q", got)
	}
	if got := ids(scheduleOwner(svc, "a")); got != "other " {
		t.Errorf("preferred location without hours: %q", got)
	}
	if got := ids(scheduleOwner(svc, "")); got != "other " {
		t.Errorf("no preference: %q", got)
	}
	svc.Schedules = []directory.Schedule{own}
	if got := ids(scheduleOwner(svc, "c")); got != "own " {
		t.Errorf("the service's own hours come first: %q", got)
	}
	if got := scheduleOwner(directory.Service{}, ""); got != nil {
		t.Errorf("no hours anywhere: %v", got)
	}
}

func TestNearestLocation(t *testing.T) {
	at := func(lat, lon float64) *directory.Location {
		return &directory.Location{Latitude: &lat, Longitude: &lon}
	}
	svc := directory.Service{ServiceAtLocations: []directory.ServiceAtLocation{
		{ID: "online", Location: &directory.Location{}},
		{ID: "far", Location: at(53.0, -0.5)},
		{ID: "near", Location: at(53.23, -0.54)},
		{ID: "none"},
	}}
	id, d, ok := nearestLocation(svc, geo.Point{Lat: 53.231, Lon: -0.541})
	if !ok || id != "near" || formatKm(d) != "0.1 km" {
		t.Errorf("nearestLocation = %s, %v, %v", id, d, ok)
	}
	if _, _, ok := nearestLocation(directory.Service{}, geo.Point{}); ok {
		t.Errorf("a service with no locations has a nearest one")
	}
}

func TestParseFrom(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"53.2,-0.5", true},
		{" 53.2 , -0.5 ", true},
		{"53.2", false},
		{"a,b", false},
		{"91,0", false},
		{"0,181", false},
		{"", false},
	}
	for _, tt := range tests {
		p, ok := parseFrom(tt.in)
		if ok != tt.ok || (ok && (p.Lat != 53.2 || p.Lon != -0.5)) {
			t.Errorf("parseFrom(%q) = %v, %v", tt.in, p, ok)
		}
	}
	if got := fromParam(geo.Point{Lat: 53.2307, Lon: -0.5406}); got != "53.23070,-0.54060" {
		t.Errorf("fromParam = %q", got)
	}
}
