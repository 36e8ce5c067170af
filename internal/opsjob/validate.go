package opsjob

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// Defaults and limits of a create request.
const (
	// DefaultBatchCount is how many nodes an addon job works on at once.
	DefaultBatchCount = 1
	// MaxBatchCount bounds batchCount.
	MaxBatchCount = 1000
	// DefaultAvailableRatio is the share of nodes an addon job must succeed on.
	DefaultAvailableRatio = 1.0
	// DefaultTTLSeconds is how long an ended job is kept (ops_job.ttl_second).
	DefaultTTLSeconds = 60
	// NameMaxLen is the longest display name.
	NameMaxLen = 45
)

var nameRe = regexp.MustCompile(`^[a-z][-a-z0-9.]{0,43}[a-z0-9]$`)

const ruleName = "must match ^[a-z][-a-z0-9.]{0,43}[a-z0-9]$ (2-45 lower-case letters, digits, '-' and '.', starting with a letter)"

// Types lists the ops job types, in the seed's order.
var Types = []string{apiv1.OpsJobAddon, apiv1.OpsJobPreflight, apiv1.OpsJobDumpLog, apiv1.OpsJobReboot, apiv1.OpsJobExportImage}

// InputNames lists the names an input may have.
var InputNames = []string{
	apiv1.InputNode, apiv1.InputAddonTemplate, apiv1.InputWorkload, apiv1.InputWorkloadID,
	apiv1.InputWorkspace, apiv1.InputCluster, apiv1.InputNodeTemplate, apiv1.InputImage,
}

// ScopeInputs are the inputs that say which nodes a job works on.
var ScopeInputs = []string{apiv1.InputNode, apiv1.InputWorkload, apiv1.InputWorkspace, apiv1.InputCluster}

// ApplyDefaults fills what a create request left out and normalizes what it gave, so
// that Validate sees one form.
func ApplyDefaults(req *apiv1.CreateOpsJobRequest) {
	req.Name = strings.TrimSpace(req.Name)
	req.Type = strings.ToLower(strings.TrimSpace(req.Type))
	if req.BatchCount <= 0 {
		req.BatchCount = DefaultBatchCount
	}
	if req.AvailableRatio == nil || *req.AvailableRatio <= 0 {
		r := DefaultAvailableRatio
		req.AvailableRatio = &r
	}
	if req.TTLSecondsAfterFinished <= 0 {
		req.TTLSecondsAfterFinished = DefaultTTLSeconds
	}
	req.TimeoutSecond = max(req.TimeoutSecond, 0)
	req.Inputs = normalizeInputs(req.Inputs)
	for i, n := range req.ExcludedNodes {
		req.ExcludedNodes[i] = strings.TrimSpace(n)
	}
	req.EntryPoint = workload.EncodeEntryPoint(req.EntryPoint)
}

