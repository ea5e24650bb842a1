package runlog

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no input panics a reader, and whatever parses comes back
// sorted by step, one record per step.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add([]byte("step:1 - a:np.float64(1) - b:(((\n"))
	f.Add([]byte("{'a': [1, {'b': (2,)}], 'c': 'x}'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range append([]Format{""}, Formats...) {
			lg, err := Parse(data, "fuzz", format)
			if err != nil {
				continue
			}
			for i := 1; i < len(lg.Records); i++ {
				if lg.Records[i].Step <= lg.Records[i-1].Step {
					t.Fatalf("%s: steps out of order: %d after %d", format, lg.Records[i].Step, lg.Records[i-1].Step)
				}
			}
		}
	})
}
