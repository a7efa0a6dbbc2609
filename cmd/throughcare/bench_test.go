package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// peakHeap samples the live heap every few milliseconds until stopped and
// returns the highest value seen, in bytes.
func peakHeap() (stop func() uint64) {
	var (
		peak uint64
		mu   sync.Mutex
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

func maxRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss * 1024
}

// BenchmarkImport50k imports a generated HSDS JSON file of 50,000 services
// into a new SQLite database through the import command, as an operator
// would, and reports the time and the peak heap during the import. DESIGN
// section 7 asks for under 10 s.
func BenchmarkImport50k(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "50k.json")
	if err := run(context.Background(), []string{"throughcare", "demo", "--generate", "50000", "--out", file}, noEnv, io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(file)
	b.Logf("input: %d MB", st.Size()>>20)
	b.ResetTimer()
	for i := range b.N {
		db := "sqlite:" + filepath.Join(dir, "import"+string(rune('a'+i%26))+".db")
		runtime.GC()
		stop := peakHeap()
		t0 := time.Now()
		if err := run(context.Background(), []string{"throughcare", "import", "--db", db, file}, noEnv, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		peak := stop()
		b.ReportMetric(d.Seconds(), "s/import")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
	b.ReportMetric(float64(maxRSS())/(1<<20), "maxrss-MB")
}

// BenchmarkStartup50k measures what `serve` does before it listens: open
// and migrate the database, load 50,000 services and build the index and
// search engine. DESIGN section 7 asks for under 2 s and under 300 MB
// resident with that directory loaded.
func BenchmarkStartup50k(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "50k.json")
	db := "sqlite:" + filepath.Join(dir, "startup.db")
	ctx := context.Background()
	if err := run(ctx, []string{"throughcare", "demo", "--generate", "50000", "--out", file}, noEnv, io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	if err := run(ctx, []string{"throughcare", "import", "--db", db, file}, noEnv, io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	os.Remove(file)
	runtime.GC()
	b.ResetTimer()
	var live *liveIndex
	for range b.N {
		d, err := openDB(ctx, env{getenv: noEnv, stdout: io.Discard, stderr: io.Discard}, db)
		if err != nil {
			b.Fatal(err)
		}
		live = &liveIndex{db: d}
		if err := live.reload(ctx); err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-loaded-MB")
	b.ReportMetric(float64(live.Index().NumServices()), "services")
}

func noEnv(string) string { return "" }
