//go:build !cgo

package llamacpp

// Lib is the loaded libllama (unavailable without cgo).
type Lib struct{ Path string }

// Model is a loaded GGUF model (unavailable without cgo).
type Model struct{ NVocab int }

// Open fails: the binding needs cgo.
func Open(dir string, verbose bool) (*Lib, error) { return nil, ErrNoCgo }

// LoadModel fails: the binding needs cgo.
func (l *Lib) LoadModel(path string) (*Model, error) { return nil, ErrNoCgo }

// Close does nothing.
func (m *Model) Close() {}

// Logits fails: the binding needs cgo.
func (m *Model) Logits(tokens []int32, threads int) ([][]float32, error) { return nil, ErrNoCgo }

// Tokenize fails: the binding needs cgo.
func (m *Model) Tokenize(text string, parseSpecial bool) ([]int32, error) { return nil, ErrNoCgo }

// GenerateGreedy fails: the binding needs cgo.
func (m *Model) GenerateGreedy(prompt []int32, nSeq, nNew, threads int) ([][]int32, error) {
	return nil, ErrNoCgo
}
