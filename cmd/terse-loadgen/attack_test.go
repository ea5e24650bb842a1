package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// TestAttackMode runs each reward-side attack against a plain server that
// reads bodies with no limits: the attackers connect and stay held, and
// the legitimate client is still measured.
func TestAttackMode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	for _, kind := range []string{attackTrickle, attackLieLength} {
		r, err := runAttack(context.Background(), srv.URL, attackOptions{Kind: kind, Target: "reward", Attackers: 5, Declared: 1 << 20, Duration: 300 * time.Millisecond, PID: os.Getpid()})
		if err != nil {
			t.Fatal(err)
		}
		if r.Connected != 5 || r.HeldAtEnd != 5 || r.OK == 0 || r.OK != r.Legit || r.RSSPeakMiB <= 0 {
			t.Errorf("%s: %+v", kind, r)
		}
	}
}
