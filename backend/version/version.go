// Package version holds the one version string of a build, read from the
// VERSION file beside this source (scripts and installers read it too).
package version

import (
	_ "embed"
	"strings"
)

//go:embed VERSION
var raw string

// Version of this build.
var Version = strings.TrimSpace(raw)
