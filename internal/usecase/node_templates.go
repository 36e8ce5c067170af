package usecase

import (
	"context"
	"errors"
	"slices"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

func nodeTemplateNotFound(id string) *Error { return notFound("Node template %s not found.", id) }

// CreateNodeTemplate stores a node template (administrators only): an id and the
// addon templates, which must exist.
func (s *Service) CreateNodeTemplate(ctx context.Context, caller *auth.User, req *apiv1.NodeTemplate) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to create nodetemplate")
	}
	t := &opsjob.NodeTemplate{ID: strings.TrimSpace(req.TemplateID), CreationTime: s.now()}
	var fe workload.FieldErrors
	if !addonTemplateIDRe.MatchString(t.ID) {
		fe = append(fe, workload.FieldError{Field: "templateId",
			Rule: "must be 1-63 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"})
	}
	for _, id := range req.AddOnTemplates {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(t.AddonTemplates, id) {
			t.AddonTemplates = append(t.AddonTemplates, id)
		}
	}
	if len(t.AddonTemplates) == 0 {
		fe = append(fe, workload.FieldError{Field: "addOnTemplates", Rule: "must name at least one addon template"})
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	for _, id := range t.AddonTemplates {
		if _, err := s.addonTemplate(ctx, id); err != nil {
			return err
		}
	}
	err := s.Store.NodeTemplateInsert(ctx, t)
	if errors.Is(err, store.ErrConflict) {
		return newError(apiv1.CodeAlreadyExist, "the node template %s already exists", t.ID)
	}
	return err
}

// ListNodeTemplates answers GET /api/v1/nodetemplates.
func (s *Service) ListNodeTemplates(ctx context.Context, caller *auth.User) (*apiv1.NodeTemplateList, error) {
	ts, err := s.Store.NodeTemplateList(ctx)
	if err != nil {
		return nil, err
	}
	out := &apiv1.NodeTemplateList{TotalCount: len(ts), Items: make([]apiv1.NodeTemplate, 0, len(ts))}
	for _, t := range ts {
		out.Items = append(out.Items, apiv1.NodeTemplate{TemplateID: t.ID, AddOnTemplates: t.AddonTemplates,
			CreationTime: workload.FormatTime(t.CreationTime)})
	}
	return out, nil
}

// DeleteNodeTemplate removes a node template (administrators only).
func (s *Service) DeleteNodeTemplate(ctx context.Context, caller *auth.User, id string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to delete nodetemplate")
	}
	err := s.Store.NodeTemplateDelete(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nodeTemplateNotFound(id)
	}
	return err
}

// expandNodeTemplates appends one addon.template input per addon template of each
// node.template input of the job, as the reference does, skipping those it has.
func (s *Service) expandNodeTemplates(ctx context.Context, j *opsjob.Job) error {
	for _, id := range j.InputValues(apiv1.InputNodeTemplate) {
		t, err := s.Store.NodeTemplateGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return badRequest("inputs: node.template %s: the node template is not found", id)
		}
		if err != nil {
			return err
		}
		for _, a := range t.AddonTemplates {
			if !slices.Contains(j.InputValues(apiv1.InputAddonTemplate), a) {
				j.Inputs = append(j.Inputs, apiv1.Parameter{Name: apiv1.InputAddonTemplate, Value: a})
			}
		}
	}
	return nil
}
