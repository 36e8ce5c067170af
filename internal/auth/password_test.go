package auth

import (
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	t.Parallel()
	hash, err := HashPassword("s3cret pass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$2") || strings.Contains(hash, "s3cret") {
		t.Errorf("hash %q is not a bcrypt hash", hash)
	}
	again, _ := HashPassword("s3cret pass")
	if again == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tt := range []struct {
		hash, pw string
		want     bool
	}{
		{hash, "s3cret pass", true},
		{again, "s3cret pass", true},
		{hash, "s3cret pas", false},
		{hash, "", false},
		{"", "", false},
		{"", "s3cret pass", false},
		{"not a hash", "s3cret pass", false},
	} {
		if got := CheckPassword(tt.hash, tt.pw); got != tt.want {
			t.Errorf("CheckPassword(%q, %q) = %v, want %v", tt.hash, tt.pw, got, tt.want)
		}
	}
	if _, err := HashPassword(strings.Repeat("x", 73)); err == nil {
		t.Error("HashPassword accepted a 73-byte password")
	}
}
