package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/terse-dev/terse/engine/checkpoint"
	"github.com/terse-dev/terse/lab"
)

func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export a model to other formats (GGUF for llama.cpp, HF checkpoint directory)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newExportGGUFCmd(), newExportHFCmd())
	return cmd
}

// exportGGUFOptions holds the flags of `terse export gguf`.
type exportGGUFOptions struct {
	Model string
	Out   string
	F16   bool
}

func newExportGGUFCmd() *cobra.Command {
	var o exportGGUFOptions
	cmd := &cobra.Command{
		Use:   "gguf --model DIR|NAME --out FILE.gguf [--f16]",
		Short: "Write a model as a GGUF file that llama.cpp can load",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Model == "" {
				return usagef("export gguf: --model is required")
			}
			if o.Out == "" {
				return usagef("export gguf: --out is required")
			}
			return runExportGGUF(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "", "HF checkpoint directory (config.json, model.safetensors, tokenizer) or a built-in lab model name such as lab-base")
	f.StringVar(&o.Out, "out", "", "path of the GGUF file to write (parent directories are created)")
	f.BoolVar(&o.F16, "f16", false, "store 2-D weight matrices as F16 (norms stay F32); default is all F32")
	return cmd
}

func runExportGGUF(w io.Writer, o exportGGUFOptions) error {
	m, tok, err := lab.Load(o.Model)
	if err != nil {
		return fmt.Errorf("export gguf: %w", err)
	}
	if dir := filepath.Dir(o.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("export gguf: %w", err)
		}
	}
	if err := checkpoint.ExportGGUF(o.Out, m, tok, checkpoint.GGUFOptions{F16: o.F16}); err != nil {
		return fmt.Errorf("export gguf: %w", err)
	}
	st, err := os.Stat(o.Out)
	if err != nil {
		return fmt.Errorf("export gguf: %w", err)
	}
	dtype := "F32"
	if o.F16 {
		dtype = "F16"
	}
	fmt.Fprintf(w, "wrote %s (%d bytes, %s weights)\n", o.Out, st.Size(), dtype)
	return nil
}

// exportHFOptions holds the flags of `terse export hf`.
type exportHFOptions struct {
	Model string
	Out   string
}

func newExportHFCmd() *cobra.Command {
	var o exportHFOptions
	cmd := &cobra.Command{
		Use:   "hf --model NAME|DIR --out DIR",
		Short: "Write a model as an HF checkpoint directory (config.json, model.safetensors, tokenizer files)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Model == "" {
				return usagef("export hf: --model is required")
			}
			if o.Out == "" {
				return usagef("export hf: --out is required")
			}
			return runExportHF(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Model, "model", "", "built-in lab model name (lab-base, ...) copied verbatim, or a checkpoint directory re-saved by engine/checkpoint")
	f.StringVar(&o.Out, "out", "", "directory to write (created if needed)")
	return cmd
}

func runExportHF(w io.Writer, o exportHFOptions) error {
	if slices.Contains(lab.ModelNames(), o.Model) {
		if _, err := os.Stat(o.Model); err != nil {
			if err := lab.WriteModel(o.Model, o.Out); err != nil {
				return fmt.Errorf("export hf: %w", err)
			}
			fmt.Fprintf(w, "wrote %s\n", o.Out)
			return nil
		}
	}
	m, tok, err := lab.Load(o.Model)
	if err != nil {
		return fmt.Errorf("export hf: %w", err)
	}
	if err := checkpoint.Save(o.Out, m, tok); err != nil {
		return fmt.Errorf("export hf: %w", err)
	}
	fmt.Fprintf(w, "wrote %s\n", o.Out)
	return nil
}
