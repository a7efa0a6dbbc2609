package loadtest

import (
	"math"
	"math/bits"
	"time"
)

// subBits is the number of bits kept below a value's leading one: each
// power of two is split into 1<<subBits buckets, so a bucket is at most
// 1/16 (6.25%) wide relative to its values.
const subBits = 4

const (
	sub      = 1 << subBits
	nBuckets = (64-subBits)*sub + sub // enough for any non-negative int64
)

// histogram counts latencies in logarithmic buckets, so that a round of any
// length uses the same small, fixed memory and any quantile is exact to
// within a bucket's width.
type histogram struct {
	counts [nBuckets]uint64
	n      uint64
}

// bucket maps v ≥ 0 to its bucket. Values below 2*sub get a bucket each;
// above that, bucket shift*sub+m holds the values whose top subBits+1 bits
// are m (sub ≤ m < 2*sub) after dropping shift low bits.
func bucket(v uint64) int {
	if v < 2*sub {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return shift*sub + int(v>>shift)
}

// bucketMid returns a value near the middle of bucket i.
func bucketMid(i int) uint64 {
	if i < 2*sub {
		return uint64(i)
	}
	shift := i/sub - 1
	m := uint64(i%sub + sub)
	return m<<shift + (uint64(1)<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	h.counts[bucket(uint64(max(d, 0)))]++
	h.n++
}

func (h *histogram) add(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the q-quantile (0 < q ≤ 1) of the recorded values:
// the smallest bucket holding at least ceil(q·n) of them. It is 0 when
// nothing was recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.n))), 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(bucketMid(i))
		}
	}
	return time.Duration(bucketMid(nBuckets - 1))
}
