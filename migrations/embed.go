// Package migrations holds the plain SQL migrations, applied at start by goose.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
