package workload

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// Limits of a ModelInfer (seed 004).
const (
	// RolesMin and RolesMax bound spec.template.roles.
	RolesMin = 1
	RolesMax = 4
	// RoleNameMaxLen bounds a role's name.
	RoleNameMaxLen = 12
	// SchedulerNameBerth is the only scheduler of a ModelInfer: Berth's planner.
	SchedulerNameBerth = "berth"
)

var roleNameRe = regexp.MustCompile(`^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`)

// Rules of ModelInfer fields.
const (
	ruleRoleName = "must match ^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$ and be at most 12 characters long"
	ruleIntOrPct = "must be a number of groups (0 or more) or a percentage such as 25%"
)

// ValidateModelInfer checks a ModelInfer, after ApplyModelInferDefaults, for every
// problem that needs no other object. It returns nil when there is none.
func ValidateModelInfer(m *apiv1.ModelInfer) FieldErrors {
	var errs FieldErrors
	if m.APIVersion != apiv1.ModelInferAPIVersion {
		errs.add("apiVersion", "must be "+apiv1.ModelInferAPIVersion+", not "+quoteValue(m.APIVersion))
	}
	if m.Kind != apiv1.KindModelInfer {
		errs.add("kind", "must be "+apiv1.KindModelInfer+", not "+quoteValue(m.Kind))
	}
	switch {
	case m.Metadata.Name == "":
		errs.add("metadata.name", ruleRequired+"; it "+ruleDisplayName)
	case !displayNameRe.MatchString(m.Metadata.Name):
		errs.add("metadata.name", ruleDisplayName)
	}
	if m.Metadata.Namespace == "" {
		errs.add("metadata.namespace", ruleRequired+": the workspace (or give ?workspaceId=)")
	}
	for _, k := range slices.Sorted(maps.Keys(m.Metadata.Labels)) {
		if !validLabelKey(k) {
			errs.add("metadata.labels["+shownKey(k)+"]", ruleLabelKey)
		}
	}
	validateInferSpec(&errs, &m.Spec)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func validateInferSpec(errs *FieldErrors, s *apiv1.ModelInferSpec) {
	replicas := deref(s.Replicas)
	if replicas < 0 {
		errs.add("spec.replicas", ruleNotNegative)
	}
	if n := s.SchedulerName; n != "" && n != SchedulerNameBerth {
		errs.add("spec.schedulerName", "must be empty or "+SchedulerNameBerth+": Berth's planner places every group, not "+quoteValue(n))
	}
	switch s.RecoveryPolicy {
	case apiv1.RecoveryInferGroupRecreate, apiv1.RecoveryRoleRecreate, apiv1.RecoveryNone:
	default:
		errs.add("spec.recoveryPolicy", "must be one of InferGroupRecreate, RoleRecreate, None, not "+quoteValue(s.RecoveryPolicy))
	}
	roles := validateGroup(errs, &s.Template)
	validateInferRollout(errs, s.RolloutStrategy, replicas)
	validateGang(errs, s.Template.GangSchedule, roles)
	for i, c := range s.TopologySpreadConstraints {
		validateSpread(errs, fmt.Sprintf("spec.topologySpreadConstraints[%d]", i), c)
	}
}

// validateGroup checks the group template and returns its roles' replicas by name.
func validateGroup(errs *FieldErrors, g *apiv1.InferGroup) map[string]int {
	if p := g.RestartGracePeriodSeconds; p != nil && *p < 0 {
		errs.add("spec.template.restartGracePeriodSeconds", ruleNotNegative)
	}
	if n := len(g.Roles); n < RolesMin || n > RolesMax {
		errs.add("spec.template.roles", fmt.Sprintf("must have %d to %d roles, not %d", RolesMin, RolesMax, n))
	}
	roles := map[string]int{}
	for i := range g.Roles {
		r := &g.Roles[i]
		at := fmt.Sprintf("spec.template.roles[%d]", i)
		_, taken := roles[r.Name]
		switch {
		case len(r.Name) > RoleNameMaxLen || !roleNameRe.MatchString(r.Name):
			errs.add(at+".name", ruleRoleName)
		case taken:
			errs.add(at+".name", fmt.Sprintf("must be unique within the group; %q is taken", r.Name))
		}
		roles[r.Name] = deref(r.Replicas)
		if deref(r.Replicas) < 0 {
			errs.add(at+".replicas", ruleNotNegative)
		}
		if r.WorkerReplicas < 0 {
			errs.add(at+".workerReplicas", ruleNotNegative)
		}
		validatePodTemplate(errs, at+".entryTemplate", &r.EntryTemplate)
		switch {
		case r.WorkerTemplate != nil:
			validatePodTemplate(errs, at+".workerTemplate", r.WorkerTemplate)
		case r.WorkerReplicas > 0:
			errs.add(at+".workerTemplate", ruleRequired+" when workerReplicas is greater than 0")
		}
	}
	return roles
}

func validateInferRollout(errs *FieldErrors, rs *apiv1.RolloutStrategy, replicas int) {
	if rs == nil {
		return
	}
	if rs.Type != apiv1.RolloutInferGroupRollingUpdate {
		errs.add("spec.rolloutStrategy.type", "must be "+apiv1.RolloutInferGroupRollingUpdate+", the only strategy, not "+quoteValue(rs.Type))
	}
	ru := rs.RollingUpdateConfiguration
	if ru == nil {
		return
	}
	const at = "spec.rolloutStrategy.rollingUpdateConfiguration"
	unavailable, okU := intOrPercent(errs, at+".maxUnavailable", ru.MaxUnavailable)
	surge, okS := intOrPercent(errs, at+".maxSurge", ru.MaxSurge)
	if okU && okS && unavailable && surge {
		errs.add(at+".maxUnavailable", "must not be 0 when maxSurge is 0: the rollout could never replace a group")
	}
	if p := ru.Partition; p != nil && (*p < 0 || *p > replicas) {
		errs.add(at+".partition", fmt.Sprintf("must be between 0 and spec.replicas (%d), not %d", replicas, *p))
	}
}

// intOrPercent checks a count of groups or a percentage; zero reports whether it is 0
// (or 0%), ok whether it is valid.
func intOrPercent(errs *FieldErrors, field string, v *apiv1.IntOrString) (zero, ok bool) {
	if v == nil {
		return false, false
	}
	n, err := ParseIntOrPercent(*v)
	if err != nil {
		errs.add(field, ruleIntOrPct+", not "+quoteValue(v.String()))
		return false, false
	}
	return n == 0, true
}

// ParseIntOrPercent returns a count (for a number) or a percentage (for "N%"); an
// error when it is neither or below zero.
func ParseIntOrPercent(v apiv1.IntOrString) (int, error) {
	s, isPct := v.StrVal, false
	if v.IsString {
		s, isPct = strings.CutSuffix(v.StrVal, "%")
		if !isPct {
			return 0, fmt.Errorf("%q has no %%", v.StrVal)
		}
	}
	n := v.IntVal
	if v.IsString {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			return 0, err
		}
	}
	if n < 0 {
		return 0, fmt.Errorf("%d is negative", n)
	}
	return n, nil
}

