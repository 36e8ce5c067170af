package process

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

// source is this package's source, and its image package's: what a shim and the
// server that starts it must agree on (spec.json, status.json, the pod directory, the
// shim's arguments) is all written there.
//
//go:embed *.go image/*.go
var source embed.FS

// ShimFingerprint identifies the runtime's source this binary was built from: a
// binary that runs pods for a server (`berth-shim`, cmd/berth-shim) must have the
// server's. Started as `<binary> shim-fingerprint`, ShimOrRun prints it.
var ShimFingerprint = sync.OnceValue(func() string {
	h := sha256.New()
	_ = fs.WalkDir(source, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := source.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path + "\x00"))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
})
