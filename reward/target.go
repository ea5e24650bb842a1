package reward

import (
	"errors"
	"fmt"
	"reflect"
)

// ErrNoTargetLen reports a shape that cannot take a per-prompt L_T.
var ErrNoTargetLen = errors.New("reward: shape takes no per-prompt target length")

// WithTargetLen returns s with its L_T (its TargetLen field) set to
// targetLen: a prompt's own target length (per-prompt L_T, as exported by
// `terse data export --target-quantile`). Shapes without a target length
// (vanilla, kimi, alp, ...) and stateful shapes (adaptive, whose L_T is the
// run's and moves during training) return ErrNoTargetLen, so a per-prompt
// L_T is never silently ignored.
func WithTargetLen(s Shape, targetLen int) (Shape, error) {
	if targetLen <= 0 {
		return nil, fmt.Errorf("reward: target_len %d, want > 0", targetLen)
	}
	if _, ok := s.(Stateful); ok {
		return nil, fmt.Errorf("%w: %s moves its own L_T", ErrNoTargetLen, s)
	}
	v := reflect.ValueOf(s)
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %s", ErrNoTargetLen, s)
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	f := c.FieldByName("TargetLen")
	if !f.IsValid() || f.Kind() != reflect.Int || !f.CanSet() {
		return nil, fmt.Errorf("%w: %s has no target length", ErrNoTargetLen, s)
	}
	f.SetInt(int64(targetLen))
	out, ok := c.Interface().(Shape)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoTargetLen, s)
	}
	return out, nil
}
