package geo

import (
	"time"
	// The zone database is built into the binary, so UK time is right
	// even on a machine that has none (a minimal container, say).
	_ "time/tzdata"
)

// UKTime is the time zone of England: opening hours are read in it, "open
// now" is judged in it, and dates are shown in it.
var UKTime = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		// time/tzdata holds the zone; this cannot happen.
		panic("geo: loading Europe/London: " + err.Error())
	}
	return l
}()