// normalizeInputs trims names and values, spells names as InputNames do (case does
// not matter) and drops repeated name-value pairs, keeping the first.
func normalizeInputs(in []apiv1.Parameter) []apiv1.Parameter {
	out := make([]apiv1.Parameter, 0, len(in))
	for _, p := range in {
		p.Name, p.Value = canonicalInput(p.Name), strings.TrimSpace(p.Value)
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func canonicalInput(name string) string {
	name = strings.TrimSpace(name)
	for _, known := range InputNames {
		if strings.EqualFold(name, known) {
			return known
		}
	}
	return strings.ToLower(name)
}

// Validate checks a create request, after ApplyDefaults, for every problem that needs
// no stored object. It returns nil when there is none.
func Validate(req *apiv1.CreateOpsJobRequest) workload.FieldErrors {
	var errs workload.FieldErrors
	switch {
	case req.Name == "":
		errs = append(errs, workload.FieldError{Field: "name", Rule: "is required; it " + ruleName})
	case !nameRe.MatchString(req.Name):
		errs = append(errs, workload.FieldError{Field: "name", Rule: ruleName})
	}
	validateInputs(&errs, req.Inputs)
	if r := req.AvailableRatio; r != nil && (*r <= 0 || *r > 1) {
		errs = append(errs, workload.FieldError{Field: "availableRatio", Rule: fmt.Sprintf("must be greater than 0 and at most 1, got %g", *r)})
	}
	if req.BatchCount > MaxBatchCount {
		errs = append(errs, workload.FieldError{Field: "batchCount", Rule: fmt.Sprintf("must be at most %d, got %d", MaxBatchCount, req.BatchCount)})
	}
	for i, n := range req.ExcludedNodes {
		if n == "" {
			errs = append(errs, workload.FieldError{Field: fmt.Sprintf("excludedNodes[%d]", i), Rule: "must be a node id, not empty"})
		}
	}
	validateType(&errs, req)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func validateInputs(errs *workload.FieldErrors, inputs []apiv1.Parameter) {
	if len(inputs) == 0 {
		*errs = append(*errs, workload.FieldError{Field: "inputs", Rule: "is required: at least one {name, value}, name one of " + strings.Join(InputNames, ", ")})
	}
	for i, p := range inputs {
		field := fmt.Sprintf("inputs[%d]", i)
		if !slices.Contains(InputNames, p.Name) {
			*errs = append(*errs, workload.FieldError{Field: field + ".name", Rule: fmt.Sprintf("unknown input %q; must be one of %s", p.Name, strings.Join(InputNames, ", "))})
		}
		if p.Value == "" {
			*errs = append(*errs, workload.FieldError{Field: field + ".value", Rule: "is required"})
		}
	}
}

// typeRules checks what each type needs besides the common fields.
var typeRules = map[string]func(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest){
	apiv1.OpsJobAddon: func(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest) {
		if !hasInput(req, apiv1.InputAddonTemplate, apiv1.InputNodeTemplate) {
			*errs = append(*errs, workload.FieldError{Field: "inputs", Rule: "either addon.template or node.template must be specified in the job"})
		}
		requireScope(errs, req)
	},
	apiv1.OpsJobPreflight: func(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest) {
		requireScope(errs, req)
		validatePreflight(errs, req)
	},
	apiv1.OpsJobDumpLog: func(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest) {
		if !hasInput(req, apiv1.InputWorkload) {
			*errs = append(*errs, workload.FieldError{Field: "inputs", Rule: "workload must be specified in the job"})
		}
	},
	apiv1.OpsJobReboot: func(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest) {
		if !hasInput(req, apiv1.InputNode) {
			*errs = append(*errs, workload.FieldError{Field: "inputs", Rule: "at least one node must be specified in the job"})
		}
	},
	apiv1.OpsJobExportImage: func(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest) {
		if !hasInput(req, apiv1.InputWorkload, apiv1.InputWorkloadID) {
			*errs = append(*errs, workload.FieldError{Field: "inputs", Rule: "workload ID is required in inputs (workload or workloadId)"})
		}
	},
}

func validateType(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest) {
	rule, ok := typeRules[req.Type]
	switch {
	case req.Type == "":
		*errs = append(*errs, workload.FieldError{Field: "type", Rule: "is required: one of " + strings.Join(Types, ", ")})
	case !ok:
		*errs = append(*errs, workload.FieldError{Field: "type", Rule: fmt.Sprintf("unknown ops job type %q; must be one of %s", req.Type, strings.Join(Types, ", "))})
	default:
		rule(errs, req)
	}
}

func requireScope(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest) {
	if !hasInput(req, ScopeInputs...) {
		*errs = append(*errs, workload.FieldError{Field: "inputs", Rule: "a job of type " + req.Type + " needs one of the inputs " + strings.Join(ScopeInputs, ", ") + " to choose its nodes"})
	}
}

func validatePreflight(errs *workload.FieldErrors, req *apiv1.CreateOpsJobRequest) {
	if req.Resource == nil {
		*errs = append(*errs, workload.FieldError{Field: "resource", Rule: "is required for a preflight job: at least cpu and memory"})
	} else {
		validateResource(errs, req.Resource)
	}
	if req.Image == "" {
		*errs = append(*errs, workload.FieldError{Field: "image", Rule: "is required for a preflight job: the check container image"})
	}
	if req.EntryPoint == "" {
		*errs = append(*errs, workload.FieldError{Field: "entryPoint", Rule: "is required for a preflight job: the command to run, as text or base64"})
	}
	for i, p := range req.Hostpath {
		if !strings.HasPrefix(p, "/") {
			*errs = append(*errs, workload.FieldError{Field: fmt.Sprintf("hostpath[%d]", i), Rule: fmt.Sprintf("must be an absolute path, got %q", p)})
		}
	}
}

// validateResource checks the quantities of a preflight container: cpu and memory are
// required, the others optional.
func validateResource(errs *workload.FieldErrors, r *apiv1.WorkloadResource) {
	for _, q := range []struct {
		field, value string
		required     bool
	}{
		{"resource.cpu", r.CPU, true},
		{"resource.memory", r.Memory, true},
		{"resource.gpu", r.GPU, false},
		{"resource.ephemeralStorage", r.EphemeralStorage, false},
		{"resource.sharedMemory", r.SharedMemory, false},
	} {
		v, err := resource.ParseQuantity(q.value)
		switch {
		case q.value == "" && q.required:
			*errs = append(*errs, workload.FieldError{Field: q.field, Rule: "is required: a quantity greater than 0"})
		case err != nil:
			*errs = append(*errs, workload.FieldError{Field: q.field, Rule: fmt.Sprintf("must be a quantity such as 8, 500m or 32Gi: %v", err)})
		case q.required && v.Sign() == 0:
			*errs = append(*errs, workload.FieldError{Field: q.field, Rule: fmt.Sprintf("must be greater than 0, got %q", q.value)})
		case q.field == "resource.gpu" && v.MilliValue()%1000 != 0:
			*errs = append(*errs, workload.FieldError{Field: q.field, Rule: fmt.Sprintf("must be a whole number of devices, not %q", q.value)})
		}
	}
}

func hasInput(req *apiv1.CreateOpsJobRequest, names ...string) bool {
	return slices.ContainsFunc(req.Inputs, func(p apiv1.Parameter) bool { return slices.Contains(names, p.Name) })
}
