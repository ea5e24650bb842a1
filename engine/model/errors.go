package model

import "errors"

var (
	// ErrConfig reports an invalid or unsupported configuration; the message
	// names the config.json field.
	ErrConfig = errors.New("model: invalid config")
	// ErrBatch reports a malformed training batch.
	ErrBatch = errors.New("model: bad batch")
	// ErrNoForward reports Backward without a matching Forward on the workspace.
	ErrNoForward = errors.New("model: backward without forward")
	// ErrOptimState reports optimizer state that does not fit the model.
	ErrOptimState = errors.New("model: optimizer state does not match model")
	// ErrNonFinite reports a NaN or infinite gradient; the step was skipped.
	ErrNonFinite = errors.New("model: non-finite gradient")
	// ErrSample reports an invalid prompt or sampling option.
	ErrSample = errors.New("model: bad sampling request")
)
