package usecase

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"regexp"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

var dnsLabelRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

var secretTypes = []string{apiv1.SecretTypeImage, apiv1.SecretTypeGeneral, apiv1.SecretTypeSSH}

func secretNotFound(id string) *Error { return notFound("Secret %s not found.", id) }

// CreateSecret answers POST /api/v1/secrets: any user may store a secret, shared
// with workspaces they belong to (any workspace for administrators). The values
// are sealed; only the key names stay readable.
func (s *Service) CreateSecret(ctx context.Context, caller *auth.User, req *apiv1.CreateSecretRequest) (string, error) {
	var fe workload.FieldErrors
	if !dnsLabelRe.MatchString(req.Name) {
		fe = append(fe, workload.FieldError{Field: "name", Rule: "must be a DNS label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit"})
	}
	if !slices.Contains(secretTypes, req.Type) {
		fe = append(fe, workload.FieldError{Field: "type", Rule: "must be image, general or ssh"})
	}
	params := decodeParams(req.Type, req.Params, &fe)
	if len(fe) > 0 {
		return "", invalid(fe)
	}
	wsIDs, err := s.secretWorkspaces(ctx, caller, req.WorkspaceIDs, "create")
	if err != nil {
		return "", err
	}
	sec := &inventory.Secret{
		ID: req.Name, Type: req.Type, WorkspaceIDs: wsIDs, UserID: caller.ID, CreationTime: s.now(),
	}
	if err := s.seal(sec, params); err != nil {
		return "", err
	}
	if err := s.Store.SecretInsert(ctx, sec); errors.Is(err, store.ErrConflict) {
		return "", conflict("Secret %s already exists", sec.ID)
	} else if err != nil {
		return "", err
	}
	return sec.ID, nil
}

// ListSecrets answers GET /api/v1/secrets?type=a,b: administrators see all, others
// their own and those shared with a workspace they belong to.
func (s *Service) ListSecrets(ctx context.Context, caller *auth.User, q url.Values) (*apiv1.SecretList, error) {
	types := splitList(q.Get("type"))
	for _, t := range types {
		if !slices.Contains(secretTypes, t) {
			return nil, badRequest("invalid query: type: must be a comma-separated list of image, general and ssh")
		}
	}
	secs, err := s.Store.SecretList(ctx)
	if err != nil {
		return nil, err
	}
	out := &apiv1.SecretList{Items: []apiv1.Secret{}}
	for _, sec := range secs {
		if (len(types) == 0 || slices.Contains(types, sec.Type)) && canSeeSecret(caller, sec) {
			out.Items = append(out.Items, secretView(sec))
		}
	}
	out.TotalCount = len(out.Items)
	return out, nil
}

