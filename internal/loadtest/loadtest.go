// Package loadtest measures how many requests per second a handler serves
// over real HTTP, side by side with a bare net/http handler that writes the
// same bytes. The machines that run the benchmarks are shared and noisy, so
// the two are measured in alternating rounds of one run and the result that
// matters is their ratio, not either rate on its own.
package loadtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"throughcare/internal/apperr"
)

// Limits on Config, so that every run ends by itself.
const (
	MaxDuration    = 5 * time.Minute // longest round
	MaxConcurrency = 1024            // most concurrent clients
	MaxRounds      = 100             // most rounds per side
)

const (
	// maxBody bounds the captured response body.
	maxBody = 64 << 20
	// maxPerWorker bounds the requests one client goroutine issues in one
	// round. Rates are completions over elapsed time, so reaching the bound
	// only shortens the round; it never skews the rate.
	maxPerWorker = 1 << 20
	// warmupPerWorker is how many requests each client goroutine issues to
	// each side before the first round, so that connections are open and
	// caches warm before anything is counted.
	warmupPerWorker = 8
	// requestTimeout bounds one request, and so how far a round can overrun.
	requestTimeout = 30 * time.Second
	// shutdownTimeout bounds the graceful stop of each server.
	shutdownTimeout = 5 * time.Second
)

// Config says what to measure and for how long.
type Config struct {
	// Subject is the handler under test.
	Subject http.Handler
	// Path is the request path and query sent to both servers, such as
	// "/api/v1/search?q=food". It must start with "/".
	Path string
	// Duration is the length of one round, from a millisecond to MaxDuration.
	Duration time.Duration
	// Concurrency is the number of goroutines issuing requests at once, each
	// over its own keep-alive connection, from 1 to MaxConcurrency.
	Concurrency int
	// Rounds is the number of rounds per side, from 1 to MaxRounds.
	Rounds int
}

func (c Config) validate() error {
	switch {
	case c.Subject == nil:
		return apperr.Field("Subject", "is nil")
	case !strings.HasPrefix(c.Path, "/") || strings.HasPrefix(c.Path, "//"):
		return apperr.Field("Path", "%q must be a path and query starting with a single /", c.Path)
	case c.Duration < time.Millisecond || c.Duration > MaxDuration:
		return apperr.Field("Duration", "%v is outside 1ms..%v", c.Duration, MaxDuration)
	case c.Concurrency < 1 || c.Concurrency > MaxConcurrency:
		return apperr.Field("Concurrency", "%d is outside 1..%d", c.Concurrency, MaxConcurrency)
	case c.Rounds < 1 || c.Rounds > MaxRounds:
		return apperr.Field("Rounds", "%d is outside 1..%d", c.Rounds, MaxRounds)
	}
	if _, err := url.ParseRequestURI(c.Path); err != nil {
		return apperr.Field("Path", "%q: %v", c.Path, err)
	}
	return nil
}

// Side is what one server achieved over all its rounds.
type Side struct {
	// RequestsPerSec is the median over rounds of 200 responses per second.
	RequestsPerSec float64
	// RoundRates holds each round's 200 responses per second, in run order.
	RoundRates []float64
	// Requests counts the 200 responses over all rounds.
	Requests int64
	// Errors counts transport errors and non-200 responses over all rounds.
	Errors int64
	// P50 and P99 are latency percentiles of the 200 responses over all
	// rounds, from sending the request to reading the last byte, within
	// about 6%.
	P50, P99 time.Duration
}

// Report is the outcome of Compare.
type Report struct {
	Path        string        // request path and query
	Bytes       int           // size of the response body both sides send
	ContentType string        // Content-Type both sides send
	Duration    time.Duration // length of one round
	Concurrency int           // concurrent clients
	Rounds      int           // rounds per side

	Subject Side // the handler under test
	Bare    Side // the bare handler writing the same bytes

	// Ratio is Subject.RequestsPerSec / Bare.RequestsPerSec.
	Ratio float64
	// Overhead is 1/Subject.RequestsPerSec − 1/Bare.RequestsPerSec: the
	// wall time the subject adds per request at this concurrency. Unlike
	// Ratio it does not drift towards 1 when the client's own cost per
	// request is large.
	Overhead time.Duration
}

