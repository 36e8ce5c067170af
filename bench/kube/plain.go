package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

const (
	plainNamespace = "bench-plain"
	gangLabel      = "bench.berth.io/gang"
)

// Per-pod requests in both phases: a CPU and a GiB, so that both phases' pods fit at
// once whatever the gang sizes (1,000 nodes hold 128,000 of them).
const podCPU, podMemory = "1", "1Gi"

// runPlain creates every gang's pods for kube-scheduler to place, measures, and
// deletes them again.
func runPlain(ctx context.Context, tb *testbed, sizes []int, concurrency int) (*phase, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: plainNamespace}}
	if _, err := tb.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	if err := waitServiceAccount(ctx, tb); err != nil {
		return nil, err
	}
	w, err := watch(ctx, tb.client, gangLabel)
	if err != nil {
		return nil, err
	}
	want := map[string]int{}
	submitted := make([]time.Time, len(sizes))
	for i, n := range sizes {
		want[strconv.Itoa(i)] = n
	}
	fmt.Fprintf(os.Stderr, "kube-scheduler: creating %d pods in %d gangs\n", sum(sizes), len(sizes))
	err = parallel(ctx, len(sizes), concurrency, func(i int) error {
		submitted[i] = time.Now()
		for rank := range sizes[i] {
			if _, err := tb.client.CoreV1().Pods(plainNamespace).Create(ctx, plainPod(i, rank), metav1.CreateOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p, err := w.wait(ctx, want, byGang(submitted))
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "kube-scheduler: every pod Running; deleting them")
	return p, deletePlain(ctx, tb)
}

func byGang(submitted []time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for i, t := range submitted {
		out[strconv.Itoa(i)] = t
	}
	return out
}

func plainPod(gang, rank int) *corev1.Pod {
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(podCPU), corev1.ResourceMemory: resource.MustParse(podMemory)}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("gang-%d-%d", gang, rank),
			Labels: map[string]string{gangLabel: strconv.Itoa(gang)}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "busybox",
			Resources: corev1.ResourceRequirements{Requests: res, Limits: res}}}},
	}
}

// waitServiceAccount waits for the namespace's default service account, without
// which pods are refused.
func waitServiceAccount(ctx context.Context, tb *testbed) error {
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := tb.client.CoreV1().ServiceAccounts(plainNamespace).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
}

// deletePlain deletes the phase's pods and waits until they are gone.
func deletePlain(ctx context.Context, tb *testbed) error {
	zero := int64(0)
	pods := tb.client.CoreV1().Pods(plainNamespace)
	err := pods.DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{LabelSelector: gangLabel})
	if err != nil {
		return err
	}
	return wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: gangLabel, Limit: 1})
		return err == nil && len(list.Items) == 0, nil
	})
}

// parallel runs do(0..n-1) on concurrency goroutines and returns the first error.
func parallel(ctx context.Context, n, concurrency int, do func(int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				if err := do(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
