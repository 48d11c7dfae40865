//go:build cgo && !noxla && ((linux && (amd64 || arm64)) || (darwin && arm64))

package backend

import (
	// The XLA backend (PJRT plugins), and its installer for an explicit
	// GOMLX_BACKEND=xla:... on a machine that lacks the plugin.
	_ "github.com/gomlx/go-xla/compute/xla"
	_ "github.com/gomlx/go-xla/compute/xla/autoinstall"
)

// xlaLinked reports that this build contains the XLA backend.
const xlaLinked = true
