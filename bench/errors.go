package bench

import "errors"

var (
	// ErrUnknownBenchmark is returned for a set name that is not in the catalog.
	ErrUnknownBenchmark = errors.New("bench: unknown benchmark")
	// ErrNotEmbedded is returned by Load for a catalog set that is not shipped
	// in the binary (GSM8K); read it with LoadDir.
	ErrNotEmbedded = errors.New("bench: benchmark is not embedded")

	// errNullAnswer reports a null answer value.
	errNullAnswer = errors.New("answer is null")
	// errEmptyAnswer reports an answer that is empty after trimming.
	errEmptyAnswer = errors.New("answer is empty")
	// errMissingAnswer reports a record without its answer field.
	errMissingAnswer = errors.New("answer field is missing")
	// errEmptyQuestion reports a record whose problem text is empty.
	errEmptyQuestion = errors.New("problem text is empty")
)
