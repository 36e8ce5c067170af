package workload

import (
	"crypto/rand"
	"math/big"
	"strings"
	"unicode/utf8"
)

const (
	// idAlphabet has no vowels (no words by chance) and no 0/1/3 (no confusion with o/l/e).
	idAlphabet = "bcdfghjklmnpqrstvwxz2456789"
	// idRandomLen random characters follow the display name.
	idRandomLen = 5
	// idBaseMaxLen keeps the whole ID within 63 characters, a DNS label.
	idBaseMaxLen = 63 - 1 - idRandomLen
)

// NewID generates a workload ID: the display name (cut to 57 bytes) + "-" + 5 random
// characters, lower-cased, with "_" turned into "-" and surrounding blanks removed.
func NewID(displayName string) string {
	base := displayName
	if len(base) > idBaseMaxLen {
		base = base[:idBaseMaxLen]
		for !utf8.ValidString(base) && base != "" {
			base = base[:len(base)-1]
		}
	}
	id := strings.ToLower(base + "-" + randomString(idRandomLen))
	id = strings.ReplaceAll(id, "_", "-")
	id = strings.NewReplacer("\r", "", "\n", "").Replace(id)
	return strings.TrimSpace(id)
}

func randomString(n int) string {
	max := big.NewInt(int64(len(idAlphabet)))
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			// crypto/rand does not fail on supported platforms (it panics itself if it
			// cannot read); keep the signature free of an error nobody can handle.
			panic("workload: crypto/rand: " + err.Error())
		}
		b[i] = idAlphabet[k.Int64()]
	}
	return string(b)
}