func validateGang(errs *FieldErrors, g *apiv1.GangSchedule, roles map[string]int) {
	if g == nil {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(g.MinRoleReplicas)) {
		field := "spec.template.gangSchedule.minRoleReplicas[" + shownKey(k) + "]"
		n, ok := roles[k]
		v := g.MinRoleReplicas[k]
		switch {
		case !ok:
			errs.add(field, "must name a role of spec.template.roles")
		case v < 0 || v > n:
			errs.add(field, fmt.Sprintf("must be between 0 and the role's replicas (%d), not %d", n, v))
		}
	}
	if nt := g.NetworkTopology; nt != nil {
		if nt.Mode != apiv1.NetworkTopologyHard && nt.Mode != apiv1.NetworkTopologySoft {
			errs.add("spec.template.gangSchedule.networkTopology.mode", "must be hard or soft, not "+quoteValue(nt.Mode))
		}
		if t := nt.HighestTierAllowed; t != nil && *t < 1 {
			errs.add("spec.template.gangSchedule.networkTopology.highestTierAllowed", "must be 1 or more")
		}
	}
}

func validateSpread(errs *FieldErrors, at string, c apiv1.TopologySpreadConstraint) {
	if c.MaxSkew < 1 {
		errs.add(at+".maxSkew", "must be 1 or more")
	}
	if c.TopologyKey == "" {
		errs.add(at+".topologyKey", ruleRequired+": a node label key")
	} else if !validLabelKey(c.TopologyKey) {
		errs.add(at+".topologyKey", ruleLabelKey)
	}
	if c.WhenUnsatisfiable != apiv1.DoNotSchedule && c.WhenUnsatisfiable != apiv1.ScheduleAnyway {
		errs.add(at+".whenUnsatisfiable", "must be DoNotSchedule or ScheduleAnyway, not "+quoteValue(c.WhenUnsatisfiable))
	}
	if c.LabelSelector == nil {
		return
	}
	for i, e := range c.LabelSelector.MatchExpressions {
		switch e.Operator {
		case "In", "NotIn", "Exists", "DoesNotExist":
		default:
			errs.add(fmt.Sprintf("%s.labelSelector.matchExpressions[%d].operator", at, i), "must be In, NotIn, Exists or DoesNotExist")
		}
	}
}
