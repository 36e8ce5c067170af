package workload

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEncodeEntryPoint(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"blank", " \t\n", ""},
		{"seed example kept", "cHl0aG9uIHRyYWluLnB5", "cHl0aG9uIHRyYWluLnB5"},
		{"base64 trimmed and kept", "  YmFzaCBydW4uc2gK\n", "YmFzaCBydW4uc2gK"},
		{"plain text encoded", "python train.py", b64("python train.py")},
		{"plain text trimmed", "  bash run.sh  ", b64("bash run.sh")},
		{"date is base64 of bytes that are not text", "date", b64("date")},
		{"test is base64 of bytes that are not text", "test", b64("test")},
		{"echo decodes to a control character", "echo", b64("echo")},
		{"base64 of NULs is not text", "AAAA", b64("AAAA")},
		{"multi-line script", "set -e\ncd /w\npython x.py", b64("set -e\ncd /w\npython x.py")},
		{"base64 split over lines is text", "YmFz\naCBy", b64("YmFz\naCBy")},
		{"non-canonical padding is text", "YR==", b64("YR==")},
		{"base64 of UTF-8 kept", b64("echo héllo ✓"), b64("echo héllo ✓")},
		{"invalid UTF-8 made valid", "echo \xff", b64("echo \uFFFD")},
		{"NUL dropped", "echo a\x00b", b64("echo ab")},
		{"escape kept", "printf '\x1b[31m'", b64("printf '\x1b[31m'")},
	}
	for _, tt := range tests {
		if got := EncodeEntryPoint(tt.in); got != tt.want {
			t.Errorf("%s: EncodeEntryPoint(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestDecodeEntryPoint(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"cHl0aG9uIHRyYWluLnB5", "python train.py"},
		{"YmFzaCBydW4uc2gK", "bash run.sh\n"},
		{"c2xlZXAgaW5maW5pdHk=", "sleep infinity"},
		{"", ""},
		{"python train.py", "python train.py"}, // not base64: shown as stored
		{"abc", "abc"},
	}
	for _, tt := range tests {
		if got := DecodeEntryPoint(tt.in); got != tt.want {
			t.Errorf("DecodeEntryPoint(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzEntryPoint(f *testing.F) {
	for _, s := range []string{
		"", "date", "python train.py", "cHl0aG9uIHRyYWluLnB5", " bash run.sh\n", "AAAA",
		"echo \xff", "a\x00b", "YmFz\naCBy", "YR==", "printf '\x1b'", "\u00a0x\u00a0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, x string) {
		enc := EncodeEntryPoint(x)
		if again := EncodeEntryPoint(enc); again != enc {
			t.Fatalf("not idempotent: Encode(%q) = %q, Encode of that = %q", x, enc, again)
		}
		if _, err := base64.StdEncoding.Strict().DecodeString(enc); err != nil {
			t.Fatalf("Encode(%q) = %q is not base64: %v", x, enc, err)
		}
		if dec := DecodeEntryPoint(enc); !utf8.ValidString(dec) {
			t.Fatalf("Decode(Encode(%q)) = %q is not UTF-8", x, dec)
		}
		plain := strings.TrimSpace(x)
		if isEncodedText(plain) || !isText(plain) {
			return // already encoded, or not text: made text before encoding
		}
		if dec := DecodeEntryPoint(enc); dec != plain {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", x, dec, plain)
		}
	})
}
