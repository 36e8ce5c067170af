package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
)

// workloadSecrets decrypts the secrets workloads name, for the runtime. A secret
// deleted since the workload was created rejects its start.
func workloadSecrets(st store.Store, keys *auth.Keys) func(context.Context, []apiv1.SecretRef) ([]runtime.Secret, error) {
	return func(ctx context.Context, refs []apiv1.SecretRef) ([]runtime.Secret, error) {
		out := make([]runtime.Secret, 0, len(refs))
		for _, ref := range refs {
			sec, err := st.SecretGet(ctx, ref.ID)
			if errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("%w: the secret %s is gone", runtime.ErrRejected, ref.ID)
			}
			if err != nil {
				return nil, err
			}
			plain, err := keys.Open(sec.Sealed)
			if err != nil { // sealed under another server secret: it will not open later either
				return nil, fmt.Errorf("%w: open the secret %s: %w", runtime.ErrRejected, sec.ID, err)
			}
			s := runtime.Secret{ID: sec.ID, Type: sec.Type}
			if err := json.Unmarshal(plain, &s.Params); err != nil {
				return nil, fmt.Errorf("%w: the secret %s: %w", runtime.ErrRejected, sec.ID, err)
			}
			out = append(out, s)
		}
		return out, nil
	}
}
