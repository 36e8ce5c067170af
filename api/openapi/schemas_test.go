package openapi_test

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// wire maps each object schema of the document to the api/v1 type it describes.
// A response schema must list every field the encoder writes as required (all but
// omitempty ones); a request schema, whose fields the server defaults, need not.
var wire = map[string]struct {
	typ      any
	response bool
}{
	"Error":                   {apiv1.Error{}, true},
	"IDName":                  {apiv1.IDName{}, true},
	"GroupVersionKind":        {apiv1.GroupVersionKind{}, true},
	"GroupVersionKindInput":   {apiv1.GroupVersionKind{}, false},
	"WorkloadResource":        {apiv1.WorkloadResource{}, true},
	"WorkloadResourceInput":   {apiv1.WorkloadResource{}, false},
	"HealthCheck":             {apiv1.HealthCheck{}, true},
	"HealthCheckInput":        {apiv1.HealthCheck{}, false},
	"Service":                 {apiv1.Service{}, true},
	"ServiceInput":            {apiv1.Service{}, false},
	"CronJob":                 {apiv1.CronJob{}, true},
	"SecretRef":               {apiv1.SecretRef{}, true},
	"ResourceLimits":          {apiv1.ResourceLimits{}, true},
	"ResourceLimitsInput":     {apiv1.ResourceLimits{}, false},
	"SecretEnv":               {apiv1.SecretEnv{}, true},
	"Sidecar":                 {apiv1.Sidecar{}, true},
	"SidecarInput":            {apiv1.Sidecar{}, false},
	"CreateWorkloadRequest":   {apiv1.CreateWorkloadRequest{}, false},
	"CreateWorkloadResponse":  {apiv1.CreateWorkloadResponse{}, true},
	"PatchWorkloadRequest":    {apiv1.PatchWorkloadRequest{}, false},
	"ScaleRequest":            {apiv1.ScaleRequest{}, false},
	"WorkloadListItem":        {apiv1.WorkloadListItem{}, true},
	"WorkloadList":            {apiv1.WorkloadList{}, true},
	"WorkloadCondition":       {apiv1.WorkloadCondition{}, true},
	"ContainerStatus":         {apiv1.ContainerStatus{}, true},
	"WorkloadPod":             {apiv1.WorkloadPod{}, true},
	"WorkloadDetail":          {apiv1.WorkloadDetail{}, true},
	"BatchFailure":            {apiv1.BatchFailure{}, true},
	"BatchResult":             {apiv1.BatchResult{}, true},
	"PodLogs":                 {apiv1.PodLogs{}, true},
	"PodContainers":           {apiv1.PodContainers{}, true},
	"ServicePort":             {apiv1.ServicePort{}, true},
	"WorkloadService":         {apiv1.WorkloadService{}, true},
	"WorkloadScheduling":      {apiv1.WorkloadScheduling{}, true},
	"LoginRequest":            {apiv1.LoginRequest{}, false},
	"LoginResponse":           {apiv1.LoginResponse{}, true},
	"Envs":                    {apiv1.Envs{}, true},
	"User":                    {apiv1.User{}, true},
	"UserList":                {apiv1.UserList{}, true},
	"CreateUserRequest":       {apiv1.CreateUserRequest{}, false},
	"PatchUserRequest":        {apiv1.PatchUserRequest{}, false},
	"CreateAPIKeyRequest":     {apiv1.CreateAPIKeyRequest{}, false},
	"APIKey":                  {apiv1.APIKey{}, true},
	"APIKeyList":              {apiv1.APIKeyList{}, true},
	"CreateWorkspaceRequest":  {apiv1.CreateWorkspaceRequest{}, false},
	"CreateWorkspaceResponse": {apiv1.CreateWorkspaceResponse{}, true},
	"PatchWorkspaceRequest":   {apiv1.PatchWorkspaceRequest{}, false},
	"WorkspaceNodesRequest":   {apiv1.WorkspaceNodesRequest{}, false},
	"Workspace":               {apiv1.Workspace{}, true},
	"WorkspaceList":           {apiv1.WorkspaceList{}, true},
	"Taint":                   {apiv1.Taint{}, true},
	"PatchNodeRequest":        {apiv1.PatchNodeRequest{}, false},
	"Node":                    {apiv1.Node{}, true},
	"NodeList":                {apiv1.NodeList{}, true},
	"CreateNodeRequest":       {apiv1.CreateNodeRequest{}, false},
	"CreateNodeResponse":      {apiv1.CreateNodeResponse{}, true},
	"Fault":                   {apiv1.Fault{}, true},
	"FaultList":               {apiv1.FaultList{}, true},
	"CreateSecretRequest":     {apiv1.CreateSecretRequest{}, false},
	"CreateSecretResponse":    {apiv1.CreateSecretResponse{}, true},
	"PatchSecretRequest":      {apiv1.PatchSecretRequest{}, false},
	"Secret":                  {apiv1.Secret{}, true},
	"SecretList":              {apiv1.SecretList{}, true},
	"Cluster":                 {apiv1.Cluster{}, true},
	"ClusterList":             {apiv1.ClusterList{}, true},
	"CreateClusterRequest":    {apiv1.CreateClusterRequest{}, false},
	"CreateClusterResponse":   {apiv1.CreateClusterResponse{}, true},
	"Parameter":               {apiv1.Parameter{}, true},
	"CreateOpsJobRequest":     {apiv1.CreateOpsJobRequest{}, false},
	"CreateOpsJobResponse":    {apiv1.CreateOpsJobResponse{}, true},
	"OpsJobItem":              {apiv1.OpsJobItem{}, true},
	"OpsJobList":              {apiv1.OpsJobList{}, true},
	"OpsJobCondition":         {apiv1.OpsJobCondition{}, true},
	"OpsJobDetail":            {apiv1.OpsJobDetail{}, true},
	"AddonTemplate":           {apiv1.AddonTemplate{}, true},
	"AddonTemplateInput":      {apiv1.AddonTemplate{}, false},
	"AddonTemplateList":       {apiv1.AddonTemplateList{}, true},
	"NodeTemplate":            {apiv1.NodeTemplate{}, true},
	"NodeTemplateInput":       {apiv1.NodeTemplate{}, false},
	"NodeTemplateList":        {apiv1.NodeTemplateList{}, true},
	"CreatePublicKeyRequest":  {apiv1.CreatePublicKeyRequest{}, false},
	"PublicKey":               {apiv1.PublicKey{}, true},
	"PublicKeyList":           {apiv1.PublicKeyList{}, true},
	"PublicKeyStatusRequest":  {apiv1.PublicKeyStatusRequest{}, false},
	"Version":                 {apiv1.Version{}, true},

	"ModelInfer":                      {apiv1.ModelInfer{}, true},
	"ModelInferInput":                 {apiv1.ModelInfer{}, false},
	"ModelInferList":                  {apiv1.ModelInferList{}, true},
	"ListMeta":                        {apiv1.ListMeta{}, true},
	"ObjectMeta":                      {apiv1.ObjectMeta{}, true},
	"ObjectMetaInput":                 {apiv1.ObjectMeta{}, false},
	"ModelInferSpec":                  {apiv1.ModelInferSpec{}, true},
	"ModelInferSpecInput":             {apiv1.ModelInferSpec{}, false},
	"InferGroup":                      {apiv1.InferGroup{}, true},
	"InferGroupInput":                 {apiv1.InferGroup{}, false},
	"GangSchedule":                    {apiv1.GangSchedule{}, true},
	"GangScheduleInput":               {apiv1.GangSchedule{}, false},
	"NetworkTopologySpec":             {apiv1.NetworkTopologySpec{}, true},
	"NetworkTopologySpecInput":        {apiv1.NetworkTopologySpec{}, false},
	"Role":                            {apiv1.Role{}, true},
	"RoleInput":                       {apiv1.Role{}, false},
	"RolloutStrategy":                 {apiv1.RolloutStrategy{}, true},
	"RolloutStrategyInput":            {apiv1.RolloutStrategy{}, false},
	"RollingUpdateConfiguration":      {apiv1.RollingUpdateConfiguration{}, true},
	"RollingUpdateConfigurationInput": {apiv1.RollingUpdateConfiguration{}, false},
	"TopologySpreadConstraint":        {apiv1.TopologySpreadConstraint{}, true},
	"TopologySpreadConstraintInput":   {apiv1.TopologySpreadConstraint{}, false},
	"LabelSelector":                   {apiv1.LabelSelector{}, true},
	"LabelSelectorInput":              {apiv1.LabelSelector{}, false},
	"LabelSelectorRequirement":        {apiv1.LabelSelectorRequirement{}, true},
	"LabelSelectorRequirementInput":   {apiv1.LabelSelectorRequirement{}, false},
	"ModelInferStatus":                {apiv1.ModelInferStatus{}, true},
	"MetaCondition":                   {apiv1.MetaCondition{}, true},
	"PodTemplateSpec":                 {apiv1.PodTemplateSpec{}, true},
	"PodTemplateSpecInput":            {apiv1.PodTemplateSpec{}, false},
	"PodMetadata":                     {apiv1.PodMetadata{}, true},
	"PodMetadataInput":                {apiv1.PodMetadata{}, false},
	"PodSpec":                         {apiv1.PodSpec{}, true},
	"PodSpecInput":                    {apiv1.PodSpec{}, false},
	"Container":                       {apiv1.Container{}, true},
	"ContainerInput":                  {apiv1.Container{}, false},
	"EnvVar":                          {apiv1.EnvVar{}, true},
	"EnvVarInput":                     {apiv1.EnvVar{}, false},
	"ResourceRequirements":            {apiv1.ResourceRequirements{}, true},
	"ResourceRequirementsInput":       {apiv1.ResourceRequirements{}, false},
	"ContainerPort":                   {apiv1.ContainerPort{}, true},
	"ContainerPortInput":              {apiv1.ContainerPort{}, false},
	"Probe":                           {apiv1.Probe{}, true},
	"ProbeInput":                      {apiv1.Probe{}, false},
	"HTTPGetAction":                   {apiv1.HTTPGetAction{}, true},
	"HTTPGetActionInput":              {apiv1.HTTPGetAction{}, false},
	"VolumeMount":                     {apiv1.VolumeMount{}, true},
	"VolumeMountInput":                {apiv1.VolumeMount{}, false},
	"Volume":                          {apiv1.Volume{}, true},
	"VolumeInput":                     {apiv1.Volume{}, false},
	"EmptyDirVolumeSource":            {apiv1.EmptyDirVolumeSource{}, true},
	"EmptyDirVolumeSourceInput":       {apiv1.EmptyDirVolumeSource{}, false},
	"HostPathVolumeSource":            {apiv1.HostPathVolumeSource{}, true},
	"HostPathVolumeSourceInput":       {apiv1.HostPathVolumeSource{}, false},
}

