#!/usr/bin/env bash
# Fetch the JavaScript the HTML book needs offline into _vendor/ (git-ignored), from the npm
# registry by name and pinned version, and check each tarball's sha512 before unpacking it.
#
#   mathjax 3 (tex-chtml-full: every TeX package in one file, so nothing is lazy-loaded)
#     + its CHTML woff-v2 fonts                       -> _static/mathjax/
#   requirejs (the AMD loader embed-amd.js needs)     -> _static/requirejs/
#   @jupyter-widgets/html-manager (embed-amd.js + the font-awesome fonts it references
#     relative to itself)                             -> _static/html-manager/
#   d3 (the one-file UMD bundle, which the explorers' web twins draw with; explorers/ also
#     sends it to JupyterLab inside each explorer widget)   -> _static/d3/
#
# _config.yml puts _vendor on html_static_path and points mathjax_path / nb_ipywidgets_js at these
# files. Idempotent: does nothing when _vendor/.stamp matches this manifest.
# Why fetched, not committed: ~5 MB of minified third-party code would bloat every clone and
# diff; the pins + sha512 below make the fetch exactly reproducible.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/_vendor"

# name@version  sha512 (npm "integrity")
MANIFEST="
mathjax@3.2.2 sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==
requirejs@2.3.8 sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==
@jupyter-widgets/html-manager@1.0.15 sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==
d3@7.9.2 sha512-ZKb/mONPVKzaO5UlcWcwN8bS4ezvQaYu+bsou+XgNABdGC800kwH651ADTbbTxMPHW13UlvbQafdmJQDk1w7Mg==
"
# --- grading: mathjax-full (MathJax 3 for Node.js), which typesets feedback pages into SVG offline ----------
# Kept out of _vendor/ (that folder is published with the book). grading/feedback.py reads it from here.
GDEST="$ROOT/_vendor_grading"
GSPEC="mathjax-full@3.2.2"
GINTEGRITY="sha512-+LfG9Fik+OuI8SLwsiR02IVdjcnRCy5MufYLi0C3TdMT56L/pjB0alMVGgoWJF8pN9Rc7FESycZB9BMNWIid5w=="
if [ ! -f "$GDEST/.stamp" ] || [ "$(cat "$GDEST/.stamp")" != "$GSPEC $GINTEGRITY" ]; then
  command -v npm >/dev/null || { echo "[vendor] npm is required (apt-get install -y npm)" >&2; exit 1; }
  gwork="$(mktemp -d)"
  (cd "$gwork" && npm pack --silent "$GSPEC" >/dev/null)
  gtgz="$(ls "$gwork"/mathjax-full-*.tgz)"
  got="sha512-$(openssl dgst -sha512 -binary "$gtgz" | base64 -w0)"
  if [ "$got" != "$GINTEGRITY" ]; then echo "[vendor] integrity mismatch for $GSPEC: got $got" >&2; exit 1; fi
  tar xzf "$gtgz" -C "$gwork"
  rm -rf "$GDEST.tmp" && mkdir -p "$GDEST.tmp/mathjax-full"
  cp -r "$gwork/package/js" "$gwork/package/LICENSE" "$gwork/package/package.json" "$GDEST.tmp/mathjax-full/"
  rm -rf "$GDEST" "$gwork"
  mv "$GDEST.tmp" "$GDEST"
  echo "$GSPEC $GINTEGRITY" > "$GDEST/.stamp"
  echo "[vendor] done: $(du -sh "$GDEST" | cut -f1) in $GDEST (feedback maths)"
fi

# --- test tools, never published: axe-core, the accessibility rules the browser tests inject into every page.
# Into _vendor_tests/<name>/.
TDEST="$ROOT/_vendor_tests"
TOOLS="
axe-core@4.14.1 sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
"
while read -r spec integrity; do
  [ -n "$spec" ] || continue
  name="${spec%@*}"
  if [ -f "$TDEST/$name/.stamp" ] && [ "$(cat "$TDEST/$name/.stamp")" = "$spec $integrity" ]; then continue; fi
  command -v npm >/dev/null || { echo "[vendor] npm is required (apt-get install -y npm)" >&2; exit 1; }
  twork="$(mktemp -d)"
  (cd "$twork" && npm pack --silent "$spec" >/dev/null)
  ttgz="$(ls "$twork"/*.tgz)"
  got="sha512-$(openssl dgst -sha512 -binary "$ttgz" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then echo "[vendor] integrity mismatch for $spec: got $got" >&2; exit 1; fi
  tar xzf "$ttgz" -C "$twork"
  rm -rf "$TDEST/$name" && mkdir -p "$TDEST"
  mv "$twork/package" "$TDEST/$name"
  rm -rf "$twork"
  echo "$spec $integrity" > "$TDEST/$name/.stamp"
  echo "[vendor] done: $spec in $TDEST/$name (test tool)"
done <<< "$TOOLS"

want="$(printf '%s\n' "$MANIFEST" "$(sed -n '/^# layout/,$p' "${BASH_SOURCE[0]}")" | sha256sum | cut -d' ' -f1)"
if [ -f "$DEST/.stamp" ] && [ "$(cat "$DEST/.stamp")" = "$want" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "[vendor] npm is required (apt-get install -y npm)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "[vendor] fetching pinned JS for the offline book into $DEST"
while read -r spec integrity; do
  [ -n "$spec" ] || continue
  name="${spec%@*}"; short="${name##*/}"
  (cd "$work" && npm pack --silent "$spec" >/dev/null 2>"$work/npm.err") \
    || { cat "$work/npm.err" >&2; exit 1; }
  tgz="$(ls "$work"/*"$short"-*.tgz)"
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "[vendor] integrity mismatch for $spec: got $got" >&2; exit 1
  fi
  mkdir -p "$work/$short"
  tar xzf "$tgz" -C "$work/$short"
  rm -f "$tgz"
done <<< "$MANIFEST"

rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp"
# layout (edit here; the stamp hashes this section too)
mj="$work/mathjax/package/es5"
mkdir -p "$DEST.tmp/mathjax/output/chtml/fonts"
cp "$mj/tex-chtml-full.js" "$DEST.tmp/mathjax/"
cp -r "$mj/output/chtml/fonts/woff-v2" "$DEST.tmp/mathjax/output/chtml/fonts/"
cp "$work/mathjax/package/LICENSE" "$work/mathjax/package/package.json" "$DEST.tmp/mathjax/"
mkdir -p "$DEST.tmp/requirejs"
cp "$work/requirejs/package/require.js" "$work/requirejs/package/package.json" "$DEST.tmp/requirejs/"
hm="$work/html-manager/package"
mkdir -p "$DEST.tmp/html-manager"
cp "$hm/dist/embed-amd.js" "$hm/package.json" "$DEST.tmp/html-manager/"
cp "$hm"/dist/*.woff2 "$hm"/dist/*.woff "$hm"/dist/*.ttf "$hm"/dist/*.eot "$hm"/dist/*.svg "$DEST.tmp/html-manager/"
mkdir -p "$DEST.tmp/d3"
cp "$work/d3/package/dist/d3.min.js" "$work/d3/package/LICENSE" "$work/d3/package/package.json" "$DEST.tmp/d3/"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "$want" > "$DEST/.stamp"
echo "[vendor] done: $(du -sh "$DEST" | cut -f1) in $DEST"

