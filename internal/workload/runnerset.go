package workload

import (
	"encoding/json"
	"net/url"
	"strconv"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Env of an AutoscalingRunnerSet (a GitHub Actions runner scale set, reference §3.11).
const (
	// GitHubConfigURLEnv is the repository, organization or enterprise URL the
	// runners register with.
	GitHubConfigURLEnv = "GITHUB_CONFIG_URL"
	// GitHubPATEnv carries the GitHub token on create only: it moves into the runner
	// set's token secret and is never stored in the spec (DESIGN decision 7).
	GitHubPATEnv = "GITHUB_PAT"
	// GitHubTokenKey is the key of the token in that secret, the key the
	// actions-runner-controller reads.
	GitHubTokenKey = "github_token"
)

// validateRunnerSet checks what a runner set's env must hold in every spec: the URL
// its runners register with.
func validateRunnerSet(errs *FieldErrors, spec *apiv1.WorkloadSpec) {
	raw := spec.Env[GitHubConfigURLEnv]
	field := "env[" + GitHubConfigURLEnv + "]"
	if raw == "" {
		errs.add(field, ruleRequired+": the GitHub repository, organization or enterprise URL the runners register with")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs.add(field, "must be an http or https URL such as https://github.com/my-org/my-repo")
	}
}

// validateRunnerSetToken checks that a new runner set brings its GitHub token.
func validateRunnerSetToken(errs *FieldErrors, spec *apiv1.WorkloadSpec) {
	if spec.Env[GitHubPATEnv] == "" {
		errs.add("env["+GitHubPATEnv+"]", ruleRequired+": the GitHub token the runners register with")
	}
}

// RunnerSetEnv is the env the runner container of a runner set gets besides its
// own (reference §3.11): who runs it and what a job it takes over may ask for.
func RunnerSetEnv(w *Workload) map[string]string {
	res, _ := json.Marshal(w.Spec.Resource)
	return map[string]string{
		"RESOURCES":       string(res),
		"IMAGE":           w.Spec.Image,
		"ENTRYPOINT":      w.Spec.EntryPoint,
		"USER_ID":         w.UserID,
		"PRIORITY":        strconv.Itoa(w.Spec.Priority),
		"WORKSPACE_ID":    w.Workspace(),
		ScaleRunnerSetEnv: w.ID,
	}
}

// TokenSecretID names the secret that holds a runner set's GitHub token: the
// workload's own id, so that two runner sets never share one (DESIGN decision 7).
func TokenSecretID(workloadID string) string { return workloadID }
