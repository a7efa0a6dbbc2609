package web

import (
	"fmt"
	"testing"
	"time"

	"throughcare/internal/directory"
)

func TestFeedCache(t *testing.T) {
	var c feedCache
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ix, other := directory.NewIndex(&directory.Dataset{}), directory.NewIndex(&directory.Dataset{})
	k := feedKey{ix: ix, filter: newsFilter{Area: "E07000138"}, base: "https://throughcare.example"}
	if _, ok := c.get(k, now); ok {
		t.Fatal("an empty cache gave a feed")
	}
	c.put(k, []byte("feed"), now)
	if b, ok := c.get(k, now.Add(feedCacheFor-time.Second)); !ok || string(b) != "feed" {
		t.Errorf("within its time: %q, %v", b, ok)
	}
	if _, ok := c.get(k, now.Add(feedCacheFor)); ok {
		t.Error("a feed was kept past its time")
	}
	for name, k2 := range map[string]feedKey{
		"another snapshot": {ix: other, filter: k.filter, base: k.base},
		"another filter":   {ix: ix, filter: newsFilter{Area: "E07000139"}, base: k.base},
		"another address":  {ix: ix, filter: k.filter, base: "http://localhost:8080"},
	} {
		if _, ok := c.get(k2, now); ok {
			t.Errorf("%s was given the feed of another", name)
		}
	}
	for i := range feedCacheLimit {
		c.put(feedKey{ix: ix, filter: newsFilter{TypeID: fmt.Sprint(i)}}, []byte("x"), now)
	}
	if n := len(c.feeds); n > feedCacheLimit {
		t.Errorf("the cache holds %d feeds, more than its limit %d", n, feedCacheLimit)
	}
}
