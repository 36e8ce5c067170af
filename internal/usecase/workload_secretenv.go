package usecase

import (
	"context"
	"errors"
	"fmt"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// resolveSecretEnv checks every secretEnv reference of spec, the sidecars' included:
// the secret is a general one the caller may use in the workspace (as a mounted
// secret must be) and holds the key. Each secret named becomes one of spec's
// secrets, so the runtimes receive it. A problem is a 400 naming the field; a secret
// the caller may not use reads as one that does not exist.
func (s *Service) resolveSecretEnv(ctx context.Context, caller *auth.User, ws *inventory.Workspace, spec *apiv1.WorkloadSpec) error {
	var fe workload.FieldErrors
	for _, r := range workload.SecretEnvRefs(spec) {
		sec, err := s.Store.SecretGet(ctx, r.Ref.SecretID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		switch {
		case sec == nil || !auth.CanUseSecret(caller, sec, ws.ID):
			fe = append(fe, workload.FieldError{Field: r.Field + ".secretId",
				Rule: fmt.Sprintf("must name a general secret you may use in workspace %s; %q is none", ws.ID, r.Ref.SecretID)})
		case sec.Type != apiv1.SecretTypeGeneral:
			fe = append(fe, workload.FieldError{Field: r.Field + ".secretId",
				Rule: fmt.Sprintf("must name a general secret; %s is of type %s", sec.ID, sec.Type)})
		case !slices.Contains(sec.Keys, r.Ref.Key):
			fe = append(fe, workload.FieldError{Field: r.Field + ".key",
				Rule: fmt.Sprintf("must be a key of secret %s (%v), not %q", sec.ID, sec.Keys, r.Ref.Key)})
		default:
			if !slices.ContainsFunc(spec.Secrets, func(ref apiv1.SecretRef) bool { return ref.ID == sec.ID }) {
				spec.Secrets = append(spec.Secrets, apiv1.SecretRef{ID: sec.ID, Type: sec.Type})
			}
		}
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	return nil
}