// Compare serves cfg.Subject and a bare handler returning the same bytes on
// two loopback ports, then drives both with GET cfg.Path in alternating
// rounds (subject, bare, subject, bare, …) so that noise on the machine hits
// both alike, and reports the median rate of each and their ratio.
//
// The subject's response to cfg.Path is captured once, before any round; it
// must be 200, or Compare returns an error matching apperr.Invalid that names
// Path. A bad Config also matches apperr.Invalid and names the field. If ctx
// ends, Compare stops the requests in flight, closes both servers and returns
// ctx.Err() wrapped. It also fails if the bare handler completed no requests,
// since no ratio is then defined.
func Compare(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.validate(); err != nil {
		return Report{}, fmt.Errorf("loadtest: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("loadtest: %w", err)
	}

	client, transport := newClient(cfg.Concurrency)
	defer transport.CloseIdleConnections()

	subject, err := serve(cfg.Subject)
	if err != nil {
		return Report{}, fmt.Errorf("loadtest: subject: %w", err)
	}
	defer subject.close()

	resp, err := capture(ctx, client, subject.base+cfg.Path)
	if err != nil {
		return Report{}, fmt.Errorf("loadtest: %w", err)
	}

	bare, err := serve(bareHandler(resp))
	if err != nil {
		return Report{}, fmt.Errorf("loadtest: bare: %w", err)
	}
	defer bare.close()

	sides := []string{subject.base + cfg.Path, bare.base + cfg.Path}
	for _, u := range sides {
		if _, err := runRound(ctx, client, u, cfg.Concurrency, cfg.Duration, warmupPerWorker); err != nil {
			return Report{}, fmt.Errorf("loadtest: warm-up: %w", err)
		}
	}

	var totals [2]roundResult
	var rates [2][]float64
	for range cfg.Rounds {
		for i, u := range sides {
			r, err := runRound(ctx, client, u, cfg.Concurrency, cfg.Duration, maxPerWorker)
			if err != nil {
				return Report{}, fmt.Errorf("loadtest: %w", err)
			}
			rates[i] = append(rates[i], r.rate())
			totals[i].add(&r)
		}
	}

	rep := Report{
		Path:        cfg.Path,
		Bytes:       len(resp.body),
		ContentType: resp.contentType,
		Duration:    cfg.Duration,
		Concurrency: cfg.Concurrency,
		Rounds:      cfg.Rounds,
		Subject:     totals[0].side(rates[0]),
		Bare:        totals[1].side(rates[1]),
	}
	if rep.Bare.RequestsPerSec == 0 {
		return Report{}, fmt.Errorf("loadtest: the bare handler completed no requests (%d errors)", rep.Bare.Errors)
	}
	rep.Ratio = rep.Subject.RequestsPerSec / rep.Bare.RequestsPerSec
	if rep.Subject.RequestsPerSec > 0 {
		secs := 1/rep.Subject.RequestsPerSec - 1/rep.Bare.RequestsPerSec
		rep.Overhead = time.Duration(secs * float64(time.Second))
	}
	return rep, nil
}

// newClient returns a client that keeps one idle connection per concurrent
// goroutine to each server, never uses a proxy and never asks for
// compression, so both sides receive the same request and send the bytes
// as they are.
func newClient(concurrency int) (*http.Client, *http.Transport) {
	t := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        2 * concurrency,
		MaxIdleConnsPerHost: concurrency,
		DisableCompression:  true,
	}
	return &http.Client{Transport: t, Timeout: requestTimeout}, t
}

