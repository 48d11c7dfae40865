//go:build !cgo || noxla || !((linux && (amd64 || arm64)) || (darwin && arm64))

package backend

// xlaLinked reports that this build contains the XLA backend: go-xla loads
// PJRT plugins with dlopen, which needs cgo, and exists for these platforms only.
const xlaLinked = false
