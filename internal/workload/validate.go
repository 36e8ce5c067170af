package workload

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Limits checked by validation.
const (
	// DisplayNameMaxLen is the longest display name; the ID adds "-" and 5 characters.
	DisplayNameMaxLen = 45
	// PriorityMin and PriorityMax bound priority: 0 low, 1 medium, 2 high.
	PriorityMin = 0
	PriorityMax = 2
	// MaxRetryMax bounds maxRetry: at most 51 runs.
	MaxRetryMax = 50
	// EnvKeyMaxLen bounds the name of an environment variable.
	EnvKeyMaxLen = 256
	// keyShownMaxLen is how much of a refused key an error message repeats.
	keyShownMaxLen = 100
)

var (
	displayNameRe = regexp.MustCompile(`^[a-z][-a-z0-9]{0,43}[a-z0-9]$`)
	labelPartRe   = regexp.MustCompile(`^[a-z0-9]([a-zA-Z0-9._-]{0,61}[a-z0-9])?$`)
	envKeyRe      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Rules that say what a field must be.
const (
	ruleRequired    = "is required"
	ruleDisplayName = "must match ^[a-z][-a-z0-9]{0,43}[a-z0-9]$ (2-45 lower-case letters, digits and '-', starting with a letter)"
	ruleLabelKey    = "must be a label key: an optional prefix and '/', then a name; each part 1-63 characters of letters, digits, '.', '_' and '-', starting and ending with a lower-case letter or digit"
	ruleEnvKey      = "must match ^[A-Za-z_][A-Za-z0-9_]*$ (letters, digits and '_', not starting with a digit)"
	rulePositive    = "must be greater than 0"
	ruleNotNegative = "must not be negative"
	rulePort        = "must be a port number between 1 and 65535"
)

// scopes maps each kind to the workspace scope it needs.
var scopes = map[string]string{
	apiv1.KindPyTorchJob:           apiv1.ScopeTrain,
	apiv1.KindDeployment:           apiv1.ScopeInfer,
	apiv1.KindStatefulSet:          apiv1.ScopeInfer,
	apiv1.KindAuthoring:            apiv1.ScopeAuthoring,
	apiv1.KindAutoscalingRunnerSet: apiv1.ScopeCICD,
	apiv1.KindModelInfer:           apiv1.ScopeInfer,
}

// kindNames lists the known kinds in the order the seed does, for messages.
var kindNames = []string{
	apiv1.KindPyTorchJob, apiv1.KindDeployment, apiv1.KindStatefulSet,
	apiv1.KindAuthoring, apiv1.KindAutoscalingRunnerSet,
}

// Scope returns the workspace scope a kind runs in; false for an unknown kind.
func Scope(kind string) (string, bool) {
	s, ok := scopes[kind]
	return s, ok
}

// ValidateCreate checks a create request, after ApplyCreateDefaults, for every problem
// that needs no other object (workspace, nodes, secrets and dependencies are checked by
// the caller). It returns nil when there is none.
func ValidateCreate(req *apiv1.CreateWorkloadRequest, now time.Time) FieldErrors {
	var errs FieldErrors
	if req.DisplayName == "" {
		errs.add("displayName", ruleRequired+"; it "+ruleDisplayName)
	} else if !displayNameRe.MatchString(req.DisplayName) {
		errs.add("displayName", ruleDisplayName)
	}
	if req.Workspace == "" {
		errs.add("workspaceId", ruleRequired)
	}
	for i, n := range req.SpecifiedNodes {
		if strings.TrimSpace(n) == "" || strings.ContainsFunc(n, unicode.IsSpace) {
			errs.add(fmt.Sprintf("specifiedNodes[%d]", i), "must be a node name, not empty and without blanks")
		} else if slices.Index(req.SpecifiedNodes, n) < i {
			errs.add(fmt.Sprintf("specifiedNodes[%d]", i), fmt.Sprintf("must not repeat node %q: each replica needs its own node", n))
		}
	}
	if req.GroupVersionKind.Kind == apiv1.KindAuthoring && len(req.SpecifiedNodes) > 1 {
		errs.add("specifiedNodes", "must name at most one node for an Authoring workload")
	}
	errs = append(errs, ValidateSpec(&req.WorkloadSpec)...)
	if req.GroupVersionKind.Kind == apiv1.KindAutoscalingRunnerSet {
		validateRunnerSetToken(&errs, &req.WorkloadSpec)
	}
	errs = append(errs, ValidateCronJobs(req.CronJobs, now, "cronJobs")...)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// ValidateSpec checks the fields of a spec, after ApplyDefaults, that a create and an
// update share: everything but the naming fields and the cron jobs. It returns nil when
// there is no problem.
func ValidateSpec(spec *apiv1.WorkloadSpec) FieldErrors {
	var errs FieldErrors
	kind := spec.GroupVersionKind.Kind
	if kind == "" {
		errs.add("groupVersionKind.kind", ruleRequired+": one of "+strings.Join(kindNames, ", "))
	} else if kind == apiv1.KindModelInfer {
		errs.add("groupVersionKind.kind", "a ModelInfer is created and changed through /api/v1/modelinfers")
	} else if _, ok := Scope(kind); !ok {
		errs.add("groupVersionKind.kind", fmt.Sprintf("unknown workload kind, %s; must be one of %s", kind, strings.Join(kindNames, ", ")))
	}
	switch spec.GroupVersionKind.Version {
	case VersionDefault:
	case "":
		errs.add("groupVersionKind.version", ruleRequired+", e.g. "+VersionDefault)
	default:
		errs.add("groupVersionKind.version", fmt.Sprintf("must be %s, the only version Berth has templates for, not %s", VersionDefault, quoteValue(spec.GroupVersionKind.Version)))
	}
	if spec.Image == "" {
		errs.add("image", ruleRequired+": the container image to run")
	}
	if kind != apiv1.KindAuthoring && spec.EntryPoint == "" {
		errs.add("entryPoint", ruleRequired+": the command to run, as text or base64")
	}
	validateResource(&errs, &spec.Resource)
	validateResourceLimits(&errs, &spec.Resource)
	validateLimits(&errs, spec)
	validateService(&errs, spec.Service)
	validateHealthCheck(&errs, "liveness", spec.Liveness)
	validateHealthCheck(&errs, "readiness", spec.Readiness)
	validateMaps(&errs, spec)
	validateSecretEnv(&errs, "secretEnv", spec.SecretEnv, spec.Env)
	validateSidecars(&errs, spec)
	if kind == apiv1.KindAutoscalingRunnerSet {
		validateRunnerSet(&errs, spec)
	}
	for i, d := range spec.Dependencies {
		if strings.TrimSpace(d) == "" {
			errs.add(fmt.Sprintf("dependencies[%d]", i), "must be a workload id, not empty")
		}
	}
	for i, s := range spec.Secrets {
		if strings.TrimSpace(s.ID) == "" {
			errs.add(fmt.Sprintf("secrets[%d].id", i), ruleRequired+": the id of a secret")
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func validateLimits(errs *FieldErrors, spec *apiv1.WorkloadSpec) {
	if spec.Priority < PriorityMin || spec.Priority > PriorityMax {
		errs.add("priority", "must be 0 (low), 1 (medium) or 2 (high)")
	}
	if spec.MaxRetry < 0 {
		errs.add("maxRetry", fmt.Sprintf("must be between 0 and %d (larger values count as %d)", MaxRetryMax, MaxRetryMax))
	}
	if spec.Timeout != nil && *spec.Timeout < 0 {
		errs.add("timeout", "must be 0 (no timeout) or a number of seconds greater than 0")
	}
	if spec.TTLSecondsAfterFinished != nil && *spec.TTLSecondsAfterFinished < 0 {
		errs.add("ttlSecondsAfterFinished", ruleNotNegative)
	}
}

// validateMaps checks the keys of customerLabels and env, in key order.
func validateMaps(errs *FieldErrors, spec *apiv1.WorkloadSpec) {
	for _, k := range slices.Sorted(maps.Keys(spec.CustomerLabels)) {
		if !validLabelKey(k) {
			errs.add("customerLabels["+shownKey(k)+"]", ruleLabelKey)
		}
	}
	validateEnvKeys(errs, "env", spec.Env)
}

// shownKey is a map key as an error message names it: cut short when it is long, so
// that a message never repeats a huge request.
func shownKey(k string) string {
	if len(k) <= keyShownMaxLen {
		return k
	}
	cut := keyShownMaxLen
	for cut > 0 && !utf8.RuneStart(k[cut]) {
		cut--
	}
	return k[:cut] + "..."
}

func validLabelKey(k string) bool {
	parts := strings.Split(k, "/")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if !labelPartRe.MatchString(p) {
			return false
		}
	}
	return true
}
