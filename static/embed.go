// Package static holds the templates and assets, embedded in the binary so
// that a server on a network without internet access needs nothing else.
package static

import "embed"

// Templates holds the html/template files.
//
//go:embed templates/*.html
var Templates embed.FS

// Assets holds the files served under /static/.
//
//go:embed assets
var Assets embed.FS
