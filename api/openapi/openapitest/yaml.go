package openapitest

import "github.com/getkin/kin-openapi/openapi3filter"

// The server reads a body sent as text/yaml as YAML, as it does application/yaml and
// application/x-yaml, the two YAML types kin-openapi decodes on its own: the document
// names all three where an operation takes YAML, so the checker decodes all three.
func init() {
	openapi3filter.RegisterBodyDecoder("text/yaml", openapi3filter.YamlBodyDecoder)
}
