package web

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"throughcare/internal/apperr"
)

// Behind a reverse proxy that ends TLS, every request reaches the server
// over plain HTTP from the proxy's address. BehindProxies recovers what the
// proxy saw, from the X-Forwarded-For and X-Forwarded-Proto headers, but
// only on requests that really come from one of the trusted proxies: anyone
// else could write those headers too.

type httpsKey struct{}

// BehindProxies returns next with each request from an address in trusted
// given the client's own address (the last X-Forwarded-For entry that is
// not itself a trusted proxy) and marked as HTTPS when the proxy says the
// visitor came over it. With no trusted proxies it returns next unchanged.
func BehindProxies(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !isTrusted(peer.Addr()) {
			next.ServeHTTP(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			r2.RemoteAddr = net.JoinHostPort(a.Unmap().String(), "0")
			if !isTrusted(a) {
				break
			}
		}
		if strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
			r2 = r2.WithContext(context.WithValue(r2.Context(), httpsKey{}, true))
		}
		next.ServeHTTP(w, r2)
	})
}

// IsHTTPS reports whether the visitor reached the site over HTTPS: over TLS
// to this server, or to a trusted proxy in front of it.
func IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v, _ := r.Context().Value(httpsKey{}).(bool)
	return v
}

// ParseProxies reads a comma-separated list of addresses and CIDR prefixes
// ("10.0.0.0/8, 192.0.2.7"), for BehindProxies.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, apperr.Field("trusted-proxies", "%q is not an IP address or a CIDR prefix such as 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
