package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"throughcare/internal/apperr"
)

func TestBehindProxies(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 192.0.2.7")
	if err != nil || len(trusted) != 2 || trusted[1] != netip.MustParsePrefix("192.0.2.7/32") {
		t.Fatalf("ParseProxies = %v, %v", trusted, err)
	}
	var got struct {
		ip    string
		https bool
	}
	h := BehindProxies(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.ip, got.https = clientIP(r), IsHTTPS(r)
	}))
	for _, c := range []struct {
		name, peer, xff, proto string
		ip                     string
		https                  bool
	}{
		{"trusted proxy", "10.1.2.3:5000", "203.0.113.5", "https", "203.0.113.5", true},
		{"two proxies", "10.1.2.3:5000", "203.0.113.5, 10.9.9.9", "https", "203.0.113.5", true},
		{"forged entry before the client", "192.0.2.7:5000", "198.51.100.1, 203.0.113.5", "http", "203.0.113.5", false},
		{"untrusted peer", "198.51.100.9:5000", "203.0.113.5", "https", "198.51.100.9", false},
		{"trusted proxy, no header", "10.1.2.3:5000", "", "", "10.1.2.3", false},
		{"garbage", "10.1.2.3:5000", "not-an-address", "https", "10.1.2.3", true},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got.ip != c.ip || got.https != c.https {
			t.Errorf("%s: client %s, https %v; want %s, %v", c.name, got.ip, got.https, c.ip, c.https)
		}
	}
	if _, err := ParseProxies("10.0.0.0/8, nonsense"); !errors.Is(err, apperr.Invalid) {
		t.Errorf("bad entry: %v, want Invalid", err)
	}
}

// HSTS is sent when a trusted proxy says the visitor came over HTTPS.
func TestHSTSBehindProxy(t *testing.T) {
	s := newTestServer(t, Config{}, nil)
	trusted, _ := ParseProxies("10.0.0.0/8")
	h := BehindProxies(trusted, s)
	for _, c := range []struct {
		peer string
		want bool
	}{{"10.0.0.1:1", true}, {"198.51.100.9:1", false}} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.peer
		r.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if got := rec.Header().Get("Strict-Transport-Security") != ""; got != c.want {
			t.Errorf("from %s: HSTS %v, want %v", c.peer, got, c.want)
		}
	}
}
