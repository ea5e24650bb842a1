// Package llamacpp is a minimal binding to llama.cpp's C API, loaded at run
// time with dlopen (cgo, no headers or link-time dependency): load a GGUF
// model and compute the logits of a prompt. terse uses llama.cpp as an
// independent reference implementation of the Qwen3 and Qwen2 forward
// passes for the GGUF files it writes (see engine/checkpoint's llama.cpp
// test).
//
// The struct mirrors match llama.cpp release v0.5.0 as shipped by npm
// @node-llama-cpp/linux-x64@3.22.1 (scripts/fetch-llamacpp.sh); Open checks
// them against the library's own defaults and refuses a mismatch
// (ErrLayout). Builds without cgo get ErrNoCgo. It imports nothing from terse.
package llamacpp

import "errors"

var (
	// ErrLayout reports a libllama whose parameter structs differ from the
	// layout this package mirrors.
	ErrLayout = errors.New("llamacpp: unexpected libllama struct layout")
	// ErrNoLibrary reports a directory without libllama.
	ErrNoLibrary = errors.New("llamacpp: libllama not found")
	// ErrNoCgo reports a build without cgo, which this package needs.
	ErrNoCgo = errors.New("llamacpp: built without cgo")
)
