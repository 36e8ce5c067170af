package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// TestValidateRunnerSet: a runner set needs the URL its runners register with on
// every spec, and its token on create; a PATCH may not bring a token.
func TestValidateRunnerSet(t *testing.T) {
	t.Parallel()
	urlRule := "must be an http or https URL such as https://github.com/my-org/my-repo"
	tests := []struct {
		name string
		env  map[string]string
		want FieldErrors
	}{
		{"both", map[string]string{GitHubConfigURLEnv: "https://github.com/o/r", GitHubPATEnv: "ghp_x"}, nil},
		{"no token", map[string]string{GitHubConfigURLEnv: "https://github.com/o/r"},
			FieldErrors{{"env[GITHUB_PAT]", "is required: the GitHub token the runners register with"}}},
		{"no url", map[string]string{GitHubPATEnv: "ghp_x"}, FieldErrors{{"env[GITHUB_CONFIG_URL]",
			"is required: the GitHub repository, organization or enterprise URL the runners register with"}}},
		{"not a url", map[string]string{GitHubConfigURLEnv: "github.com/o/r", GitHubPATEnv: "ghp_x"},
			FieldErrors{{"env[GITHUB_CONFIG_URL]", urlRule}}},
		{"ftp", map[string]string{GitHubConfigURLEnv: "ftp://github.com/o/r", GitHubPATEnv: "ghp_x"},
			FieldErrors{{"env[GITHUB_CONFIG_URL]", urlRule}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := validCreate()
			req.GroupVersionKind.Kind = apiv1.KindAutoscalingRunnerSet
			req.Env = tt.env
			ApplyCreateDefaults(req)
			if diff := cmp.Diff(tt.want, ValidateCreate(req, specNow)); diff != "" {
				t.Errorf("ValidateCreate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPatchRunnerSetToken: the token lives in a secret; a PATCH bringing one is refused
// and leaves the spec as it was, one keeping the URL is taken.
func TestPatchRunnerSetToken(t *testing.T) {
	t.Parallel()
	req := validCreate()
	req.GroupVersionKind.Kind = apiv1.KindAutoscalingRunnerSet
	req.Env = map[string]string{GitHubConfigURLEnv: "https://github.com/o/r"}
	ApplyCreateDefaults(req)
	spec := req.WorkloadSpec
	withToken := map[string]string{GitHubConfigURLEnv: "https://github.com/o/r", GitHubPATEnv: "ghp_new"}
	errs := ApplyPatch(&spec, &apiv1.PatchWorkloadRequest{Env: &withToken}, specNow)
	if len(errs) != 1 || errs[0].Field != "env[GITHUB_PAT]" || spec.Env[GitHubPATEnv] != "" {
		t.Errorf("PATCH with a token: errors %v, env %v; want env[GITHUB_PAT] refused", errs, spec.Env)
	}
	moved := map[string]string{GitHubConfigURLEnv: "https://github.com/o/other"}
	if errs := ApplyPatch(&spec, &apiv1.PatchWorkloadRequest{Env: &moved}, specNow); errs != nil || spec.Env[GitHubConfigURLEnv] != moved[GitHubConfigURLEnv] {
		t.Errorf("PATCH of the URL: errors %v, env %v", errs, spec.Env)
	}
}
