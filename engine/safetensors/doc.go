// Package safetensors reads and writes the safetensors checkpoint format:
// an 8-byte little-endian header length N, N bytes of JSON header mapping
// tensor names to {dtype, shape, data_offsets} (plus an optional
// "__metadata__" string map), then the raw little-endian tensor bytes.
//
// Tensors load as float32 (F32, F16, BF16, F64, I64, I32 sources) and are
// written as F32, F16 or BF16. Sharded checkpoints are read through their
// model.safetensors.index.json (see OpenDir). The package uses the standard
// library only and imports nothing from terse.
package safetensors
