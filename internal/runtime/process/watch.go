package process

import (
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// liveCheckInterval is how often the watcher checks that the shims of the pods it
// watches still run: a shim killed outright (SIGKILL) writes no last status.
const liveCheckInterval = time.Second

// watcher signals changes of the pods the runtime knows to be live. A shim records
// every change in its pod directory's status.json, which inotify reports at once; a
// ticker catches shims that die without a word. It runs only while there is a pod to
// watch.
type watcher struct {
	// changed is told of a change of the pod in a directory; lost, that changes
	// were missed.
	changed func(dir string)
	lost    func()
	mu      sync.Mutex
	pods    map[string]procID // shim by pod directory
	fs      *fsnotify.Watcher
	running bool
}

// add watches the pod in dir, run by shim.
func (w *watcher) add(dir string, shim procID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pods == nil {
		w.pods = map[string]procID{}
	}
	if old, ok := w.pods[dir]; ok && old == shim {
		return
	}
	w.pods[dir] = shim
	if !w.running {
		fs, err := fsnotify.NewWatcher()
		if err != nil {
			fs = nil // the ticker alone still notices every change, later
		}
		w.fs, w.running = fs, true
		go w.loop(fs)
	}
	if w.fs != nil {
		_ = w.fs.Add(dir)
	}
}

// removeUnder forgets the pods under root.
func (w *watcher) removeUnder(root string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for dir := range w.pods {
		if strings.HasPrefix(dir, root+string(filepath.Separator)) {
			w.forget(dir)
		}
	}
}

// remove forgets the pod in dir.
func (w *watcher) remove(dir string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.forget(dir)
}

func (w *watcher) forget(dir string) {
	delete(w.pods, dir)
	if w.fs != nil {
		_ = w.fs.Remove(dir)
	}
}

func (w *watcher) loop(fs *fsnotify.Watcher) {
	t := time.NewTicker(liveCheckInterval)
	defer t.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if fs != nil {
		defer fs.Close()
		events, errs = fs.Events, fs.Errors
	}
	for {
		select {
		case ev := <-events:
			if filepath.Base(ev.Name) == statusFile {
				w.changed(filepath.Dir(ev.Name))
			}
		case <-errs:
			// Events were lost (a full inotify queue): look at everything again.
			w.lost()
		case <-t.C:
			if !w.checkShims() {
				return
			}
		}
	}
}

// checkShims forgets the pods whose shim is gone, signalling a change of each; it
// returns false, having stopped the watcher, when no pod is left.
func (w *watcher) checkShims() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for dir, shim := range w.pods {
		if !shim.alive() {
			w.forget(dir)
			w.changed(dir)
		}
	}
	if len(w.pods) == 0 {
		w.running, w.fs = false, nil
		return false
	}
	return true
}
