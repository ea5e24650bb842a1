package model

import (
	"runtime"
	"sync"
)

// minParallelWork is the smallest amount of work (items × cost) worth
// splitting across goroutines.
const minParallelWork = 1 << 15

// parallelFor runs fn over [0,n) split into GOMAXPROCS contiguous ranges.
// cost is a rough per-item amount of work; small loops run inline.
func parallelFor(n, cost int, fn func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 || n*cost < minParallelWork {
		fn(0, n)
		return
	}
	chunk := (n + w - 1) / w
	var wg sync.WaitGroup
	for lo := chunk; lo < n; lo += chunk {
		wg.Go(func() { fn(lo, min(lo+chunk, n)) })
	}
	fn(0, min(chunk, n))
	wg.Wait()
}

// parallelForW is parallelFor that also passes the worker index w in
// [0, GOMAXPROCS), for per-worker scratch buffers.
func parallelForW(n, cost int, fn func(w, lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 || n*cost < minParallelWork {
		fn(0, 0, n)
		return
	}
	chunk := (n + w - 1) / w
	var wg sync.WaitGroup
	for i, lo := 1, chunk; lo < n; i, lo = i+1, lo+chunk {
		wg.Go(func() { fn(i, lo, min(lo+chunk, n)) })
	}
	fn(0, 0, min(chunk, n))
	wg.Wait()
}
