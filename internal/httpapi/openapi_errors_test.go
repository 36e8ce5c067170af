package httpapi

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/api/openapi"
)

// documentedCode is a line of the Error schema's list of codes: the code, then its status.
var documentedCode = regexp.MustCompile("(?m)^- `(Berth\\.\\d{5})` [^\\n]*?\\((\\d{3})\\)")

// TestOpenAPIErrorCodes: the document lists every error code with the status
// writeError answers it with, and no other.
func TestOpenAPIErrorCodes(t *testing.T) {
	t.Parallel()
	data, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Description string `json:"description"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]int{}
	desc := doc.Components.Schemas["Error"].Properties["errorCode"].Description
	for _, m := range documentedCode.FindAllStringSubmatch(desc, -1) {
		documented[m[1]], _ = strconv.Atoi(m[2])
	}
	if diff := cmp.Diff(statusOf, documented); diff != "" {
		t.Errorf("the Error schema's codes differ from statusOf (-statusOf +documented):\n%s", diff)
	}
}
