#!/usr/bin/env bash
# Fetches axe.min.js and its licence (MPL-2.0) from the pinned npm package
# axe-core; the accessibility tests (server/a11y_test.go) run it in
# Chromium. To move to a newer axe-core, change the version and check
# that the tests still pass.
set -euo pipefail
version=4.14.1
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "axe-core@$version" >/dev/null && tar xzf "axe-core-$version.tgz")
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$here/"
sha256sum "$here/axe.min.js"
