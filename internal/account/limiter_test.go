package account

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for the Limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestLimiter() (*Limiter, *fakeClock) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	return NewLimiter(LimiterConfig{Now: clk.Now}), clk
}

func TestLimiterLocksAfterFiveFailures(t *testing.T) {
	l, clk := newTestLimiter()
	const email, ip = "Jane@Example.org", "192.0.2.1"
	for i := range 4 {
		if _, ok := l.Allow(email, ip); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		if l.Fail(email, ip) {
			t.Fatalf("locked after %d failures", i+1)
		}
	}
	if _, ok := l.Allow(email, ip); !ok {
		t.Fatal("fifth attempt refused")
	}
	if !l.Fail(email, ip) {
		t.Fatal("the fifth failure did not lock the account")
	}
	// Locked for every address, whatever the case of the e-mail address.
	wait, ok := l.Allow("jane@example.org", "198.51.100.7")
	if ok || wait != 15*time.Minute {
		t.Fatalf("locked account: wait %v ok %v, want 15m refused", wait, ok)
	}
	if until, locked := l.Locked(email); !locked || !until.Equal(clk.Now().Add(15*time.Minute)) {
		t.Errorf("Locked = %v, %v", until, locked)
	}
	if l.Fail(email, ip) {
		t.Error("a failure while locked reported a new lock")
	}
	// Other accounts are unaffected.
	if _, ok := l.Allow("someone@example.org", ip); !ok {
		t.Error("another account was refused")
	}
	clk.Add(14*time.Minute + 59*time.Second)
	if wait, ok := l.Allow(email, ip); ok || wait != time.Second {
		t.Errorf("a second before unlock: wait %v ok %v", wait, ok)
	}
	clk.Add(time.Second)
	if _, ok := l.Allow(email, ip); !ok {
		t.Error("still locked after 15 minutes")
	}
	// The count starts again from nothing.
	for i := range 4 {
		if l.Fail(email, ip) {
			t.Fatalf("relocked after %d failures", i+1)
		}
	}
}

func TestLimiterFailuresOutsideWindowAreForgotten(t *testing.T) {
	l, clk := newTestLimiter()
	const email, ip = "a@example.org", "192.0.2.1"
	for range 4 {
		l.Fail(email, ip)
		clk.Add(4 * time.Minute)
	}
	// The first failure was 16 minutes ago, so only three are in the window.
	if l.Fail(email, ip) {
		t.Error("locked by failures older than the window")
	}
	if !l.Fail(email, ip) {
		t.Error("five failures within 15 minutes did not lock")
	}
}

func TestLimiterSucceedClearsFailures(t *testing.T) {
	l, _ := newTestLimiter()
	const email, ip = "a@example.org", "192.0.2.1"
	for range 4 {
		l.Fail(email, ip)
	}
	l.Succeed(email)
	for i := range 4 {
		if l.Fail(email, ip) {
			t.Fatalf("locked after %d failures following a success", i+1)
		}
	}
	l.Fail(email, ip)
	if _, locked := l.Locked(email); !locked {
		t.Fatal("not locked")
	}
	l.Unlock(email)
	if _, ok := l.Allow(email, ip); !ok {
		t.Error("refused after Unlock")
	}
}

func TestLimiterAddressBucket(t *testing.T) {
	l, clk := newTestLimiter()
	const ip = "203.0.113.9"
	for i := range 20 {
		if _, ok := l.Allow(fmt.Sprintf("user%d@example.org", i), ip); !ok {
			t.Fatalf("attempt %d of the burst refused", i+1)
		}
	}
	wait, ok := l.Allow("user99@example.org", ip)
	if ok || wait != 6*time.Second {
		t.Fatalf("21st attempt: wait %v ok %v, want 6s refused", wait, ok)
	}
	// Refusals take no token, so waiting the time given is enough.
	clk.Add(3 * time.Second)
	if wait, ok := l.Allow("user99@example.org", ip); ok || wait != 3*time.Second {
		t.Fatalf("after 3s: wait %v ok %v, want 3s refused", wait, ok)
	}
	clk.Add(3 * time.Second)
	if _, ok := l.Allow("user99@example.org", ip); !ok {
		t.Fatal("refused after the refill time")
	}
	if _, ok := l.Allow("user99@example.org", ip); ok {
		t.Fatal("a second attempt allowed on one refilled token")
	}
	// Another address has its own bucket; a port is ignored.
	if _, ok := l.Allow("user1@example.org", "203.0.113.10:4711"); !ok {
		t.Error("another address was refused")
	}
	if _, ok := l.Allow("user1@example.org", ip+":4711"); ok {
		t.Error("the same address with a port got a fresh bucket")
	}
}

func TestLimiterIPv6GroupsBy64(t *testing.T) {
	l, _ := newTestLimiter()
	for i := range 20 {
		if _, ok := l.Allow("a@example.org", fmt.Sprintf("2001:db8:1:2::%x", i+1)); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	if _, ok := l.Allow("a@example.org", "2001:db8:1:2:ffff::1"); ok {
		t.Error("a new address in the same /64 got a fresh bucket")
	}
	if _, ok := l.Allow("a@example.org", "2001:db8:1:3::1"); !ok {
		t.Error("an address in another /64 was refused")
	}
	if _, ok := l.Allow("a@example.org", "::ffff:192.0.2.1"); !ok {
		t.Error("an IPv4-mapped address was refused")
	}
}

func TestLimiterSweepForgetsOldState(t *testing.T) {
	l, clk := newTestLimiter()
	for i := range 100 {
		l.Allow(fmt.Sprintf("u%d@example.org", i), fmt.Sprintf("192.0.2.%d", i))
		l.Fail(fmt.Sprintf("u%d@example.org", i), "192.0.2.1")
	}
	for range 5 {
		l.Fail("locked@example.org", "192.0.2.1")
	}
	clk.Add(15 * time.Minute)
	l.Allow("new@example.org", "198.51.100.1")
	l.mu.Lock()
	defer l.mu.Unlock()
	// Only the new address remains; the lock ended exactly now.
	if len(l.accounts) != 0 || len(l.addrs) != 1 {
		t.Errorf("after a sweep: %d accounts, %d addresses kept", len(l.accounts), len(l.addrs))
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l, _ := newTestLimiter()
	var wg sync.WaitGroup
	var mu sync.Mutex
	locks := 0
	for g := range 8 {
		wg.Go(func() {
			for range 50 {
				l.Allow("shared@example.org", fmt.Sprintf("192.0.2.%d", g))
				if l.Fail("shared@example.org", "192.0.2.1") {
					mu.Lock()
					locks++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	// The clock never moves, so the account locks once and stays locked.
	if locks != 1 {
		t.Errorf("%d locks, want 1", locks)
	}
}
