package rewardserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// rsBenchResponse returns ~n characters of reasoning ending in \boxed{ans}.
func rsBenchResponse(rng *rand.Rand, n, ans int) string {
	words := strings.Fields(`Let me think step by step. We substitute and simplify: \frac{b}{a} and
x^2 + 2x + 1 = (x+1)^2, hence x = -1. Wait, recompute \sqrt{16} = 4 and 4 \cdot 7 = 28.`)
	var b strings.Builder
	b.WriteString("<think>\n")
	for b.Len() < n-40 {
		b.WriteString(words[rng.IntN(len(words))])
		b.WriteByte(' ')
	}
	fmt.Fprintf(&b, "\n</think>\n\nThe answer is $\\boxed{%d}$.", ans)
	return b.String()
}

// BenchmarkRewardNative measures POST /v1/reward end to end (JSON, length
// counting, the real grader, shaping) in-process, at 1, 64 and 1024
// rollouts of 2–8k characters per request.
func BenchmarkRewardNative(b *testing.B) {
	s, err := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RolloutLimit: 16384})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, batch := range []int{1, 64, 1024} {
		rng := rand.New(rand.NewPCG(1, 2))
		var groups []RewardRequestGroup
		for i := 0; i < batch; i += 8 {
			g := RewardRequestGroup{Gold: RewardGold{"28"}}
			for range min(8, batch-i) {
				r := rsBenchResponse(rng, 2000+rng.IntN(6001), 28+rng.IntN(2))
				g.Rollouts = append(g.Rollouts, RewardRequestRollout{Response: &r})
			}
			groups = append(groups, g)
		}
		body, _ := json.Marshal(RewardRequest{Groups: groups})
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				resp, err := http.Post(ts.URL+"/v1/reward", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "rollouts/s")
		})
	}
}

// BenchmarkRewardGrader measures the default grader alone on one response
// of ~5k characters, in grades/s.
func BenchmarkRewardGrader(b *testing.B) {
	g := Options{}.withDefaults().Grader
	r := rsBenchResponse(rand.New(rand.NewPCG(1, 2)), 5000, 28)
	if !g(r, []string{"28"}).Correct {
		b.Fatal("grader says wrong")
	}
	for b.Loop() {
		g(r, []string{"28"})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grades/s")
}
