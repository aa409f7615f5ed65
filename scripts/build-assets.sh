#!/usr/bin/env bash
# Builds the front-end assets of the efa-web shop into crates/efa-web/assets/dist (generated, not
# committed; the crate embeds these files at compile time, so `make build`/`make test` run this first):
#
#   kern.min.css    KERN UX (@kern-ux/native dist/kern.min.css, which already contains its grid and
#                   utilities) preceded by the Fira Sans @font-face rules of the weights and styles
#                   that CSS really uses, their urls pointing at fonts/ below
#   fonts/*.woff2   those Fira Sans faces, subset with fonttools' pyftsubset to the characters that
#                   German administrative text needs (see UNICODES) and re-encoded as WOFF2
#   htmx.min.js     htmx.org dist/htmx.min.js
#   licenses/       KERN (EUPL-1.2), Fira Sans (SIL OFL 1.1), htmx (0BSD) and where each file comes from
#
# Nothing is loaded from a CDN: every url() of the CSS points into dist/ or is a data: URI.
#
# Inputs: package-lock.json → node_modules (`npm ci` when node_modules is missing or older than
# package.json/package-lock.json, recorded by a stamp inside node_modules); fonttools and brotli,
# pinned below, in the repository's .venv (the one fuzz/run.sh uses; created and filled from PyPI when
# missing). Idempotent: when node_modules, this script and every output are unchanged since the last
# build it only checks a few timestamps. Each output file is replaced by a rename, so a cargo build
# running at the same time sees the old file or the new one, never half of one.
#
# Quiet on success; on failure it says what failed with the tool's own output. VERBOSE=1 prints the
# tools' output and, at the end, the size of every output file, raw and gzipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

FONTTOOLS_VERSION=4.68.0
BROTLI_VERSION=1.2.1
# U+0020-007E ASCII; U+00A0-00FF Latin-1 (ä ö ü ß, §, «», ·, soft hyphen, …); ı Œ œ Š š Ÿ Ž ž;
# U+1E9E capital ẞ (official German orthography since 2017, used in upper-case names);
# U+2010-2027 dashes, quotes „“‚‘, …, •; U+2030-203A ‰ ′ ″ ‹ ›; € ™; arrows ← ↑ → ↓; minus −; ✓.
# Fira Sans has no ✓ (U+2713): browsers take it from a system font.
UNICODES="U+0020-007E,U+00A0-00FF,U+0131,U+0152-0153,U+0160-0161,U+0178,U+017D-017E,U+1E9E,U+2010-2027,U+2030-203A,U+20AC,U+2122,U+2190-2193,U+2212,U+2713"
# pyftsubset's default OpenType features (kern, liga, calt, locl, mark, frac, …) and the figure
# variants that tables and prices want: tabular/proportional/lining figures and case-sensitive forms.
# ('*' would keep small caps, stylistic sets, old-style figures, …: ~27 KB instead of ~20 KB per face;
# the faces as shipped are 129-140 KB.)
LAYOUT_FEATURES="tnum,pnum,lnum,case"
# Date of the last change to what this script does to KERN's CSS (EUPL-1.2 art. 5 asks modified
# copies to say so and when); change it together with the transformation.
KERN_MODIFIED=2026-12-01

KERN=$ROOT/node_modules/@kern-ux/native
HTMX=$ROOT/node_modules/htmx.org
DIST=$ROOT/crates/efa-web/assets/dist
VENV=$ROOT/.venv
PY=$VENV/bin/python
NPM_STAMP=$ROOT/node_modules/.efa-npm-ci.stamp
# The list of outputs of the last successful build; kept out of dist so the crate doesn't embed it.
DIST_STAMP=$ROOT/node_modules/.efa-build-assets.stamp
SELF=$ROOT/scripts/build-assets.sh

die() {
    echo "build-assets: ERROR: $*" >&2
    exit 1
}
trap 'echo "build-assets: ERROR: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

# run WHAT CMD...: runs CMD with its output kept aside; prints it only on failure (or with VERBOSE=1).
run() {
    local what=$1 log
    shift
    if [[ ${VERBOSE:-0} == 1 ]]; then
        echo "build-assets: $what" >&2
        "$@" >&2 || die "$what failed: $*"
        return
    fi
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        die "$what failed: $*"
    fi
    rm -f "$log"
}

