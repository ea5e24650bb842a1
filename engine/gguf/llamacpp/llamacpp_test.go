package llamacpp

import (
	"errors"
	"testing"
)

func TestOpenMissing(t *testing.T) {
	_, err := Open(t.TempDir(), false)
	if !errors.Is(err, ErrNoLibrary) && !errors.Is(err, ErrNoCgo) {
		t.Errorf("err = %v, want ErrNoLibrary", err)
	}
}
