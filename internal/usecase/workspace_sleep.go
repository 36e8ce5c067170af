package usecase

import (
	"regexp"

	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/workload"
)

// storageClassRe is a Kubernetes object name (a DNS subdomain), as a storage class's.
var storageClassRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// checkSleep checks a workspace's settings for its dev machines: how long one may be
// idle before it is paused, and the storage class and size of their homes ("" for
// the defaults).
func checkSleep(fe *workload.FieldErrors, cullIdleAfter int, class, size string) {
	if cullIdleAfter < 0 {
		*fe = append(*fe, workload.FieldError{Field: "cullIdleAfterSeconds",
			Rule: "must be 0 (never cull) or a number of seconds above 0"})
	}
	if class != "" && !storageClassRe.MatchString(class) {
		*fe = append(*fe, workload.FieldError{Field: "homeStorageClass",
			Rule: "must be the name of a storage class: lower-case letters, digits, '-' and '.'"})
	}
	if size == "" {
		return
	}
	if v, err := resource.ParseValue(size); err != nil || v <= 0 {
		*fe = append(*fe, workload.FieldError{Field: "homeSize", Rule: "must be a quantity of bytes above 0, such as 50Gi"})
	}
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
