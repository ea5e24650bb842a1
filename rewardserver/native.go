package rewardserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	"github.com/terse-dev/terse/reward"
)

// RewardRequest is the body of POST /v1/reward: explicit groups of
// rollouts, each group all the rollouts of one prompt.
type RewardRequest struct {
	// Shape optionally overrides the server's shape for this request (a
	// reward.Parse spec). Stateful shapes (adaptive) are only allowed as the
	// server's own shape.
	Shape string `json:"shape,omitempty"`
	// RolloutLimit optionally overrides the server's L_R for truncation
	// detection by length.
	RolloutLimit *int `json:"rollout_limit,omitempty"`
	// Groups are scored independently, each as one reward.Group.
	Groups []RewardRequestGroup `json:"groups"`
}

// RewardRequestGroup is the rollouts of one prompt.
type RewardRequestGroup struct {
	// ID is echoed back (e.g. verl's uid); optional.
	ID string `json:"id,omitempty"`
	// Gold lists acceptable answers; a string is one answer. Needed unless
	// every rollout gives Correct.
	Gold RewardGold `json:"gold,omitempty"`
	// TargetLen optionally sets this prompt's own L_T (per-prompt target
	// length, e.g. the target_len column of `terse data export`): the
	// group is scored with the shape's TargetLen replaced. A shape without
	// a target length, or a stateful one, refuses it (400).
	TargetLen *int `json:"target_len,omitempty"`
	// Rollouts of the prompt.
	Rollouts []RewardRequestRollout `json:"rollouts"`
}

// RewardRequestRollout is one rollout. Give Response, or Tokens and
// Correct, or all three.
type RewardRequestRollout struct {
	// Response is the response text (without the prompt). A trailing EOS
	// token text is removed before grading and counts as one token.
	Response *string `json:"response,omitempty"`
	// Tokens is the length in tokens; counted from Response when absent.
	Tokens *int `json:"tokens,omitempty"`
	// Truncated says the rollout hit the rollout limit; when absent it is
	// detected by length only (Tokens ≥ RolloutLimit), since callers such as
	// verl strip special tokens, EOS included, from the text.
	Truncated *bool `json:"truncated,omitempty"`
	// Correct is the caller's verdict; when absent Response is graded
	// against Gold.
	Correct *bool `json:"correct,omitempty"`
}

// RewardGold is a list of gold answers that also accepts a single string.
type RewardGold []string

// UnmarshalJSON accepts a string, a number, a list of strings or null.
func (g *RewardGold) UnmarshalJSON(b []byte) error {
	v, ok := rsGold(b)
	if !ok {
		return &json.UnmarshalTypeError{Value: rsKind(b), Type: reflect.TypeFor[[]string](), Field: "gold"}
	}
	*g = v
	return nil
}

// RewardResponse is the answer to POST /v1/reward, groups and rollouts in
// request order.
type RewardResponse struct {
	// Shape is the spec of the shape applied.
	Shape string `json:"shape"`
	// LengthApprox reports counted lengths are ⌈chars/4⌉ (no tokenizer).
	LengthApprox bool `json:"length_approx"`
	// Groups are the scored groups, in request order.
	Groups []RewardResponseGroup `json:"groups"`
}

// RewardResponseGroup is one scored group.
type RewardResponseGroup struct {
	// ID is the request group's id.
	ID string `json:"id,omitempty"`
	// Rollouts are the scored rollouts, in request order.
	Rollouts []RewardResponseRollout `json:"rollouts"`
}

// RewardResponseRollout is one scored rollout.
type RewardResponseRollout struct {
	// Reward is the shaped reward; 0 when Masked.
	Reward float64 `json:"reward"`
	// Masked: leave the rollout out of the policy update.
	Masked bool `json:"masked"`
	// Correct is the grader's (or caller's) verdict. A truncated rollout
	// never counts as correct for shaping, whatever Correct says.
	Correct bool `json:"correct"`
	// Reason is the grader's reason ("provided" when the caller gave Correct).
	Reason string `json:"reason"`
	// Extracted is the final answer the grader read.
	Extracted string `json:"extracted,omitempty"`
	// Tokens is the length used, in tokens.
	Tokens int `json:"tokens"`
	// Truncated is the truncation flag used.
	Truncated bool `json:"truncated"`
}

