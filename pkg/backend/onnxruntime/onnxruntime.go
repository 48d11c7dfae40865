// Package onnxruntime installs and locates the ONNX Runtime shared library
// that the course pins, so that GoMLX's ONNX Runtime backend
// (github.com/gomlx/compute-onnx) finds the same library on every machine.
// It sits below pkg/backend, which installs the library on first use, so
// that no course package imports a tool's part (see internal/layers);
// klcourse setup and the grader use it from above.
//
// The library is installed under the course home (see pkg/course.Home) as
//
//	<home>/onnxruntime/<Version>/libonnxruntime.so.<Version>   (Linux)
//	<home>/onnxruntime/<Version>/libonnxruntime.<Version>.dylib (macOS)
//
// next to a manifest.json that records where it came from and its SHA-256.
//
// Two sources carry the same release, and Install tries them in this order:
//
//  1. the official release archive on GitHub, the place compute-onnx's own
//     installer downloads from (github.com/microsoft/onnxruntime/releases);
//  2. the npm package onnxruntime-node, which ships the library of the same
//     release, for machines that reach a package registry but not GitHub.
//
// Every archive is checked against a size and SHA-256 pinned in this file
// before anything is extracted from it. The SHA-256 of the official archives
// could not be computed here (GitHub is unreachable from the machine this was
// written on); they were cross-checked against the same pins in more than ten
// independent public build scripts, Dockerfiles and manifests. The npm
// archives were downloaded from registry.npmjs.org, their SHA-512 matched the
// registry's published "integrity" field, and both the archive and the
// library inside were hashed with sha256sum.
package onnxruntime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Version is the ONNX Runtime release the course pins. GoMLX's compute-onnx
// v0.1.5 was tested with it.
const Version = "1.30.0"

// A Source is one archive that carries the pinned library.
type Source struct {
	Name   string // where it comes from, for messages
	URL    string
	Size   int64  // size of the archive in bytes
	SHA256 string // of the archive, lower-case hex
	// Member is the path of the library inside the archive.
	Member string
	// MemberSHA256 is the SHA-256 of the library itself, or "" when only the
	// archive's hash is pinned (the archive's hash covers its members).
	MemberSHA256 string
}

const (
	githubRelease = "https://github.com/microsoft/onnxruntime/releases/download/v" + Version + "/"
	npmTarball    = "https://registry.npmjs.org/onnxruntime-node/-/onnxruntime-node-" + Version + ".tgz"
	// npm's archive is the same file for every platform: it carries them all.
	npmSize   = 113507888
	npmSHA256 = "6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"
	npmName   = "npm registry (onnxruntime-node@" + Version + ")"
	ghName    = "GitHub release (microsoft/onnxruntime v" + Version + ")"
)

// Sources returns the archives that carry the library for goos/goarch, in
// the order Install tries them, or nil when the course pins no build for the
// platform.
func Sources(goos, goarch string) []Source {
	switch goos + "/" + goarch {
	case "linux/amd64":
		return []Source{{
			Name:   ghName,
			URL:    githubRelease + "onnxruntime-linux-x64-" + Version + ".tgz",
			Size:   11306877,
			SHA256: "a5ed5a3cac51fbb2e90da632ae43d19212faaa20e76484e62bcb7c23ddb3b3fd",
			Member: "onnxruntime-linux-x64-" + Version + "/lib/libonnxruntime.so." + Version,
		}, {
			Name:         npmName,
			URL:          npmTarball,
			Size:         npmSize,
			SHA256:       npmSHA256,
			Member:       "package/bin/napi-v6/linux/x64/libonnxruntime.so.1",
			MemberSHA256: "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23",
		}}
	case "linux/arm64":
		return []Source{{
			Name:   ghName,
			URL:    githubRelease + "onnxruntime-linux-aarch64-" + Version + ".tgz",
			Size:   10269495,
			SHA256: "e16a27a8ed330bbc698df7330b0cf56e722f354e3bcc92118682c74ef3c3e3da",
			Member: "onnxruntime-linux-aarch64-" + Version + "/lib/libonnxruntime.so." + Version,
		}, {
			Name:         npmName,
			URL:          npmTarball,
			Size:         npmSize,
			SHA256:       npmSHA256,
			Member:       "package/bin/napi-v6/linux/arm64/libonnxruntime.so.1",
			MemberSHA256: "1f549d46250b005580b597f4164984aaf75b3bcb9f3aeb07c7f8a8fe60b23c76",
		}}
	case "darwin/arm64":
		return []Source{{
			Name:   ghName,
			URL:    githubRelease + "onnxruntime-osx-arm64-" + Version + ".tgz",
			Size:   42373116,
			SHA256: "6ebb5062a934537c352937821f9fe9718e7de1a2db1122a93dd363ffd53a7012",
			Member: "onnxruntime-osx-arm64-" + Version + "/lib/libonnxruntime." + Version + ".dylib",
		}, {
			Name:         npmName,
			URL:          npmTarball,
			Size:         npmSize,
			SHA256:       npmSHA256,
			Member:       "package/bin/napi-v6/darwin/arm64/libonnxruntime." + Version + ".dylib",
			MemberSHA256: "685d2be5dba1309c89d3a5324b7fd06a5c42f1a61bfea32d14c4cc28d072121d",
		}}
	}
	return nil
}

// Dir is the directory under the course home that holds the pinned library.
func Dir(home string) string {
	return filepath.Join(home, "onnxruntime", Version)
}

// LibraryPath is where the library is installed under the course home.
func LibraryPath(home string) string {
	name := "libonnxruntime.so." + Version
	if runtime.GOOS == "darwin" {
		name = "libonnxruntime." + Version + ".dylib"
	}
	return filepath.Join(Dir(home), name)
}

// manifestName is the file, next to the library, that records its origin.
const manifestName = "manifest.json"

// Manifest records where an installed library came from.
type Manifest struct {
	Version       string `json:"version"`
	Source        string `json:"source"`
	URL           string `json:"url"`
	ArchiveSHA256 string `json:"archive_sha256"`
	Member        string `json:"member"`
	Size          int64  `json:"size"`
	SHA256        string `json:"sha256"` // of the installed library
}

// Check verifies the library installed under home: it exists, its manifest
// names the pinned version, and its size and SHA-256 match the manifest. It
// returns the library's path and its manifest.
func Check(home string) (string, Manifest, error) {
	path := LibraryPath(home)
	var m Manifest
	data, err := os.ReadFile(filepath.Join(Dir(home), manifestName))
	if err != nil {
		if _, statErr := os.Stat(path); statErr != nil {
			return "", m, fmt.Errorf("ONNX Runtime %s is not installed: %s does not exist", Version, path)
		}
		return "", m, fmt.Errorf("ONNX Runtime at %s has no manifest: %w", path, err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", m, fmt.Errorf("%s: %w", filepath.Join(Dir(home), manifestName), err)
	}
	if m.Version != Version {
		return "", m, fmt.Errorf("%s: manifest names ONNX Runtime %q, want %q", Dir(home), m.Version, Version)
	}
	size, sum, err := fileSHA256(path)
	if err != nil {
		return "", m, err
	}
	if size != m.Size || sum != m.SHA256 {
		return "", m, fmt.Errorf("%s is damaged: %d bytes with SHA-256 %s, the manifest says %d bytes with SHA-256 %s",
			path, size, sum, m.Size, m.SHA256)
	}
	return path, m, nil
}
