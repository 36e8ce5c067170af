package auth

import (
	"crypto/md5"
	"encoding/hex"
)

// NewUserID returns the stable id of the user with the given name: the hex MD5 of
// the name, as the reference computes it, so "root" is
// 63a9f0ea7bb98050796b649e85481845. MD5 maps names to ids here; it guards nothing.
func NewUserID(name string) string {
	sum := md5.Sum([]byte(name))
	return hex.EncodeToString(sum[:])
}
