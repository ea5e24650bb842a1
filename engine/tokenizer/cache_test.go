package tokenizer

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestCacheBoundedByBytes is the attack of issue 16 item 3: a client sends
// many unique very long words (one pre-tokenizer piece each). The word
// cache must not keep them: before the fix 64 words of 32 KiB left about
// 8 MiB live (keys plus ids); the cache now skips long pieces and is
// bounded in bytes, so what stays live is a small fraction of that.
func TestCacheBoundedByBytes(t *testing.T) {
	b := toyBPE(t)
	r := rand.New(rand.NewPCG(3, 4))
	word := func(n int) string {
		var sb strings.Builder
		sb.Grow(n)
		for range n {
			sb.WriteByte("abc"[r.IntN(3)])
		}
		return sb.String()
	}
	const words, size = 64, 32 << 10
	before := heapInUse()
	for range words {
		if ids := b.Encode(word(size)); len(ids) == 0 {
			t.Fatal("no ids")
		}
	}
	after := heapInUse()
	grown := int64(after) - int64(before)
	t.Logf("heap in use grew by %.1f MiB after %d unique %d KiB words (cache %d entries, %d bytes)",
		float64(grown)/(1<<20), words, size>>10, len(b.cache), b.cacheBytes)
	if limit := int64(words * size / 4); grown > limit {
		t.Errorf("heap in use grew by %d bytes, want < %d: the cache keeps long words", grown, limit)
	}
	runtime.KeepAlive(b)

	// Short pieces are still cached, and the byte budget holds however many
	// distinct short words come.
	b.Encode("abc")
	if _, ok := b.cache["abc"]; !ok {
		t.Error("short piece not cached")
	}
	for range 70000 {
		b.Encode(word(1 + r.IntN(maxCachedPiece)))
	}
	if b.cacheBytes > cacheBudget || b.cacheBytes == 0 {
		t.Errorf("cache holds %d bytes, want (0, %d]", b.cacheBytes, cacheBudget)
	}
}
