package loadtest

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// String prints the report as a small table, one row per side, followed by
// the ratio, for a benchmark log.
func (r Report) String() string {
	var b strings.Builder
	ct := r.ContentType
	if ct == "" {
		ct = "no Content-Type"
	}
	fmt.Fprintf(&b, "GET %s: %d bytes (%s); %d clients, %d rounds of %v per side\n",
		r.Path, r.Bytes, ct, r.Concurrency, r.Rounds, r.Duration)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "\treq/s (median)\tp50\tp99\trequests\terrors\tper round\t\n")
	for _, row := range []struct {
		name string
		s    Side
	}{{"subject", r.Subject}, {"bare", r.Bare}} {
		rounds := make([]string, len(row.s.RoundRates))
		for i, x := range row.s.RoundRates {
			rounds[i] = fmt.Sprintf("%.0f", x)
		}
		fmt.Fprintf(w, "%s\t%.0f\t%v\t%v\t%d\t%d\t%s\t\n", row.name, row.s.RequestsPerSec,
			roundLatency(row.s.P50), roundLatency(row.s.P99), row.s.Requests, row.s.Errors,
			strings.Join(rounds, " "))
	}
	w.Flush()
	fmt.Fprintf(&b, "ratio subject/bare: %.3f (subject adds %v per request)\n", r.Ratio, roundLatency(r.Overhead))
	return b.String()
}

// roundLatency keeps three or so significant digits.
func roundLatency(d time.Duration) time.Duration {
	switch a := max(d, -d); {
	case a >= time.Second:
		return d.Round(time.Millisecond)
	case a >= time.Millisecond:
		return d.Round(time.Microsecond)
	case a >= time.Microsecond:
		return d.Round(10 * time.Nanosecond)
	}
	return d
}