report_sizes() {
    [[ ${VERBOSE:-0} == 1 ]] || return 0
    local f raw gz
    echo "build-assets: $DIST (bytes, raw and gzip -9):"
    while IFS= read -r f; do
        raw=$(stat -c %s "$DIST/$f")
        gz=$(gzip -9c "$DIST/$f" | wc -c)
        printf '  %-40s %9d %9d\n' "$f" "$raw" "$gz"
    done <"$DIST_STAMP"
}

command -v node >/dev/null || die "node (Node.js >= 20) is required: apt-get install nodejs npm"
command -v npm >/dev/null || die "npm is required: apt-get install npm"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
    die "Node.js >= 20 is required, found $(node --version)"

# One build at a time (two make runs in one tree): lock this script's own file.
exec 9<"$SELF"
flock 9

# 1. node_modules from package-lock.json.
if [[ ! -f $NPM_STAMP || $ROOT/package-lock.json -nt $NPM_STAMP || $ROOT/package.json -nt $NPM_STAMP ]]; then
    run "npm ci" npm ci --no-audit --no-fund --loglevel=error
    [[ -f $KERN/dist/kern.min.css && -f $HTMX/dist/htmx.min.js ]] ||
        die "npm ci succeeded but @kern-ux/native or htmx.org is missing from node_modules"
    touch "$NPM_STAMP"
fi

# 2. Nothing to do when the last build is newer than its inputs and all its outputs are there.
up_to_date() {
    [[ -f $DIST_STAMP && ! $NPM_STAMP -nt $DIST_STAMP && ! $SELF -nt $DIST_STAMP ]] || return 1
    local f
    while IFS= read -r f; do
        [[ -f $DIST/$f ]] || return 1
    done <"$DIST_STAMP"
}
if up_to_date; then
    report_sizes
    exit 0
fi

# 3. fonttools + brotli (for WOFF2) in .venv.
tools_ok() {
    [[ -x $PY ]] && "$PY" - "$FONTTOOLS_VERSION" "$BROTLI_VERSION" 2>/dev/null <<'EOF'
import sys, importlib.metadata as m
import brotli, fontTools.subset  # noqa: F401  (importable, not only listed)
sys.exit(0 if (m.version("fonttools"), m.version("brotli")) == tuple(sys.argv[1:3]) else 1)
EOF
}
if ! tools_ok; then
    [[ -x $PY ]] || run "creating .venv" python3 -m venv "$VENV" ||
        die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    run "installing fonttools $FONTTOOLS_VERSION and brotli $BROTLI_VERSION into .venv (PyPI)" \
        "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "fonttools==$FONTTOOLS_VERSION" "brotli==$BROTLI_VERSION"
    tools_ok || die "fonttools $FONTTOOLS_VERSION / brotli $BROTLI_VERSION not importable from .venv after installing them"
fi

