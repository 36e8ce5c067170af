package process

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/runtime"
)

// GPUUtilization is the utilization of the busiest NVIDIA GPU the dispatch's pods
// hold (CUDA_VISIBLE_DEVICES of their env), as nvidia-smi reports it now:
// runtime.ErrUnsupported where they hold none or nvidia-smi does not answer (AMD's
// GPUs are not read).
func (r *Runtime) GPUUtilization(ctx context.Context, ref runtime.Ref) (float64, error) {
	held, err := r.heldGPUs(ref)
	if err != nil {
		return 0, err
	}
	if len(held) == 0 {
		return 0, fmt.Errorf("%w: the pods hold no NVIDIA GPU", runtime.ErrUnsupported)
	}
	out, ok := probe("nvidia-smi", "--query-gpu=index,utilization.gpu", "--format=csv,noheader,nounits")
	if !ok {
		return 0, fmt.Errorf("%w: nvidia-smi did not answer", runtime.ErrUnsupported)
	}
	util := parseUtilization(out)
	busiest := 0.0
	for _, g := range held {
		busiest = max(busiest, util[g])
	}
	return busiest, nil
}

// heldGPUs are the NVIDIA GPU indices the pods of the dispatch were given.
func (r *Runtime) heldGPUs(ref runtime.Ref) ([]int, error) {
	if validName(ref.WorkloadID) != nil || ref.Dispatch < 1 {
		return nil, runtime.ErrNotFound
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	dirs, err := podDirs(r.dispatchDir(ref.WorkloadID, ref.Dispatch))
	if err != nil {
		return nil, err
	}
	specs, err := readSpecs(dirs)
	if err != nil {
		return nil, err
	}
	var held []int
	for _, spec := range specs {
		for id := range strings.SplitSeq(spec.Env[visibleDevicesVar("nvidia")], ",") {
			if g, err := strconv.Atoi(strings.TrimSpace(id)); err == nil {
				held = append(held, g)
			}
		}
	}
	return held, nil
}

// parseUtilization reads `nvidia-smi --query-gpu=index,utilization.gpu
// --format=csv,noheader,nounits`: a line "<index>, <percent>" per GPU ("[N/A]" where
// the driver does not tell, read as 0).
func parseUtilization(out []byte) map[int]float64 {
	util := map[int]float64{}
	for line := range bytes.Lines(out) {
		index, percent, ok := strings.Cut(strings.TrimSpace(string(line)), ",")
		g, err := strconv.Atoi(strings.TrimSpace(index))
		if !ok || err != nil {
			continue
		}
		p, err := strconv.ParseFloat(strings.TrimSpace(percent), 64)
		if err != nil {
			p = 0
		}
		util[g] = p
	}
	return util
}
