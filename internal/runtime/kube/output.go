package kube

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.OutputReader = (*Runtime)(nil)

// LastOutput reads when the pod's main container last wrote a line: the timestamp
// the kubelet recorded with the last line of its log (pods/log with timestamps).
func (r *Runtime) LastOutput(ctx context.Context, ref runtime.Ref, podID string) (time.Time, error) {
	p, err := r.pod(ref.WorkloadID, podID)
	if err != nil {
		return time.Time{}, err
	}
	if p.Labels[LabelDispatch] != strconv.Itoa(ref.Dispatch) {
		return time.Time{}, runtime.ErrNotFound
	}
	tail := int64(1)
	o := &corev1.PodLogOptions{Container: p.Spec.Containers[0].Name, TailLines: &tail, Timestamps: true}
	raw, err := r.client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, o).DoRaw(ctx)
	switch {
	case apierrors.IsNotFound(err):
		return time.Time{}, runtime.ErrNotFound // deleted since the cache saw it
	case apierrors.IsBadRequest(err):
		return time.Time{}, nil // its container has not started: nothing written yet
	case err != nil:
		return time.Time{}, fmt.Errorf("read the log of pod %s: %w", p.Name, err)
	}
	line := strings.TrimSpace(string(raw))
	if line == "" {
		return time.Time{}, nil
	}
	stamp, _, _ := strings.Cut(line, " ")
	t, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		return time.Time{}, fmt.Errorf("the log of pod %s: a line without a timestamp: %w", p.Name, err)
	}
	return t, nil
}