// rsNativeRollout is a rollout of a native request as parsed by the fast
// path: the response stays raw JSON until a worker decodes it.
type rsNativeRollout struct {
	response  []byte // raw JSON string; nil when absent
	tokens    *int
	truncated *bool
	correct   *bool
}

// handleNative serves POST /v1/reward.
func (s *Server) handleNative(w http.ResponseWriter, r *http.Request, body []byte) *rsError {
	members, err := rsObject(body)
	if err != nil {
		return rsStdError(body, &RewardRequest{})
	}
	var specRaw, limitRaw, groupsRaw []byte
	fields := map[string]*[]byte{"shape": &specRaw, "rollout_limit": &limitRaw, "groups": &groupsRaw}
	if rest := rsPick(members, fields); len(rest) > 0 {
		return rsBad("request body: unknown field %q (valid: shape, rollout_limit, groups)", rest[0].key)
	}
	shape := s.shape.rewards
	spec := s.opts.Shape.String()
	if specRaw != nil {
		var name string
		if e := rsScalar(specRaw, &name, `field "shape"`); e != nil {
			return e
		}
		sh, err := reward.Parse(name)
		if err != nil {
			return rsBad(`field "shape": %v`, err)
		}
		if _, ok := sh.(reward.Stateful); ok {
			return rsBad(`field "shape": %s is stateful; start the server with it (--shape) instead`, sh.Name())
		}
		if err := rsFiniteShape(sh, s.opts.RolloutLimit); err != nil {
			return rsBad(`field "shape": %v`, err)
		}
		shape, spec = sh.Rewards, sh.String()
	}
	limit := s.opts.RolloutLimit
	if limitRaw != nil {
		if e := rsScalar(limitRaw, &limit, `field "rollout_limit"`); e != nil {
			return e
		}
		if limit < 0 {
			return rsBad(`field "rollout_limit": %d, want ≥ 0`, limit)
		}
	}
	if groupsRaw == nil || string(groupsRaw) == "null" {
		return rsBad(`field "groups": missing, want a list of groups`)
	}
	groupElems, err := rsArray(groupsRaw)
	if err != nil {
		return rsBad(`field "groups": got %s, want a list of groups`, rsKind(groupsRaw))
	}
	ids := make([]string, len(groupElems))
	targets := make([]int, len(groupElems)) // per-prompt L_T; 0: the shape's
	groupOf := make([][]*rsItem, len(groupElems))
	var items []*rsItem
	var rolls []rsNativeRollout
	for gi, ge := range groupElems {
		gm, err := rsObject(ge)
		if err != nil {
			return rsBad("groups[%d]: got %s, want an object", gi, rsKind(ge))
		}
		var gold RewardGold
		var rollsRaw []byte
		for _, m := range gm {
			path := fmt.Sprintf("groups[%d].%s", gi, m.key)
			switch m.key {
			case "id":
				if e := rsScalar(m.val, &ids[gi], path); e != nil {
					return e
				}
			case "gold":
				g, ok := rsGold(m.val)
				if !ok {
					return rsBad("%s: got %s, want a string, number or list of strings", path, rsKind(m.val))
				}
				gold = g
			case "rollouts":
				rollsRaw = m.val
			case "target_len":
				if e := rsScalar(m.val, &targets[gi], path); e != nil {
					return e
				}
				if targets[gi] <= 0 {
					return rsBad("%s: %d, want > 0", path, targets[gi])
				}
			default:
				return rsBad("groups[%d]: unknown field %q (valid: id, gold, target_len, rollouts)", gi, m.key)
			}
		}
		relems, err := rsArray(rollsRaw)
		if err != nil {
			return rsBad("groups[%d].rollouts: got %s, want a list of rollouts", gi, rsKind(rollsRaw))
		}
		for ri, re := range relems {
			ro, e := rsParseRollout(re, fmt.Sprintf("groups[%d].rollouts[%d]", gi, ri))
			if e != nil {
				return e
			}
			it := rsNewItem()
			it.gold = gold
			it.given = ro.correct
			items = append(items, it)
			rolls = append(rolls, ro)
			groupOf[gi] = append(groupOf[gi], it)
		}
	}
	prepare := func(i int) *rsError {
		ro, it := rolls[i], items[i]
		tokens := -1
		if ro.tokens != nil {
			tokens = *ro.tokens
		}
		if ro.response == nil {
			it.tokens = tokens
			it.truncated = (ro.truncated != nil && *ro.truncated) || (ro.truncated == nil && limit > 0 && tokens >= limit)
			if limit > 0 && it.tokens > limit {
				it.tokens = limit
			}
			return nil
		}
		text, err := rsString(ro.response)
		if err != nil {
			return rsBad("rollout %d: response: invalid JSON string", i)
		}
		s.measure(it, text, false, limit, tokens, ro.truncated)
		return nil
	}
	if e := s.gradeAll(r.Context(), items, prepare); e != nil {
		return e
	}
	resp := RewardResponse{Shape: spec, LengthApprox: s.lengthApprox(), Groups: make([]RewardResponseGroup, len(groupOf))}
	var base reward.Shape = s.opts.Shape
	if specRaw != nil {
		base, _ = reward.Parse(spec) // parsed above
	}
	for gi, g := range groupOf {
		gshape := shape
		if targets[gi] > 0 {
			sh, err := rsTargetShape(base, targets[gi])
			if err != nil {
				return rsBad("groups[%d].target_len: %v", gi, err)
			}
			gshape = sh.Rewards
		}
		rsScoreDirect(gshape, g)
		if err := rsFiniteOutcomes(g); err != nil {
			if specRaw != nil {
				return rsBad(`field "shape": %s %v`, spec, err)
			}
			return &rsError{http.StatusInternalServerError, fmt.Sprintf("shape %s %v", spec, err)}
		}
	}
	for gi, g := range groupOf {
		s.metrics.group(true)
		out := make([]RewardResponseRollout, len(g))
		for i, it := range g {
			out[i] = RewardResponseRollout{
				Reward: it.out.Reward, Masked: it.out.Masked,
				Correct: it.verdict.Correct, Reason: it.verdict.Reason, Extracted: it.verdict.Extracted,
				Tokens: it.tokens, Truncated: it.truncated,
			}
		}
		resp.Groups[gi] = RewardResponseGroup{ID: ids[gi], Rollouts: out}
	}
	rsWriteJSON(w, http.StatusOK, resp)
	s.metrics.rollouts(items) // after the answer: a failed one counts nothing
	return nil
}

