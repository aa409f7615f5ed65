# Shop measurements for bench/run.sh (sourced): what a first visit and further pages weigh,
# and Lighthouse's performance and accessibility scores, against the running `efa serve`.

# asset_urls PAGE_URL -> the stylesheets, scripts and preloaded fonts a page links, one per line
asset_urls() {
    curl -s --max-time 10 "$1" | grep -oE '(href|src)="/assets/[^"]+"' | sed -E 's/^(href|src)="//; s/"$//' | sort -u
}

# gz_bytes URL -> bytes on the wire when the client accepts gzip (what a browser receives)
gz_bytes() {
    curl -s --max-time 10 -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$1"
}

# shop_weight BASE SERVICE_ID: sets WEIGHT_FIRST (start page with everything it loads, incl.
# the fonts its CSS uses), WEIGHT_ROWS (label<TAB>bytes per further page)
shop_weight() {
    local base=$1 sid=$2 total=0 u b css font
    local -a fonts=()
    WEIGHT_DETAIL=""
    b=$(gz_bytes "$base/"); total=$((total + b)); WEIGHT_DETAIL+="HTML $b B"
    while read -r u; do
        [[ -n $u ]] || continue
        b=$(gz_bytes "$base$u"); total=$((total + b))
        WEIGHT_DETAIL+=", ${u##*/} $b B"
        if [[ $u == *.css && $u != *print.* ]]; then
            css=$(curl -s --max-time 10 "$base$u")
            mapfile -t -O "${#fonts[@]}" fonts < <(grep -oE 'url\(/assets/[^)]+\.woff2\)' <<<"$css" | sed -E 's/^url\(//; s/\)$//')
        fi
    done < <(asset_urls "$base/" | grep -v 'print\.' | grep -v '\.woff2$')
    # The faces KERN uses (regular, medium, semi-bold) all appear on the start page.
    for font in $(printf '%s\n' "${fonts[@]}" | sort -u); do
        b=$(gz_bytes "$base$font"); total=$((total + b)); WEIGHT_DETAIL+=", ${font##*/} $b B"
    done
    WEIGHT_FIRST=$total
    WEIGHT_ROWS=""
    local path
    for path in "/onlinedienste?q=wohngeld" "/onlinedienste/$sid" "/leistungen?q=wohngeld" "/abdeckung/gemeinden/05315000"; do
        WEIGHT_ROWS+="$path"$'\t'"$(gz_bytes "$base$path")"$'\n'
    done
}

# shop_lighthouse BASE SERVICE_ID OUTDIR: sets LH_ROWS (page<TAB>performance<TAB>accessibility)
shop_lighthouse() {
    local base=$1 sid=$2 out=$3 lh="$ROOT/node_modules/.bin/lighthouse" path name json perf a11y
    LH_ROWS=""
    if [[ ! -x $lh || ! -x /usr/bin/chromium ]]; then
        log "warning: lighthouse or chromium missing (make assets browser); no Lighthouse scores"
        return 0
    fi
    for path in "/" "/onlinedienste?q=wohngeld" "/onlinedienste/$sid"; do
        name=$(tr -c 'a-zA-Z0-9' '_' <<<"$path")
        json="$out/lighthouse$name.json"
        if CHROME_PATH=/usr/bin/chromium "$lh" "$base$path" --quiet --output=json --output-path="$json" \
            --only-categories=performance,accessibility --form-factor=desktop --screenEmulation.disabled \
            --throttling-method=provided \
            --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync" \
            >"$out/lighthouse$name.log" 2>&1; then
            perf=$(node -e 'const r=require(process.argv[1]);console.log(Math.round(r.categories.performance.score*100))' "$json")
            a11y=$(node -e 'const r=require(process.argv[1]);console.log(Math.round(r.categories.accessibility.score*100))' "$json")
        else
            log "warning: lighthouse failed on $path (see $out/lighthouse$name.log)"
            perf="n/a"; a11y="n/a"
        fi
        LH_ROWS+="$path"$'\t'"$perf"$'\t'"$a11y"$'\n'
    done
}