// server is one net/http server on a loopback port.
type server struct {
	srv  *http.Server
	base string // "http://127.0.0.1:port"
	done chan struct{}
}

func serve(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		base: "http://" + ln.Addr().String(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // always an error; http.ErrServerClosed once closed
	}()
	return s, nil
}

// close stops the server, letting requests in flight finish for a while,
// and waits until it has stopped serving.
func (s *server) close() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
}

// response is the subject's captured answer.
type response struct {
	body        []byte
	contentType string // "" when the subject sent none
	sized       bool   // whether it carried a Content-Length
}

// capture fetches u once and keeps the body and the headers that shape the
// bytes on the wire.
func capture(ctx context.Context, client *http.Client, u string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return response{}, apperr.Field("Path", "%v", err)
	}
	res, err := client.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("capturing the subject's response: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return response{}, fmt.Errorf("capturing the subject's response: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return response{}, apperr.Field("Path", "the subject answered GET %s with %s, want 200 OK", req.URL.RequestURI(), res.Status)
	}
	if len(body) > maxBody {
		return response{}, apperr.Field("Path", "the subject's response is larger than %d bytes", maxBody)
	}
	return response{
		body:        body,
		contentType: res.Header.Get("Content-Type"),
		sized:       res.ContentLength >= 0,
	}, nil
}

// bareHandler writes r's bytes with r's Content-Type, and with a
// Content-Length only if r had one, so that a subject's chunked response is
// matched by a chunked one.
func bareHandler(r response) http.Handler {
	length := strconv.Itoa(len(r.body))
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		if r.contentType != "" {
			h.Set("Content-Type", r.contentType)
		} else {
			h["Content-Type"] = nil // no sniffing: send none, as the subject did
		}
		if r.sized {
			h.Set("Content-Length", length)
		}
		_, _ = w.Write(r.body)
	})
}

// roundResult is what the clients of one round (or of several, once added
// up) observed.
type roundResult struct {
	ok, errs int64
	elapsed  time.Duration
	latency  histogram
}

func (r *roundResult) add(o *roundResult) {
	r.ok += o.ok
	r.errs += o.errs
	r.elapsed += o.elapsed
	r.latency.add(&o.latency)
}

// rate is 200 responses per second of the round.
func (r *roundResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ok) / r.elapsed.Seconds()
}

func (r *roundResult) side(rates []float64) Side {
	return Side{
		RequestsPerSec: median(rates),
		RoundRates:     rates,
		Requests:       r.ok,
		Errors:         r.errs,
		P50:            r.latency.quantile(0.50),
		P99:            r.latency.quantile(0.99),
	}
}

// runRound drives u from n goroutines, each issuing GETs one after another
// until d has passed or it has issued limit of them. The round ends when the
// last response is read, and its elapsed time runs from the start to then.
// It returns ctx's error if ctx ended.
func runRound(ctx context.Context, client *http.Client, u string, n int, d time.Duration, limit int) (roundResult, error) {
	results := make([]roundResult, n)
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = drive(ctx, client, u, end, limit) })
	}
	wg.Wait()
	var total roundResult
	for i := range results {
		total.add(&results[i])
	}
	total.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return roundResult{}, err
	}
	return total, nil
}

// drive is one client goroutine of a round.
func drive(ctx context.Context, client *http.Client, u string, end time.Time, limit int) (r roundResult) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		r.errs++
		return r
	}
	for range limit {
		t0 := time.Now()
		if !t0.Before(end) || ctx.Err() != nil {
			break
		}
		// Reusing req is allowed once the previous body is closed.
		res, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				r.errs++
			}
			continue
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		switch {
		case err != nil:
			if ctx.Err() == nil {
				r.errs++
			}
		case res.StatusCode != http.StatusOK:
			r.errs++
		default:
			r.ok++
			r.latency.record(time.Since(t0))
		}
	}
	return r
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
