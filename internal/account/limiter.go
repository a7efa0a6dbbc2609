package account

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// LimiterConfig sets how hard the Limiter throttles sign-in attempts. Zero
// fields take the defaults shown.
type LimiterConfig struct {
	// MaxFailures failed sign-ins for one account within Window lock that
	// account for LockFor. Defaults: 5 in 15 minutes, locked 15 minutes.
	MaxFailures int
	Window      time.Duration
	LockFor     time.Duration
	// Each client address may start IPBurst attempts at once and then one
	// every IPEvery. Defaults: 20, then one every 6 seconds (10 a minute).
	IPBurst int
	IPEvery time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Limiter throttles sign-in attempts in memory, per account and per client
// address. Per account it counts failures and locks the account for a while
// after too many, which stops password guessing against one person; per
// address it is a token bucket over every attempt, which slows one client
// trying many accounts. IPv6 addresses are grouped by /64, since one
// client usually holds a whole /64.
//
// The lock-out is temporary on purpose: a permanent one would let anyone
// lock a colleague out by typing wrong passwords for them.
//
// State lives in one process, so with several nodes each throttles on its
// own; that multiplies the allowance by the node count, which is acceptable
// for a handful of nodes. A Limiter is safe for concurrent use.
type Limiter struct {
	cfg LimiterConfig

	mu        sync.Mutex
	accounts  map[string]*accountState
	addrs     map[string]*bucket
	lastSweep time.Time
}

type accountState struct {
	failures    []time.Time // within the window, oldest first
	lockedUntil time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a Limiter with cfg, defaults filled in.
func NewLimiter(cfg LimiterConfig) *Limiter {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 5
	}
	if cfg.Window <= 0 {
		cfg.Window = 15 * time.Minute
	}
	if cfg.LockFor <= 0 {
		cfg.LockFor = 15 * time.Minute
	}
	if cfg.IPBurst <= 0 {
		cfg.IPBurst = 20
	}
	if cfg.IPEvery <= 0 {
		cfg.IPEvery = 6 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg, accounts: map[string]*accountState{}, addrs: map[string]*bucket{}}
}

// Allow is called before checking a password for email from client address
// ip. It takes one token from the address's bucket. It returns ok=false,
// and how long to wait, when the address has run out of tokens or the
// account is locked; the caller should then refuse without checking the
// password, and say only that there were too many attempts.
func (l *Limiter) Allow(email, ip string) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	l.sweep(now)

	key := addrKey(ip)
	b := l.addrs[key]
	if b == nil {
		b = &bucket{tokens: float64(l.cfg.IPBurst), at: now}
		l.addrs[key] = b
	}
	b.refill(now, l.cfg)
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(l.cfg.IPEvery)), false
	}
	if a := l.accounts[accountKey(email)]; a != nil && now.Before(a.lockedUntil) {
		return a.lockedUntil.Sub(now), false
	}
	b.tokens--
	return 0, true
}

// Fail records a wrong password (or second factor) for email from ip. It
// reports locked=true when this failure locks the account, so the caller
// can write an audit event; later failures while it stays locked report
// false.
func (l *Limiter) Fail(email, ip string) (locked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.cfg.Now()
	k := accountKey(email)
	a := l.accounts[k]
	if a == nil {
		a = &accountState{}
		l.accounts[k] = a
	}
	if now.Before(a.lockedUntil) {
		return false
	}
	a.prune(now, l.cfg.Window)
	a.failures = append(a.failures, now)
	if len(a.failures) >= l.cfg.MaxFailures {
		a.failures = nil
		a.lockedUntil = now.Add(l.cfg.LockFor)
		return true
	}
	return false
}

// Succeed records a successful sign-in for email, clearing its failures.
// It does not refill the client address's bucket.
func (l *Limiter) Succeed(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.accounts, accountKey(email))
}

// Locked reports whether email is locked out now, and until when.
func (l *Limiter) Locked(email string) (until time.Time, locked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a := l.accounts[accountKey(email)]; a != nil && l.cfg.Now().Before(a.lockedUntil) {
		return a.lockedUntil, true
	}
	return time.Time{}, false
}

// Unlock clears email's failures and lock, for an admin who has checked
// who is asking.
func (l *Limiter) Unlock(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.accounts, accountKey(email))
}

// sweep drops state that no longer matters, at most once a window, so the
// maps do not grow without bound under a spray of made-up names.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.cfg.Window {
		return
	}
	l.lastSweep = now
	for k, a := range l.accounts {
		a.prune(now, l.cfg.Window)
		if len(a.failures) == 0 && !now.Before(a.lockedUntil) {
			delete(l.accounts, k)
		}
	}
	for k, b := range l.addrs {
		b.refill(now, l.cfg)
		if b.tokens >= float64(l.cfg.IPBurst) {
			delete(l.addrs, k)
		}
	}
}

func (a *accountState) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(a.failures) && now.Sub(a.failures[i]) >= window {
		i++
	}
	a.failures = a.failures[i:]
}

func (b *bucket) refill(now time.Time, cfg LimiterConfig) {
	if now.After(b.at) {
		b.tokens = min(float64(cfg.IPBurst), b.tokens+float64(now.Sub(b.at))/float64(cfg.IPEvery))
		b.at = now
	}
}

func accountKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// addrKey groups IPv6 addresses by their /64, drops a port if there is one
// (so a raw RemoteAddr works), and leaves anything unparsable as it is.
func addrKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		ap, err := netip.ParseAddrPort(ip)
		if err != nil {
			return ip
		}
		a = ap.Addr()
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
