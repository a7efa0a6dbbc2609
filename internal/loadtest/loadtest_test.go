package loadtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"throughcare/internal/apperr"
	"throughcare/internal/loadtest"
)

const body = `{"services":[{"id":"1","name":"Food bank"}]}`

func jsonHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, body)
}

// quick is a Config short enough for unit tests.
func quick(h http.Handler) loadtest.Config {
	return loadtest.Config{
		Subject:     h,
		Path:        "/search?q=food&page=2",
		Duration:    40 * time.Millisecond,
		Concurrency: 2,
		Rounds:      3,
	}
}

func mustCompare(t *testing.T, cfg loadtest.Config) loadtest.Report {
	t.Helper()
	rep, err := loadtest.Compare(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Compare: %v", err)
	}
	return rep
}

func checkSide(t *testing.T, name string, s loadtest.Side, rounds int) {
	t.Helper()
	if s.Requests <= 0 {
		t.Errorf("%s: Requests = %d, want > 0", name, s.Requests)
	}
	if s.Errors != 0 {
		t.Errorf("%s: Errors = %d, want 0", name, s.Errors)
	}
	if len(s.RoundRates) != rounds {
		t.Errorf("%s: %d round rates, want %d", name, len(s.RoundRates), rounds)
	}
	for i, r := range s.RoundRates {
		if r <= 0 {
			t.Errorf("%s: round %d rate = %v, want > 0", name, i, r)
		}
	}
	if s.RequestsPerSec <= 0 {
		t.Errorf("%s: RequestsPerSec = %v, want > 0", name, s.RequestsPerSec)
	}
	if s.P50 <= 0 || s.P99 < s.P50 {
		t.Errorf("%s: P50 = %v, P99 = %v; want 0 < P50 ≤ P99", name, s.P50, s.P99)
	}
}

func TestCompareSelf(t *testing.T) {
	var mu sync.Mutex
	paths := map[string]int{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths[r.Method+" "+r.URL.RequestURI()]++
		mu.Unlock()
		jsonHandler(w, r)
	})
	cfg := quick(h)
	rep := mustCompare(t, cfg)

	if rep.Path != cfg.Path || rep.Duration != cfg.Duration || rep.Concurrency != 2 || rep.Rounds != 3 {
		t.Errorf("report echoes %q %v %d %d, want the config", rep.Path, rep.Duration, rep.Concurrency, rep.Rounds)
	}
	if rep.Bytes != len(body) {
		t.Errorf("Bytes = %d, want %d", rep.Bytes, len(body))
	}
	if rep.ContentType != "application/json" {
		t.Errorf("ContentType = %q, want application/json", rep.ContentType)
	}
	checkSide(t, "subject", rep.Subject, 3)
	checkSide(t, "bare", rep.Bare, 3)
	if rep.Ratio < 0.2 || rep.Ratio > 5 {
		t.Errorf("Ratio = %v comparing a handler with its own bytes, want within 0.2..5", rep.Ratio)
	}
	if got := rep.Subject.RequestsPerSec / rep.Bare.RequestsPerSec; got != rep.Ratio {
		t.Errorf("Ratio = %v, want Subject/Bare = %v", rep.Ratio, got)
	}

	// Every request the subject saw was GET Path: the capture, the warm-up
	// and the counted ones (and no more than were issued).
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths["GET "+cfg.Path] == 0 {
		t.Errorf("subject saw %v, want only GET %s", paths, cfg.Path)
	}
	if n := int64(paths["GET "+cfg.Path]); n < rep.Subject.Requests+1 {
		t.Errorf("subject served %d requests, fewer than the %d counted plus the capture", n, rep.Subject.Requests)
	}

	s := rep.String()
	for _, want := range []string{"GET " + cfg.Path, "application/json", "subject", "bare", "ratio subject/bare:", "p99"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	t.Logf("\n%s", s)
}

func TestCompareSlowSubjectHasLowerRatio(t *testing.T) {
	fast := mustCompare(t, quick(http.HandlerFunc(jsonHandler)))
	slow := mustCompare(t, quick(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Millisecond)
		jsonHandler(w, r)
	})))
	checkSide(t, "slow subject", slow.Subject, 3)
	if slow.Ratio >= fast.Ratio {
		t.Errorf("slow ratio %v ≥ fast ratio %v, want lower", slow.Ratio, fast.Ratio)
	}
	if slow.Overhead <= 0 {
		t.Errorf("slow Overhead = %v, want > 0", slow.Overhead)
	}
	if slow.Subject.P50 < 2*time.Millisecond {
		t.Errorf("slow subject P50 = %v, want at least the 2ms it sleeps", slow.Subject.P50)
	}
}