// enums maps each enum schema to the api/v1 constants it must list.
var enums = map[string][]string{
	"Phase": {apiv1.PhasePending, apiv1.PhaseRunning, apiv1.PhaseSucceeded, apiv1.PhaseFailed,
		apiv1.PhaseStopped, apiv1.PhaseUpdating, apiv1.PhaseNotReady, apiv1.PhasePaused},
	"Kind": {apiv1.KindPyTorchJob, apiv1.KindDeployment, apiv1.KindStatefulSet, apiv1.KindAuthoring,
		apiv1.KindAutoscalingRunnerSet},
	"QueuePolicy": {apiv1.QueuePolicyFIFO, apiv1.QueuePolicyBalance},
	"SecretType":  {apiv1.SecretTypeImage, apiv1.SecretTypeGeneral, apiv1.SecretTypeSSH},
	"OpsJobType": {apiv1.OpsJobAddon, apiv1.OpsJobPreflight, apiv1.OpsJobDumpLog, apiv1.OpsJobReboot,
		apiv1.OpsJobExportImage},
	"OpsJobPhase": {apiv1.OpsJobPending, apiv1.OpsJobRunning, apiv1.OpsJobSucceeded, apiv1.OpsJobFailed},

	"RecoveryPolicy":      {apiv1.RecoveryInferGroupRecreate, apiv1.RecoveryRoleRecreate, apiv1.RecoveryNone},
	"WhenUnsatisfiable":   {apiv1.DoNotSchedule, apiv1.ScheduleAnyway},
	"NetworkTopologyMode": {apiv1.NetworkTopologyHard, apiv1.NetworkTopologySoft},
}

