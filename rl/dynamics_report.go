package rl

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// DynamicsOptions are the inputs of terse dynamics.
type DynamicsOptions struct {
	Log      string          // step log: terse steps.jsonl, or verl/OpenRLHF metrics as JSONL or CSV
	Read     ReadOptions     // format and column overrides
	Diagnose DiagnoseOptions // target length, staleness, thresholds
	JSON     bool            // write the Diagnosis as JSON instead of text
	HTML     string          // also write RenderDynamicsHTML to this path ("" = no)
}

// ReportDynamics reads opt.Log, diagnoses it and writes the diagnosis to w
// (text or JSON), and the HTML page to opt.HTML when set.
func ReportDynamics(w io.Writer, opt DynamicsOptions) error {
	steps, err := ReadStepsFile(opt.Log, opt.Read)
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		return fmt.Errorf("rl: %s: no step records", opt.Log)
	}
	d := Diagnose(steps, opt.Diagnose)
	if opt.HTML != "" {
		f, err := os.Create(opt.HTML)
		if err != nil {
			return fmt.Errorf("rl: %w", err)
		}
		if err := RenderDynamicsHTML(f, steps, d); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("rl: %w", err)
		}
	}
	if opt.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("rl: encoding diagnosis: %w", err)
		}
		return nil
	}
	return d.WriteText(w)
}
