#!/usr/bin/env bash
# Install what the tests need besides pip packages, only when missing (safe to run again):
#   - Azurite, the Azure Blob Storage emulator (npm; 3.35.x is the last release for Node 20), into ./node_modules
#   - TypeScript and anywidget's types (npm), to type-check the widgets' front ends (tests/widgets/test_typecheck.py)
#   - PostgreSQL from Debian's packages (the tests start their own server on 127.0.0.1 as the postgres user)
#   - Chromium from Debian's packages (browser tests drive it headless with Playwright's executable_path)
set -euo pipefail
cd "$(dirname "$0")/.."

# One npm install for all of them: `npm install --no-save` removes what an earlier --no-save install added.
if [ ! -x node_modules/.bin/azurite-blob ] || [ ! -x node_modules/.bin/tsc ] || [ ! -d node_modules/@anywidget/types ]; then
  npm install --no-save --no-audit --no-fund --loglevel=error azurite@3.35 typescript@5 @anywidget/types@0.4 >/dev/null
fi

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-test-deps: ${missing[*]} missing and this user cannot apt-get install them; their tests will skip" >&2
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