// field is what a struct field puts on the wire.
type field struct {
	name      string
	typ       reflect.Type
	omitEmpty bool // left out when empty (omitempty) or zero (omitzero)
}

// fields lists the JSON fields of a struct, those of embedded structs included.
func fields(t reflect.Type) []field {
	var out []field
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case name == "-" || !f.IsExported():
		case f.Anonymous && name == "":
			out = append(out, fields(f.Type)...)
		default:
			if name == "" {
				name = f.Name
			}
			omitted := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			out = append(out, field{name: name, typ: f.Type, omitEmpty: omitted})
		}
	}
	return out
}

// TestSchemasMatchWireTypes: every object schema names exactly the JSON fields of its
// api/v1 type, with JSON types that fit, null allowed where a nil pointer is written,
// and, for responses, every field always written required and no other property allowed.
func TestSchemasMatchWireTypes(t *testing.T) {
	t.Parallel()
	doc := load(t)
	for name, ref := range doc.Components.Schemas {
		_, mapped := wire[name]
		if len(ref.Value.Properties) > 0 && !mapped {
			t.Errorf("schema %s has no row in the table of wire types", name)
		}
	}
	for name, w := range wire {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("the document has no schema %s", name)
			continue
		}
		checkSchema(t, name, ref.Value, reflect.TypeOf(w.typ), w.response)
	}
}