func TestCompareCountsErrors(t *testing.T) {
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch k := n.Add(1); {
		case k == 1: // the capture must succeed
		case k%3 == 0:
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		case k%3 == 1:
			panic(http.ErrAbortHandler) // drops the connection
		}
		jsonHandler(w, r)
	})
	rep := mustCompare(t, quick(h))
	if rep.Subject.Errors == 0 || rep.Subject.Requests == 0 {
		t.Errorf("subject Requests = %d, Errors = %d; want both > 0", rep.Subject.Requests, rep.Subject.Errors)
	}
	if rep.Bare.Errors != 0 {
		t.Errorf("bare Errors = %d, want 0", rep.Bare.Errors)
	}
}

func TestCompareNon200Subject(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusInternalServerError, http.StatusNoContent} {
		var calls atomic.Int64
		h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			calls.Add(1)
			w.WriteHeader(status)
		})
		_, err := loadtest.Compare(t.Context(), quick(h))
		if !errors.Is(err, apperr.Invalid) {
			t.Fatalf("status %d: err = %v, want apperr.Invalid", status, err)
		}
		if fe, ok := errors.AsType[*apperr.FieldError](err); !ok || fe.Field != "Path" {
			t.Errorf("status %d: err = %v, want a FieldError on Path", status, err)
		}
		if want := http.StatusText(status); !strings.Contains(err.Error(), want) {
			t.Errorf("status %d: err = %q, want it to mention %q", status, err, want)
		}
		if c := calls.Load(); c != 1 {
			t.Errorf("status %d: subject called %d times, want once", status, c)
		}
	}
}

func TestCompareInvalidConfig(t *testing.T) {
	ok := quick(http.HandlerFunc(jsonHandler))
	for _, tc := range []struct {
		field string
		edit  func(*loadtest.Config)
	}{
		{"Subject", func(c *loadtest.Config) { c.Subject = nil }},
		{"Path", func(c *loadtest.Config) { c.Path = "" }},
		{"Path", func(c *loadtest.Config) { c.Path = "search" }},
		{"Path", func(c *loadtest.Config) { c.Path = "http://example.com/" }},
		{"Path", func(c *loadtest.Config) { c.Path = "//example.com/x" }},
		{"Path", func(c *loadtest.Config) { c.Path = "/a\x7fb" }},
		{"Duration", func(c *loadtest.Config) { c.Duration = 0 }},
		{"Duration", func(c *loadtest.Config) { c.Duration = loadtest.MaxDuration + 1 }},
		{"Concurrency", func(c *loadtest.Config) { c.Concurrency = 0 }},
		{"Concurrency", func(c *loadtest.Config) { c.Concurrency = loadtest.MaxConcurrency + 1 }},
		{"Rounds", func(c *loadtest.Config) { c.Rounds = 0 }},
		{"Rounds", func(c *loadtest.Config) { c.Rounds = loadtest.MaxRounds + 1 }},
	} {
		cfg := ok
		tc.edit(&cfg)
		_, err := loadtest.Compare(t.Context(), cfg)
		fe, isField := errors.AsType[*apperr.FieldError](err)
		if !isField || fe.Field != tc.field || !errors.Is(err, apperr.Invalid) {
			t.Errorf("%+v: err = %v, want an Invalid FieldError on %s", cfg, err, tc.field)
		}
	}
}

func TestCompareStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Cancel well into the first counted round of a run that would
		// otherwise take minutes.
		if n.Add(1) == 200 {
			cancel()
		}
		jsonHandler(w, r)
	})
	cfg := quick(h)
	cfg.Duration = time.Minute
	_, err := loadtest.Compare(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestCompareContextAlreadyDone(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var called atomic.Bool
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called.Store(true)
		jsonHandler(w, r)
	})
	_, err := loadtest.Compare(ctx, quick(h))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if called.Load() {
		t.Error("subject was called after the context ended")
	}
}
