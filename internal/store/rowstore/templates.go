package rowstore

import (
	"context"

	"github.com/berth-dev/berth/internal/opsjob"
)

var (
	addonTemplateVersion versionOf[opsjob.AddonTemplate] = func(t *opsjob.AddonTemplate) *int64 { return &t.Version }
	nodeTemplateVersion  versionOf[opsjob.NodeTemplate]  = func(t *opsjob.NodeTemplate) *int64 { return &t.Version }
)

// AddonTemplateInsert stores a new addon template with Version 1; a taken id is ErrConflict.
func (e Entities) AddonTemplateInsert(ctx context.Context, t *opsjob.AddonTemplate) error {
	return insert(ctx, e.E, Row{Op: "addon template insert", Table: "addon_templates", ID: t.ID, Version: &t.Version, Value: t})
}

// AddonTemplateGet returns an addon template.
func (e Entities) AddonTemplateGet(ctx context.Context, id string) (*opsjob.AddonTemplate, error) {
	return get(ctx, e.E, addonTemplateVersion, "addon template get", "addon_templates", "id", id)
}

// AddonTemplateList returns every addon template by id.
func (e Entities) AddonTemplateList(ctx context.Context) ([]*opsjob.AddonTemplate, error) {
	return list(ctx, e.E, addonTemplateVersion, "addon template list", "addon_templates", "", nil, "id")
}

// AddonTemplateDelete deletes an addon template.
func (e Entities) AddonTemplateDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "addon template delete", "addon_templates", id)
}

// NodeTemplateInsert stores a new node template with Version 1; a taken id is ErrConflict.
func (e Entities) NodeTemplateInsert(ctx context.Context, t *opsjob.NodeTemplate) error {
	return insert(ctx, e.E, Row{Op: "node template insert", Table: "node_templates", ID: t.ID, Version: &t.Version, Value: t})
}

// NodeTemplateGet returns a node template.
func (e Entities) NodeTemplateGet(ctx context.Context, id string) (*opsjob.NodeTemplate, error) {
	return get(ctx, e.E, nodeTemplateVersion, "node template get", "node_templates", "id", id)
}

// NodeTemplateList returns every node template by id.
func (e Entities) NodeTemplateList(ctx context.Context) ([]*opsjob.NodeTemplate, error) {
	return list(ctx, e.E, nodeTemplateVersion, "node template list", "node_templates", "", nil, "id")
}

// NodeTemplateDelete deletes a node template.
func (e Entities) NodeTemplateDelete(ctx context.Context, id string) error {
	return remove(ctx, e.E, "node template delete", "node_templates", id)
}
