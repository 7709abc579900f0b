//go:build proxy || siteauth

package cli_test

import "path/filepath"

// deployDoc holds the proxy configurations the proxy and admin-access tests
// run (proxytest.Snippet finds them by their markers).
var deployDoc = filepath.Join("..", "..", "docs", "deploy.md")
