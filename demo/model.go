package demo

import "github.com/terse-dev/terse/lab"

// LabBase names the shipped lab base model (lab.BaseModel).
const LabBase = lab.BaseModel
