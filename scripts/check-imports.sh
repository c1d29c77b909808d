#!/usr/bin/env bash
# Every module a target imports is one of its direct dependencies in Package.swift (issue 20, point 6).
# `swift build --explicit-target-dependency-import-check error` (scripts/test.sh) only fails on a target that
# is not reachable at all: it accepts any module reachable through the declared dependencies, so FlotillaHost
# importing NIOCore through Hummingbird passes it. This script fails on those too. It reads the manifest with
# `swift package dump-package` (needs jq) and the imports with grep; a product counts as the module of the same
# name, which holds for every product the package uses.
set -euo pipefail
cd "$(dirname "$0")/.."

# The toolchain's and the platform's modules: nothing to declare.
SYSTEM=" Foundation FoundationEssentials FoundationNetworking FoundationXML Dispatch Synchronization Testing XCTest
 Glibc Musl Darwin Android WinSDK "

status=0
while IFS='|' read -r name type path deps; do
    if [ -z "$path" ]; then
        if [ "$type" = test ]; then path="Tests/$name"; else path="Sources/$name"; fi
    fi
    imports=$(grep -rhoE --include='*.swift' \
        '^[[:space:]]*(@[A-Za-z_]+(\([^)]*\))?[[:space:]]+)*((public|package|internal|fileprivate|private)[[:space:]]+)?import[[:space:]]+((struct|class|enum|protocol|func|var|let|typealias)[[:space:]]+)?[A-Za-z_][A-Za-z0-9_]*' \
        "$path" | awk '{print $NF}' | sort -u)
    for module in $imports; do
        case "$SYSTEM" in *" $module "*) continue ;; esac
        case " $deps " in *" $module "*) continue ;; esac
        echo "error: target $name imports $module without declaring it a dependency in Package.swift" >&2
        status=1
    done
done < <(swift package dump-package | jq -r '.targets[]
    | [.name, .type, (.path // ""), ([.dependencies[] | (.byName // .target // .product)[0]] | join(" "))]
    | join("|")')
exit $status