# 4. Build into a scratch folder on the same file system, then move each file into place.
WORK=$(mktemp -d "$ROOT/node_modules/.efa-build-assets.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/out
mkdir -p "$OUT/fonts" "$OUT/licenses"

# The CSS: which weights/styles KERN uses, which Fira Sans faces that needs, the rewritten urls.
# Prints one line per face to subset: "<source woff2>\t<output name>".
"$PY" - "$KERN" "$OUT" "$UNICODES" "$KERN_MODIFIED" >"$WORK/faces.tsv" <<'EOF' || die "building kern.min.css failed"
import json, os, re, shutil, sys

kern, out, unicodes, modified = sys.argv[1:5]
dist = os.path.join(kern, "dist")
version = json.load(open(os.path.join(kern, "package.json"), encoding="utf-8"))["version"]
css = open(os.path.join(dist, "kern.min.css"), encoding="utf-8").read()

def fail(msg):
    sys.exit(f"build-assets: ERROR: {msg}")

# Custom properties, each with every value it is given anywhere (themes may redefine them).
props = {}
for name, value in re.findall(r"(--[\w-]+)\s*:\s*([^;}]+)", css):
    props.setdefault(name, []).append(value.strip())

def resolve(value, seen=()):
    """Every concrete value a declaration value can take, following var() through the properties."""
    value = value.strip().removesuffix("!important").strip()
    m = re.fullmatch(r"var\(\s*(--[\w-]+)\s*(?:,\s*(.*))?\)", value)
    if not m:
        return {value}
    name, fallback = m.groups()
    if name in seen:
        fail(f"custom property cycle at {name}")
    if name in props:
        return set().union(*(resolve(v, seen + (name,)) for v in props[name]))
    return resolve(fallback, seen) if fallback else set()

KEYWORDS = {"normal": 400, "bold": 700}
weights = set()
for decl in re.findall(r"(?<![\w-])font-weight\s*:\s*([^;}]+)", css):
    for v in resolve(decl):
        if v in ("inherit", "initial", "unset", "revert"):
            continue
        if v in KEYWORDS:
            weights.add(KEYWORDS[v])
        elif re.fullmatch(r"\d{3}", v):
            weights.add(int(v))
        else:
            fail(f"kern.min.css: font-weight value {v!r} ({decl}) is not handled by this script")
if re.search(r"(?<![\w-])font\s*:", css):
    fail("kern.min.css uses the font: shorthand; this script only reads font-weight and font-style")
styles = {"normal"}
for decl in re.findall(r"(?<![\w-])font-style\s*:\s*([^;}]+)", css):
    for v in resolve(decl):
        if v in ("italic", "oblique") or v.startswith("oblique "):
            styles.add("italic")
        elif v not in ("normal", "inherit", "initial", "unset", "revert"):
            fail(f"kern.min.css: font-style value {v!r} is not handled by this script")

# The package's own @font-face rules for Fira Sans (dist/fonts/fira-sans.css).
fonts_css_path = os.path.join(dist, "fonts", "fira-sans.css")
faces = []
for body in re.findall(r"@font-face\s*{([^}]*)}", open(fonts_css_path, encoding="utf-8").read()):
    decl = dict((k.strip(), v.strip()) for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body))
    url = re.search(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", decl.get("src", ""))
    if not url or decl.get("font-family", "").strip("'\"") != "Fira Sans":
        fail(f"{fonts_css_path}: unexpected @font-face rule: {body.strip()}")
    src = os.path.normpath(os.path.join(os.path.dirname(fonts_css_path), url.group(1)))
    if not os.path.isfile(src):
        fail(f"{fonts_css_path}: {url.group(1)} does not exist")
    faces.append((int(decl["font-weight"]), decl.get("font-style", "normal"), src))
kept = sorted(f for f in faces if f[0] in weights and f[1] in styles)
missing = {(w, s) for w in weights for s in styles} - {(w, s) for w, s, _ in kept}
if missing:
    fail(f"kern.min.css uses weight/style {sorted(missing)} but {fonts_css_path} has no face for it")

# Files the CSS points at (icons, images): copied beside it. KERN 2.7.2 has only data: URIs.
def rewrite(m):
    url = m.group(2)
    if url.startswith("data:"):
        return m.group(0)
    if re.match(r"^([a-z]+:)?//", url, re.I):
        fail(f"kern.min.css loads {url} from elsewhere; only local files may be used")
    path = re.split(r"[?#]", url)[0]
    src = os.path.normpath(os.path.join(dist, path))
    rel = os.path.relpath(src, dist)
    if rel.startswith("..") or not os.path.isfile(src):
        fail(f"kern.min.css references {url}, which is not a file in {dist}")
    os.makedirs(os.path.dirname(os.path.join(out, "kern", rel)), exist_ok=True)
    shutil.copyfile(src, os.path.join(out, "kern", rel))
    print(f"build-assets: kern.min.css needs {rel}: copied to kern/{rel}", file=sys.stderr)
    return f'url("kern/{rel}{url[len(path):]}")'
css = re.sub(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""", rewrite, css)

charset = '@charset "UTF-8";'
body = css[len(charset):] if css.startswith(charset) else css
font_faces = "".join(
    '@font-face{font-family:"Fira Sans";'
    f"font-style:{s};font-weight:{w};font-display:swap;"
    f'src:url(fonts/{os.path.basename(src)}) format("woff2");unicode-range:{unicodes}}}'
    for w, s, src in kept
)
banner = (
    f"/*! KERN UX @kern-ux/native {version}, licensed under the EUPL-1.2 (licenses/). "
    f"Modified {modified} by EfA Marktplatz scripts/build-assets.sh: the @font-face rules of "
    f"dist/fonts/fira-sans.css for the font-weights ({' '.join(map(str, sorted(weights)))}) and "
    f"font-styles ({' '.join(sorted(styles))}) this CSS uses put first, pointing at subsets of those "
    "fonts in fonts/. "
    "Fira Sans: SIL Open Font License 1.1. */"
)
with open(os.path.join(out, "kern.min.css"), "w", encoding="utf-8") as f:
    f.write(charset + banner + font_faces + body)
for w, s, src in kept:
    print(f"{src}\t{os.path.basename(src)}")
EOF
[[ -s $WORK/faces.tsv ]] || die "no Fira Sans face selected for kern.min.css"

COPYRIGHTS=()
while IFS=$'\t' read -r src name; do
    run "subsetting $name" "$VENV/bin/pyftsubset" "$src" \
        --unicodes="$UNICODES" --layout-features+="$LAYOUT_FEATURES" \
        --name-IDs=0,1,2,3,4,5,6,7,13,14 --flavor=woff2 --output-file="$OUT/fonts/$name"
    [[ -s $OUT/fonts/$name ]] || die "pyftsubset wrote no $OUT/fonts/$name"
    COPYRIGHTS+=("$("$PY" -c 'import sys; from fontTools.ttLib import TTFont; print(TTFont(sys.argv[1])["name"].getDebugName(0))' "$src")")
    [[ ${VERBOSE:-0} != 1 ]] || echo "build-assets: $name: $(stat -c %s "$src") -> $(stat -c %s "$OUT/fonts/$name") bytes" >&2
done <"$WORK/faces.tsv"

cp "$HTMX/dist/htmx.min.js" "$OUT/htmx.min.js"

# Licences: KERN's and htmx's from their packages; Fira Sans ships none in the package, so the
# standard OFL 1.1 text with the copyright line the fonts themselves carry (name ID 0).
pkg_field() { node -p "require(process.argv[1])[process.argv[2]]" "$1/package.json" "$2"; }
KERN_VERSION=$(pkg_field "$KERN" version)
HTMX_VERSION=$(pkg_field "$HTMX" version)
[[ $(pkg_field "$KERN" license) == EUPL-1.2 ]] || die "@kern-ux/native is no longer EUPL-1.2: check its licence"
[[ $(pkg_field "$HTMX" license) == 0BSD ]] || die "htmx.org is no longer 0BSD: check its licence"
cp "$KERN/LICENSE.md" "$OUT/licenses/kern-ux-EUPL-1.2.md"
cp "$HTMX/LICENSE" "$OUT/licenses/htmx-0BSD.txt"
FIRA_VERSION=$("$PY" -c 'import sys; from fontTools.ttLib import TTFont; print(TTFont(sys.argv[1])["name"].getDebugName(5))' "$(head -n1 "$WORK/faces.tsv" | cut -f1)")
{
    printf '%s\n' "${COPYRIGHTS[@]}" | sort -u
    cat <<'EOF'

This Font Software is licensed under the SIL Open Font License, Version 1.1.
This license is copied below, and is also available with a FAQ at:
http://scripts.sil.org/OFL

-----------------------------------------------------------
SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007
-----------------------------------------------------------

PREAMBLE
The goals of the Open Font License (OFL) are to stimulate worldwide
development of collaborative font projects, to support the font creation
efforts of academic and linguistic communities, and to provide a free and
open framework in which fonts may be shared and improved in partnership
with others.

The OFL allows the licensed fonts to be used, studied, modified and
redistributed freely as long as they are not sold by themselves. The
fonts, including any derivative works, can be bundled, embedded,
redistributed and/or sold with any software provided that any reserved
names are not used by derivative works. The fonts and derivatives,
however, cannot be released under any other type of license. The
requirement for fonts to remain under this license does not apply
to any document created using the fonts or their derivatives.

DEFINITIONS
"Font Software" refers to the set of files released by the Copyright
Holder(s) under this license and clearly marked as such. This may
include source files, build scripts and documentation.

"Reserved Font Name" refers to any names specified as such after the
copyright statement(s).

"Original Version" refers to the collection of Font Software components as
distributed by the Copyright Holder(s).

"Modified Version" refers to any derivative made by adding to, deleting,
or substituting -- in part or in whole -- any of the components of the
Original Version, by changing formats or by porting the Font Software to a
new environment.

"Author" refers to any designer, engineer, programmer, technical
writer or other person who contributed to the Font Software.

PERMISSION & CONDITIONS
Permission is hereby granted, free of charge, to any person obtaining
a copy of the Font Software, to use, study, copy, merge, embed, modify,
redistribute, and sell modified and unmodified copies of the Font
Software, subject to the following conditions:

1) Neither the Font Software nor any of its individual components,
in Original or Modified Versions, may be sold by itself.

2) Original or Modified Versions of the Font Software may be bundled,
redistributed and/or sold with any software, provided that each copy
contains the above copyright notice and this license. These can be
included either as stand-alone text files, human-readable headers or
in the appropriate machine-readable metadata fields within text or
binary files as long as those fields can be easily viewed by the user.

3) No Modified Version of the Font Software may use the Reserved Font
Name(s) unless explicit written permission is granted by the corresponding
Copyright Holder. This restriction only applies to the primary font name as
presented to the users.

4) The name(s) of the Copyright Holder(s) or the Author(s) of the Font
Software shall not be used to promote, endorse or advertise any
Modified Version, except to acknowledge the contribution(s) of the
Copyright Holder(s) and the Author(s) or with their explicit written
permission.

5) The Font Software, modified or unmodified, in part or in whole,
must be distributed entirely under this license, and must not be
distributed under any other license. The requirement for fonts to
remain under this license does not apply to any document created
using the Font Software.

TERMINATION
This license becomes null and void if any of the above conditions are
not met.

DISCLAIMER
THE FONT SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO ANY WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT
OF COPYRIGHT, PATENT, TRADEMARK, OR OTHER RIGHT. IN NO EVENT SHALL THE
COPYRIGHT HOLDER BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY,
INCLUDING ANY GENERAL, SPECIAL, INDIRECT, INCIDENTAL, OR CONSEQUENTIAL
DAMAGES, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
FROM, OUT OF THE USE OR INABILITY TO USE THE FONT SOFTWARE OR FROM
OTHER DEALINGS IN THE FONT SOFTWARE.
EOF
} >"$OUT/licenses/fira-sans-OFL-1.1.txt"
{
    echo "Third-party files served by efa-web (/assets), generated by scripts/build-assets.sh:"
    echo
    echo "kern.min.css     KERN UX, @kern-ux/native $KERN_VERSION ($(pkg_field "$KERN" homepage)), EUPL-1.2: kern-ux-EUPL-1.2.md."
    echo "                 Modified: Fira Sans @font-face rules added, pointing at fonts/ (see the comment at its top)."
    echo "fonts/*.woff2    Fira Sans ($FIRA_VERSION, as shipped in @kern-ux/native $KERN_VERSION), SIL OFL 1.1:"
    echo "                 fira-sans-OFL-1.1.txt. Modified Versions: subset to Latin characters for German, WOFF2."
    echo "htmx.min.js      htmx.org $HTMX_VERSION ($(pkg_field "$HTMX" homepage)), 0BSD: htmx-0BSD.txt. Unmodified."
} >"$OUT/licenses/README.txt"

# 5. Move into dist: one rename per file, then drop what the previous build had and this one not.
mkdir -p "$DIST"
(cd "$OUT" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) >"$WORK/files"
while IFS= read -r f; do
    mkdir -p "$(dirname "$DIST/$f")"
    mv -f "$OUT/$f" "$DIST/$f"
done <"$WORK/files"
(cd "$DIST" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) | LC_ALL=C comm -23 - "$WORK/files" |
    while IFS= read -r f; do rm -f "$DIST/$f"; done
find "$DIST" -mindepth 1 -type d -empty -delete
cp "$WORK/files" "$DIST_STAMP"
report_sizes
