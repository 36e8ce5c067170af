package process

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
)

// logLineMax is the longest log line written as one entry; longer lines are split into
// partial ("P") entries, as kubelet does.
const logLineMax = 16 << 10

// logWriter appends lines to a pod's log in the CRI format kubelet writes:
// "<RFC3339Nano time> <stdout|stderr> <F|P> <text>". Each entry is one write, so the
// file is always complete up to the last line.
type logWriter struct {
	mu sync.Mutex
	f  *os.File
}

func (w *logWriter) write(stream string, partial bool, text []byte) {
	tag := " F "
	if partial {
		tag = " P "
	}
	b := make([]byte, 0, len(text)+64)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, ' ')
	b = append(b, stream...)
	b = append(b, tag...)
	b = append(b, text...)
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.f.Write(b)
}

// copyLines writes every line read from r until EOF.
func (w *logWriter) copyLines(r io.Reader, stream string) {
	br := bufio.NewReaderSize(r, logLineMax)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			w.write(stream, true, line)
			continue
		}
		if len(line) > 0 {
			w.write(stream, false, []byte(strings.TrimSuffix(string(line), "\n")))
		}
		if err != nil {
			return
		}
	}
}

// logEntry is one complete line of a pod's log.
type logEntry struct {
	Time time.Time
	Text string
}

// readLog parses a CRI log; partial entries are joined with the entry that ends them.
// Malformed lines are skipped.
func readLog(r io.Reader) ([]logEntry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4*logLineMax)
	var out []logEntry
	partial := map[string]*strings.Builder{}
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 4)
		if len(f) != 4 {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f[0])
		if err != nil {
			continue
		}
		stream, tag, text := f[1], f[2], f[3]
		b := partial[stream]
		if b == nil {
			b = &strings.Builder{}
			partial[stream] = b
		}
		b.WriteString(text)
		if tag == "P" {
			continue
		}
		out = append(out, logEntry{Time: t, Text: b.String()})
		b.Reset()
	}
	return out, sc.Err()
}

// selectLog keeps the entries opts asks for, as text.
func selectLog(entries []logEntry, opts runtime.LogOptions, now time.Time) []string {
	if opts.SinceSeconds > 0 {
		since := now.Add(-time.Duration(opts.SinceSeconds) * time.Second)
		i := 0
		for i < len(entries) && entries[i].Time.Before(since) {
			i++
		}
		entries = entries[i:]
	}
	if opts.TailLines > 0 && len(entries) > opts.TailLines {
		entries = entries[len(entries)-opts.TailLines:]
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Text
	}
	return out
}

// Logs returns the lines the pod wrote in the latest dispatch that has it.
func (r *Runtime) Logs(ctx context.Context, ref runtime.Ref, podID string, opts runtime.LogOptions) ([]string, error) {
	dir, spec, err := r.latestPod(ref.WorkloadID, podID)
	if err != nil {
		return nil, err
	}
	file, ok := containerLog(spec, opts.Container)
	if !ok {
		return nil, runtime.ErrNotFound
	}
	return readPodLog(filepath.Join(dir, file), opts)
}

// DispatchLogs returns every line the pod wrote in one dispatch of the workload, also
// when a later dispatch reused the pod's name.
func (r *Runtime) DispatchLogs(ctx context.Context, ref runtime.Ref, podID string) ([]string, error) {
	if validName(ref.WorkloadID) != nil || validName(podID) != nil || ref.Dispatch < 1 {
		return nil, runtime.ErrNotFound
	}
	dir := filepath.Join(r.dispatchDir(ref.WorkloadID, ref.Dispatch), podID)
	if _, err := readSpec(dir); errors.Is(err, os.ErrNotExist) {
		return nil, runtime.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	return readPodLog(filepath.Join(dir, logFile), runtime.LogOptions{})
}

// readPodLog reads a log of a pod; a container that wrote nothing has none.
func readPodLog(path string, opts runtime.LogOptions) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := readLog(f)
	if err != nil {
		return nil, err
	}
	return selectLog(entries, opts, time.Now()), nil
}

// Containers names the pod's containers as the kube runtime names them: the main
// one, then its sidecars.
func (r *Runtime) Containers(ctx context.Context, ref runtime.Ref, podID string) ([]string, error) {
	_, spec, err := r.latestPod(ref.WorkloadID, podID)
	if err != nil {
		return nil, err
	}
	return containerNames(spec), nil
}

// latestPod finds the pod in the newest dispatch of the workload that has it.
func (r *Runtime) latestPod(workloadID, podID string) (string, podSpec, error) {
	if validName(workloadID) != nil || validName(podID) != nil {
		return "", podSpec{}, runtime.ErrNotFound
	}
	dispatches, err := r.dispatches(workloadID)
	if err != nil {
		return "", podSpec{}, err
	}
	slices.Reverse(dispatches)
	for _, d := range dispatches {
		dir := filepath.Join(r.dispatchDir(workloadID, d), podID)
		spec, err := readSpec(dir)
		if err == nil {
			return dir, spec, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", podSpec{}, err
		}
	}
	return "", podSpec{}, runtime.ErrNotFound
}
