// Package version holds the one version string of a build. Release builds
// stamp it with -ldflags "-X grantbook/backend/version.Version=...".
package version

// Version of this build.
var Version = "0.1.0"