func checkSchema(t *testing.T, name string, s *openapi3.Schema, typ reflect.Type, response bool) {
	t.Helper()
	var names, required []string
	for _, f := range fields(typ) {
		names = append(names, f.name)
		if !f.omitEmpty {
			required = append(required, f.name)
		}
		prop := s.Properties[f.name]
		if prop == nil {
			continue
		}
		for _, want := range jsonTypes(f.typ) {
			if !allows(prop.Value, want) {
				t.Errorf("%s.%s: the schema does not allow a JSON %s (Go %s)", name, f.name, want, f.typ)
			}
		}
		if f.typ.Kind() == reflect.Pointer && !f.omitEmpty && !allows(prop.Value, "null") {
			t.Errorf("%s.%s: a nil %s is written as null, which the schema refuses", name, f.name, f.typ)
		}
	}
	slices.Sort(names)
	if diff := cmp.Diff(names, slices.Sorted(maps.Keys(s.Properties))); diff != "" {
		t.Errorf("%s: properties differ from the JSON fields of %s (-Go +schema):\n%s", name, typ, diff)
	}
	if !response {
		return
	}
	slices.Sort(required)
	if diff := cmp.Diff(required, slices.Sorted(slices.Values(s.Required))); diff != "" {
		t.Errorf("%s: required differs from the fields %s always writes (-Go +schema):\n%s", name, typ, diff)
	}
	if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
		t.Errorf("%s: a response schema must set additionalProperties: false", name)
	}
}

// selfEncoded lists the JSON types api/v1 types that encode themselves may write.
var selfEncoded = map[reflect.Type][]string{
	reflect.TypeFor[apiv1.IntOrString](): {"integer", "string"},
}

// jsonTypes are the JSON types a value of a Go type may be written as (null aside).
func jsonTypes(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if types, ok := selfEncoded[t]; ok {
		return types
	}
	return []string{jsonType(t)}
}

// jsonType is the JSON type encoding/json writes for a Go type (null aside).
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonType(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	}
	return "any"
}

// allows reports whether a schema admits values of a JSON type.
func allows(s *openapi3.Schema, typ string) bool {
	if s.Type != nil {
		return s.Type.Includes(typ) || (typ == "integer" && s.Type.Includes("number"))
	}
	alts := append(slices.Clone(s.OneOf), s.AnyOf...)
	if len(alts) == 0 {
		return typ != "null"
	}
	return slices.ContainsFunc(alts, func(r *openapi3.SchemaRef) bool { return allows(r.Value, typ) })
}

// TestEnumsMatchConstants: each enum schema lists exactly the api/v1 constants.
func TestEnumsMatchConstants(t *testing.T) {
	t.Parallel()
	doc := load(t)
	for name, want := range enums {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("the document has no schema %s", name)
			continue
		}
		var got []string
		for _, v := range ref.Value.Enum {
			s, _ := v.(string)
			got = append(got, s)
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))); diff != "" {
			t.Errorf("enum %s differs from the api/v1 constants (-Go +schema):\n%s", name, diff)
		}
	}
}