// rsParseRollout parses one rollout object of a native request.
func rsParseRollout(raw []byte, path string) (rsNativeRollout, *rsError) {
	var ro rsNativeRollout
	ms, err := rsObject(raw)
	if err != nil {
		return ro, rsBad("%s: got %s, want an object", path, rsKind(raw))
	}
	for _, m := range ms {
		p := path + "." + m.key
		switch m.key {
		case "response":
			switch m.val[0] {
			case '"':
				ro.response = m.val
			case 'n':
			default:
				return ro, rsBad("%s: got %s, want a string", p, rsKind(m.val))
			}
		case "tokens":
			if e := rsScalar(m.val, &ro.tokens, p); e != nil {
				return ro, e
			}
			if ro.tokens != nil && *ro.tokens < 0 {
				return ro, rsBad("%s: %d, want ≥ 0", p, *ro.tokens)
			}
		case "truncated":
			if e := rsScalar(m.val, &ro.truncated, p); e != nil {
				return ro, e
			}
		case "correct":
			if e := rsScalar(m.val, &ro.correct, p); e != nil {
				return ro, e
			}
		default:
			return ro, rsBad("%s: unknown field %q (valid: response, tokens, truncated, correct)", path, m.key)
		}
	}
	if ro.response == nil && (ro.tokens == nil || ro.correct == nil) {
		return ro, rsBad("%s: give response, or tokens and correct", path)
	}
	return ro, nil
}
