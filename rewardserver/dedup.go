package rewardserver

import (
	"sync"
	"time"
)

// rsRetries makes OpenRLHF's retries idempotent.
//
// OpenRLHF's remote reward client (openrlhf/utils/agent.py at 3c3be62,
// _fetch_rewards_via_http) sends one rollout per request with a 180 s
// total timeout and tries 5 times, 1 s apart. A rollout of a
// group-relative shape waits for the rest of its group, which with long
// reasoning can take longer than one request may live. When a request
// ends before its group is scored (its deadline, --request-timeout, which
// defaults below the client's 180 s; or the client hanging up), its
// rollouts stay in their group and are held here under their identity
// (group key + query text). The client's retry of the same rollout adopts
// the held one, before or after the group was scored, instead of joining
// the group a second time. A held rollout whose retry never comes is
// dropped after ttl.
//
// Two live requests with the same query text are two rollouts (sampling
// can repeat itself): only a rollout whose own request has ended is held,
// and each held rollout is adopted once.
//
// A held rollout stays charged to the group-assembly memory budget
// (rsBudget, --max-pending-bytes) after its request has ended: its share
// of the request's charge is returned when its group is scored, when a
// retry adopts it (the retry's request is charged instead) or when it
// expires, whichever comes first.
type rsRetries struct {
	ttl time.Duration

	mu    sync.Mutex
	held  map[string][]rsHeld
	swept time.Time
}

type rsHeld struct {
	it      *rsItem
	expires time.Time
	release func() // returns the rollout's budget charge; safe to call twice
}

func rsNewRetries(ttl time.Duration) *rsRetries {
	return &rsRetries{ttl: ttl, held: map[string][]rsHeld{}}
}

// hold keeps it for a retry of the rollout identified by id, with charge
// bytes of budget b taken for it (b nil: nothing charged). The charge is
// returned once: when it is scored, adopted or expires.
func (r *rsRetries) hold(id string, it *rsItem, now time.Time, b *rsBudget, charge int64) {
	var once sync.Once
	stop := make(chan struct{})
	release := func() {
		once.Do(func() {
			close(stop)
			if b != nil {
				b.release(charge)
			}
		})
	}
	r.mu.Lock()
	r.sweep(now)
	r.held[id] = append(r.held[id], rsHeld{it, now.Add(r.ttl), release})
	r.mu.Unlock()
	go func() {
		t := time.NewTimer(r.ttl)
		defer t.Stop()
		select {
		case <-it.done: // its group was scored
		case <-t.C: // expired
		case <-stop: // adopted or swept
		}
		release()
	}()
}

// adopt returns a held rollout with identity id, removing it, or nil.
func (r *rsRetries) adopt(id string, now time.Time) *rsItem {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweep(now)
	hs := r.held[id]
	for len(hs) > 0 && now.After(hs[0].expires) {
		hs[0].release()
		hs = hs[1:]
	}
	if len(hs) == 0 {
		delete(r.held, id)
		return nil
	}
	it := hs[0].it
	hs[0].release() // the retry's own request is charged from now on
	if len(hs) == 1 {
		delete(r.held, id)
	} else {
		r.held[id] = hs[1:]
	}
	return it
}

// count returns the number of held rollouts.
func (r *rsRetries) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, hs := range r.held {
		n += len(hs)
	}
	return n
}

// sweep drops expired entries, at most once a second (r.mu held).
func (r *rsRetries) sweep(now time.Time) {
	if now.Sub(r.swept) < time.Second {
		return
	}
	r.swept = now
	for id, hs := range r.held {
		keep := hs[:0]
		for _, h := range hs {
			if !now.After(h.expires) {
				keep = append(keep, h)
			} else {
				h.release()
			}
		}
		if len(keep) == 0 {
			delete(r.held, id)
		} else {
			r.held[id] = keep
		}
	}
}
