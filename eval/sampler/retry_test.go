package sampler

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		h        string
		min, max time.Duration
	}{
		{"", 0, 0},
		{"3", 3 * time.Second, 3 * time.Second},
		{"0.25", 250 * time.Millisecond, 250 * time.Millisecond},
		{"soon", 0, 0},
		{"-1", 0, 0},
		{time.Now().Add(time.Minute).UTC().Format(http.TimeFormat), 50 * time.Second, time.Minute},
		{time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat), 0, 0},
	} {
		if got := retryAfter(tc.h); got < tc.min || got > tc.max {
			t.Errorf("retryAfter(%q) = %v, want within [%v, %v]", tc.h, got, tc.min, tc.max)
		}
	}
}

func TestBackoff(t *testing.T) {
	c := &Client{opts: Options{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second}}
	big := &Client{opts: Options{BackoffBase: time.Hour, BackoffMax: 1000 * time.Hour}}
	if d := big.backoff(60); d < 500*time.Hour || d > 1000*time.Hour {
		t.Errorf("backoff with a large base = %v, want the cap without overflow", d)
	}
	for a, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		for range 20 {
			if d := c.backoff(a); d < want/2 || d > want {
				t.Errorf("backoff(%d) = %v, want within [%v, %v]", a, d, want/2, want)
			}
		}
	}
}

func TestNormalise(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:8000":      "http://h:8000/v1",
		"http://h:8000/":     "http://h:8000/v1",
		"https://h/v1/":      "https://h/v1",
		" http://h:1/api/v1": "http://h:1/api/v1",
	} {
		if got, err := normalise(in); err != nil || got != want {
			t.Errorf("normalise(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
