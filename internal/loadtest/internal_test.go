package loadtest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBucketsAreOrderedAndTight(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 2, 15, 16, 31, 32, 33, 34, 47, 48, 63, 64, 1000, 1 << 20, 1<<20 + 1, 1<<40 - 1, 1<<63 - 1} {
		i := bucket(v)
		if i < prev {
			t.Errorf("bucket(%d) = %d, below the previous value's %d", v, i, prev)
		}
		if i >= nBuckets {
			t.Fatalf("bucket(%d) = %d, beyond %d buckets", v, i, nBuckets)
		}
		prev = i
		mid := bucketMid(i)
		if v < 2*sub && mid != v {
			t.Errorf("bucketMid(bucket(%d)) = %d, want exact", v, mid)
		}
		if diff := max(mid, v) - min(mid, v); float64(diff) > float64(v)/float64(sub) {
			t.Errorf("bucketMid(bucket(%d)) = %d, more than 1/%d away", v, mid, sub)
		}
	}
	// Buckets are contiguous: every index from 0 up is reached.
	seen := map[int]bool{}
	for v := range uint64(1 << 12) {
		seen[bucket(v)] = true
	}
	for i := range bucket(1<<12 - 1) {
		if !seen[i] {
			t.Fatalf("bucket %d is never used", i)
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	var h histogram
	if got := h.quantile(0.5); got != 0 {
		t.Errorf("empty quantile = %v, want 0", got)
	}
	// 99 values of 10µs and one of 5ms: p50 near 10µs, p99 still 10µs,
	// p100 near 5ms.
	for range 99 {
		h.record(10 * time.Microsecond)
	}
	h.record(5 * time.Millisecond)
	h.record(-time.Second) // clamps to 0, the smallest bucket
	var whole histogram
	whole.add(&h)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.005, 0}, {0.5, 10 * time.Microsecond}, {0.98, 10 * time.Microsecond}, {1, 5 * time.Millisecond}} {
		got := whole.quantile(tc.q)
		if d := (got - tc.want).Abs(); float64(d) > float64(tc.want)/sub {
			t.Errorf("quantile(%v) = %v, want %v within 1/%d", tc.q, got, tc.want, sub)
		}
	}
	if whole.n != 101 {
		t.Errorf("n = %d, want 101", whole.n)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		in := slices.Clone(tc.in)
		if got := median(in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("median reordered its input: %v", in)
		}
	}
}

// rawGet sends one GET over a fresh connection and returns what arrived
// as the parts that matter: status line, headers other than Date, framing
// (Content-Length, or chunked) and body. Header order and chunk sizes
// depend on how a handler writes, and cost nothing measurable.
func rawGet(t *testing.T, base string) string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /x HTTP/1.1\r\nHost: loopback\r\nConnection: close\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	res.Header.Del("Date")
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nContent-Length %d, Transfer-Encoding %q\n", res.Status, res.ContentLength, res.TransferEncoding)
	res.Header.Write(&b)
	fmt.Fprintf(&b, "\n%q", body)
	return b.String()
}

// The bare handler's response is the subject's,
// whether the subject's was sized, chunked or without a Content-Type.
func TestBareHandlerMatchesSubjectOnTheWire(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 1000) // beyond net/http's buffer, so chunked
	for name, h := range map[string]http.HandlerFunc{
		"json": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"a":1}`)
		},
		"sniffed": func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "<!doctype html><p>hello")
		},
		"chunked": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, big)
		},
		"sized": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/csv")
			w.Header().Set("Content-Length", "16000")
			io.WriteString(w, big)
		},
		"no type": func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = nil
			io.WriteString(w, "plain bytes")
		},
		"empty": func(w http.ResponseWriter, _ *http.Request) {},
	} {
		t.Run(name, func(t *testing.T) {
			subject, err := serve(h)
			if err != nil {
				t.Fatal(err)
			}
			defer subject.close()
			client, transport := newClient(1)
			defer transport.CloseIdleConnections()
			resp, err := capture(t.Context(), client, subject.base+"/x")
			if err != nil {
				t.Fatal(err)
			}
			bare, err := serve(bareHandler(resp))
			if err != nil {
				t.Fatal(err)
			}
			defer bare.close()
			want, got := rawGet(t, subject.base), rawGet(t, bare.base)
			if got != want {
				t.Errorf("bare response differs from the subject's\nsubject:\n%.400s\nbare:\n%.400s", want, got)
			}
		})
	}
}
