package usecase

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Addon template types and GPU chips (DESIGN decision 12).
const (
	AddonTemplateDefault = "default"
	AddonTemplateHelm    = "helm"
)

var (
	addonTemplateIDRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$`)
	gpuChips          = []string{"", "amd", "nvidia"}
)

func addonTemplateNotFound(id string) *Error { return notFound("Addon template %s not found.", id) }

// CreateAddonTemplate stores a new addon template (administrators only) and returns
// its id, which defaults to the normalized name.
func (s *Service) CreateAddonTemplate(ctx context.Context, caller *auth.User, req *apiv1.AddonTemplate) (string, error) {
	if !auth.IsAdmin(caller) {
		return "", forbidden("The user is not allowed to create addontemplate")
	}
	t, err := newAddonTemplate(req)
	if err != nil {
		return "", err
	}
	t.CreationTime = s.now()
	err = s.Store.AddonTemplateInsert(ctx, t)
	if errors.Is(err, store.ErrConflict) {
		return "", newError(apiv1.CodeAlreadyExist, "the addon template %s already exists", t.ID)
	}
	return t.ID, err
}

// newAddonTemplate normalizes and checks a create request.
func newAddonTemplate(req *apiv1.AddonTemplate) (*opsjob.AddonTemplate, error) {
	t := &opsjob.AddonTemplate{
		ID: strings.TrimSpace(req.ID), Name: strings.TrimSpace(req.Name),
		Type: strings.ToLower(strings.TrimSpace(req.Type)), Category: req.Category, Description: req.Description,
		Action: strings.TrimSpace(req.Action), GPUChip: strings.ToLower(strings.TrimSpace(req.GPUChip)), Required: req.Required,
	}
	if t.ID == "" {
		t.ID = strings.NewReplacer(" ", "-", "_", "-").Replace(strings.ToLower(t.Name))
	}
	if t.Type == "" {
		t.Type = AddonTemplateDefault
	}
	if t.Type == AddonTemplateHelm {
		return nil, badRequest("The addon job does not support Helm installation.")
	}
	if fe := validateAddonTemplate(t); len(fe) > 0 {
		return nil, invalid(fe)
	}
	return t, nil
}

func validateAddonTemplate(t *opsjob.AddonTemplate) workload.FieldErrors {
	var fe workload.FieldErrors
	add := func(field, rule string) { fe = append(fe, workload.FieldError{Field: field, Rule: rule}) }
	if t.Name == "" {
		add("name", "is required")
	}
	if !addonTemplateIDRe.MatchString(t.ID) {
		add("id", "must be 1-63 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (it defaults to the name)")
	}
	if t.Type != AddonTemplateDefault {
		add("type", "must be default (helm is not supported), not "+t.Type)
	}
	if t.Action == "" {
		add("action", "is required: the base64 of the script run on each node")
	} else if _, err := base64.StdEncoding.DecodeString(t.Action); err != nil {
		add("action", "must be standard base64: "+err.Error())
	}
	if !slices.Contains(gpuChips, t.GPUChip) {
		add("gpuChip", "must be amd, nvidia or empty (any), not "+t.GPUChip)
	}
	return fe
}

// ListAddonTemplates answers GET /api/v1/addontemplates (administrators only, as the
// reference's roles: templates are scripts run as root).
func (s *Service) ListAddonTemplates(ctx context.Context, caller *auth.User) (*apiv1.AddonTemplateList, error) {
	if !auth.IsAdmin(caller) {
		return nil, forbidden("The user is not allowed to list addontemplate")
	}
	ts, err := s.Store.AddonTemplateList(ctx)
	if err != nil {
		return nil, err
	}
	out := &apiv1.AddonTemplateList{TotalCount: len(ts), Items: make([]apiv1.AddonTemplate, 0, len(ts))}
	for _, t := range ts {
		out.Items = append(out.Items, addonTemplateView(t))
	}
	return out, nil
}

// GetAddonTemplate answers GET /api/v1/addontemplates/{id} (administrators only).
func (s *Service) GetAddonTemplate(ctx context.Context, caller *auth.User, id string) (*apiv1.AddonTemplate, error) {
	if !auth.IsAdmin(caller) {
		return nil, forbidden("The user is not allowed to get addontemplate")
	}
	t, err := s.addonTemplate(ctx, id)
	if err != nil {
		return nil, err
	}
	v := addonTemplateView(t)
	return &v, nil
}

// DeleteAddonTemplate removes a template no unfinished addon job uses (administrators only).
func (s *Service) DeleteAddonTemplate(ctx context.Context, caller *auth.User, id string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to delete addontemplate")
	}
	if _, err := s.addonTemplate(ctx, id); err != nil {
		return err
	}
	jobs, err := s.unfinishedOpsJobs(ctx)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Type == apiv1.OpsJobAddon && slices.Contains(j.InputValues(apiv1.InputAddonTemplate), id) {
			return newError(apiv1.CodeResourceProcessing, "the addon template %s is used by the unfinished ops job %s", id, j.ID)
		}
	}
	nodeTemplates, err := s.Store.NodeTemplateList(ctx)
	if err != nil {
		return err
	}
	for _, nt := range nodeTemplates {
		if slices.Contains(nt.AddonTemplates, id) {
			return newError(apiv1.CodeResourceProcessing, "the addon template %s is named by the node template %s", id, nt.ID)
		}
	}
	err = s.Store.AddonTemplateDelete(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return addonTemplateNotFound(id)
	}
	return err
}

func (s *Service) addonTemplate(ctx context.Context, id string) (*opsjob.AddonTemplate, error) {
	t, err := s.Store.AddonTemplateGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, addonTemplateNotFound(id)
	}
	return t, err
}

// checkAddonTemplates expands the job's node templates into addon templates, and
// requires those to exist and be runnable.
func (s *Service) checkAddonTemplates(ctx context.Context, j *opsjob.Job) error {
	if err := s.expandNodeTemplates(ctx, j); err != nil {
		return err
	}
	ids := j.InputValues(apiv1.InputAddonTemplate)
	if len(ids) == 0 {
		return badRequest("inputs: either addon.template or node.template must be specified in the job")
	}
	for _, id := range ids {
		t, err := s.addonTemplate(ctx, id)
		if err != nil {
			return err
		}
		if t.Type == AddonTemplateHelm {
			return badRequest("The addon job does not support Helm installation.")
		}
	}
	return nil
}

func addonTemplateView(t *opsjob.AddonTemplate) apiv1.AddonTemplate {
	return apiv1.AddonTemplate{
		ID: t.ID, Name: t.Name, Type: t.Type, Category: t.Category, Description: t.Description,
		Action: t.Action, GPUChip: t.GPUChip, Required: t.Required, CreationTime: workload.FormatTime(t.CreationTime),
	}
}