// GetSecret answers GET /api/v1/secrets/{id}, without the values.
func (s *Service) GetSecret(ctx context.Context, caller *auth.User, id string) (*apiv1.Secret, error) {
	sec, err := s.secret(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSeeSecret(caller, sec) {
		return nil, forbidden("The user is not allowed to get secret")
	}
	v := secretView(sec)
	return &v, nil
}

// PatchSecret answers PATCH /api/v1/secrets/{id}: its owner or an administrator
// replaces its params or its workspaces. New params reach the copies the clusters
// keep (pushSecret).
func (s *Service) PatchSecret(ctx context.Context, caller *auth.User, id string, req *apiv1.PatchSecretRequest) error {
	sec, err := s.ownedSecret(ctx, caller, id, "update")
	if err != nil {
		return err
	}
	var params []map[string][]byte
	if req.Params != nil {
		var fe workload.FieldErrors
		if params = decodeParams(sec.Type, *req.Params, &fe); len(fe) > 0 {
			return invalid(fe)
		}
	}
	var wsIDs []string
	if req.WorkspaceIDs != nil {
		if wsIDs, err = s.secretWorkspaces(ctx, caller, *req.WorkspaceIDs, "update"); err != nil {
			return err
		}
	}
	return store.RetryOnConflict(ctx, func() error {
		sec, err := s.secret(ctx, id)
		if err != nil {
			return err
		}
		if wsIDs != nil {
			sec.WorkspaceIDs = wsIDs
		}
		if params != nil {
			if err := s.seal(sec, params); err != nil {
				return err
			}
		}
		if err := s.Store.SecretUpdate(ctx, sec); err != nil {
			return err
		}
		if params != nil {
			s.pushSecret(ctx, runtime.Secret{ID: sec.ID, Type: sec.Type, Params: params})
		}
		return nil
	})
}

// pushSecret brings the clusters' copies of a changed secret up to date, so that
// running workloads see it: a runner set's new token, a rotated key mounted in pods.
// The change is saved already, and every start writes the copies again: a cluster
// that cannot be told now is only logged.
func (s *Service) pushSecret(ctx context.Context, sec runtime.Secret) {
	u, ok := s.Runtime.(runtime.SecretUpdater)
	if !ok {
		return
	}
	if err := u.UpdateSecret(ctx, sec); err != nil {
		s.log().Warn("a changed secret did not reach every cluster; it does at the next start of its workloads",
			"secret", sec.ID, "err", err)
	}
}

// DeleteSecret answers DELETE /api/v1/secrets/{id}: its owner or an administrator.
func (s *Service) DeleteSecret(ctx context.Context, caller *auth.User, id string) error {
	if _, err := s.ownedSecret(ctx, caller, id, "delete"); err != nil {
		return err
	}
	err := s.Store.SecretDelete(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return secretNotFound(id)
	}
	return err
}

// SecretParams opens a secret's sealed params: what runtimes hand to pods.
func (s *Service) SecretParams(sec *inventory.Secret) ([]map[string][]byte, error) {
	plain, err := s.Keys.Open(sec.Sealed)
	if err != nil {
		return nil, err
	}
	var params []map[string][]byte
	return params, json.Unmarshal(plain, &params)
}

// seal stores the params encrypted in sec, and their key names in the clear.
func (s *Service) seal(sec *inventory.Secret, params []map[string][]byte) error {
	plain, err := json.Marshal(params)
	if err != nil {
		return err
	}
	if sec.Sealed, err = s.Keys.Seal(plain); err != nil {
		return err
	}
	keys := []string{}
	for _, p := range params {
		for k := range p {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	sec.Keys = keys
	return nil
}

// secret loads a secret, answering 404 when missing.
func (s *Service) secret(ctx context.Context, id string) (*inventory.Secret, error) {
	sec, err := s.Store.SecretGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, secretNotFound(id)
	}
	return sec, err
}

// ownedSecret loads a secret the caller may change: theirs, or any for an administrator.
func (s *Service) ownedSecret(ctx context.Context, caller *auth.User, id, verb string) (*inventory.Secret, error) {
	sec, err := s.secret(ctx, id)
	if err != nil {
		return nil, err
	}
	if !auth.IsAdmin(caller) && sec.UserID != caller.ID {
		return nil, forbidden("The user is not allowed to %s secret", verb)
	}
	return sec, nil
}

// secretWorkspaces checks the workspaces a secret is shared with: they exist and,
// unless the caller is an administrator, the caller belongs to each.
func (s *Service) secretWorkspaces(ctx context.Context, caller *auth.User, ids []string, verb string) ([]string, error) {
	wss, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return nil, err
	}
	out, err := existingWorkspaces(ids, wss)
	if err != nil {
		return nil, err
	}
	for _, id := range out {
		if !auth.IsAdmin(caller) && !auth.IsMember(caller, id) && !auth.Manages(caller, findWorkspace(wss, id)) {
			return nil, forbidden("The user is not allowed to %s secret in workspace %s", verb, id)
		}
	}
	return out, nil
}

// canSeeSecret: administrators, the owner, and members of a workspace it is shared with.
func canSeeSecret(u *auth.User, sec *inventory.Secret) bool {
	if auth.IsAdmin(u) || sec.UserID == u.ID {
		return true
	}
	return slices.ContainsFunc(sec.WorkspaceIDs, func(ws string) bool { return auth.IsMember(u, ws) })
}

func secretView(sec *inventory.Secret) apiv1.Secret {
	return apiv1.Secret{
		SecretID: sec.ID, SecretName: sec.ID, Type: sec.Type, WorkspaceIDs: nonNil(sec.WorkspaceIDs),
		UserID: sec.UserID, Keys: nonNil(sec.Keys), CreationTime: workload.FormatTime(sec.CreationTime),
	}
}

// requiredParams are the keys every param of a secret type must carry, besides the
// ssh rule (password or privateKey).
var requiredParams = map[string][]string{
	apiv1.SecretTypeImage: {"server", "username", "password"},
	apiv1.SecretTypeSSH:   {"username"},
}

// decodeParams base64-decodes every value and checks the keys the type needs.
func decodeParams(typ string, params []map[string]string, fe *workload.FieldErrors) []map[string][]byte {
	if len(params) == 0 {
		*fe = append(*fe, workload.FieldError{Field: "params", Rule: "must hold at least one entry"})
	}
	out := make([]map[string][]byte, len(params))
	for i, p := range params {
		field := indexed("params", i)
		if len(p) == 0 {
			*fe = append(*fe, workload.FieldError{Field: field, Rule: "must hold at least one key"})
		}
		out[i] = make(map[string][]byte, len(p))
		for _, k := range slices.Sorted(maps.Keys(p)) {
			v, err := base64.StdEncoding.DecodeString(p[k])
			if k == "" || err != nil {
				*fe = append(*fe, workload.FieldError{Field: field + "." + k, Rule: "must be a non-empty key with a base64 value"})
			}
			out[i][k] = v
		}
		for _, k := range requiredParams[typ] {
			if len(out[i][k]) == 0 {
				*fe = append(*fe, workload.FieldError{Field: field + "." + k, Rule: "is required for a " + typ + " secret"})
			}
		}
		if typ == apiv1.SecretTypeSSH && len(out[i]["password"]) == 0 && len(out[i]["privateKey"]) == 0 {
			*fe = append(*fe, workload.FieldError{Field: field + ".password", Rule: "an ssh secret needs a password or a privateKey"})
		}
	}
	return out
}
