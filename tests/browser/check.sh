#!/usr/bin/env bash
# Open report.html in headless Chromium and check what a reader would get:
#
#   1. a screenshot that is not blank (many colours, much non-background),
#      in light and in dark mode (prefers-color-scheme), and a printable PDF;
#   2. the DOM after loading: every key section, every table-of-contents
#      target and every chart (inline SVG) is there, and the page's
#      Content-Security-Policy is `default-src 'none'` (no script, no fetch);
#   3. Chromium's log: no console message, CSP violation or network error.
#      The page has no script, so any console line is a blocked request or
#      an error. A negative control (the same page plus an <img> pointing at
#      the network) must trip this check, so a silent log means something.
#   4. The hand-made hostile campaign (fixtures/bad-input/hostile-campaign):
#      its payloads would change the page title if any ran; the title must
#      be unchanged, the log silent, no element from the input in the DOM,
#      and the payloads visible as text. A negative control (the payload
#      live, CSP removed) must change the title, so the check can fail.
#
# Usage: tests/browser/check.sh REPORT_DIR   (holding report.html, charts/)
#        tests/browser/check.sh              (renders the demo report first)
# Env:   CHROMIUM=/path/to/chromium (default: chromium, chromium-browser)
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() { echo "browser check FAILED: $*" >&2; exit 1; }

chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] || fail "no chromium found (apt-get install -y chromium, or set CHROMIUM)"
command -v python3 >/dev/null || fail "python3 is needed to read the screenshot"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

report_dir=${1:-}
if [ -z "$report_dir" ]; then
    report_dir="$work/report"
    cargo run --quiet --locked -- report fixtures/campaigns/demo --out "$report_dir" --quiet
fi
html=$(cd "$report_dir" && pwd)/report.html
[ -s "$html" ] || fail "$html is missing"

# One headless run with a fresh, empty profile; stdout to $1, log to $1.log.
run_chromium() {
    local out=$1 url=$2
    shift 2
    local profile
    profile=$(mktemp -d "$work/profile.XXXX")
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu \
        --disable-background-networking --no-first-run --disable-component-update \
        --disable-sync --user-data-dir="$profile" \
        --enable-logging=stderr --v=0 \
        "$@" "$url" >"$out" 2>"$out.log" || fail "chromium exited with $? ($*); log: $(tail -5 "$out.log")"
}

# Console messages (CSP violations are reported there), blocked or failed
# requests, script errors. Everything else in the log is Chromium talking
# about its own sandbox (D-Bus, GPU), not about the page.
page_problems() {
    grep -E ':CONSOLE|Content Security Policy|Refused to|net::ERR_|Uncaught|violates' "$1" || true
}

assert_clean_log() {
    local problems
    problems=$(page_problems "$1")
    [ -z "$problems" ] || fail "$2: the page logged problems:
$problems"
}

# PNG not blank: >= 64 colours and >= 5% of pixels off the background.
assert_not_blank() {
    local stats
    stats=$(python3 tests/browser/pngstat.py "$1")
    read -r w h colours share bg <<<"$stats"
    echo "   $2: ${w}x${h}, $colours colours, ${share}% non-background, background #$bg"
    [ "$colours" -ge 64 ] || fail "$2: only $colours colours: blank page?"
    python3 -c "import sys; sys.exit(0 if float('$share') >= 5 else 1)" \
        || fail "$2: only ${share}% of pixels differ from the background: blank page?"
    BACKGROUND=$bg
}

luminance() { python3 -c "h='$1'; r,g,b=(int(h[i:i+2],16) for i in (0,2,4)); print(int(0.2126*r+0.7152*g+0.0722*b))"; }

start=$(date +%s)
url="file://$html"
echo "== browser check: $("$chromium" --version 2>/dev/null | head -1) on $html"

echo "-- screenshot (light)"
run_chromium "$work/light.out" "$url" --window-size=1280,1600 --screenshot="$work/light.png"
[ -s "$work/light.png" ] || fail "no screenshot written"
assert_not_blank "$work/light.png" light
assert_clean_log "$work/light.out.log" "light screenshot"
[ "$(luminance "$BACKGROUND")" -ge 128 ] || fail "light mode has a dark background #$BACKGROUND"

echo "-- screenshot (dark: prefers-color-scheme)"
run_chromium "$work/dark.out" "$url" --window-size=1280,1600 --force-dark-mode --screenshot="$work/dark.png"
assert_not_blank "$work/dark.png" dark
assert_clean_log "$work/dark.out.log" "dark screenshot"
[ "$(luminance "$BACKGROUND")" -lt 128 ] || fail "dark mode has a light background #$BACKGROUND"

echo "-- print to PDF"
run_chromium "$work/pdf.out" "$url" --no-pdf-header-footer --print-to-pdf="$work/report.pdf"
head -c 5 "$work/report.pdf" | grep -q '%PDF-' || fail "no PDF written"
pages=$(grep -ac '/Type /Page$\|/Type /Page[^s]' "$work/report.pdf" || true)
echo "   $(wc -c <"$work/report.pdf") bytes, $pages page(s)"
[ "$pages" -ge 2 ] || fail "the PDF has $pages page(s); the print stylesheet lost content?"
assert_clean_log "$work/pdf.out.log" "print to PDF"

echo "-- DOM after load"
run_chromium "$work/dom.html" "$url" --dump-dom
dom="$work/dom.html"
grep -q '<meta http-equiv="Content-Security-Policy" content="default-src '"'"'none'"'"'; style-src '"'"'unsafe-inline'"'"'">' "$dom" \
    || fail "the CSP meta tag (default-src 'none') is missing"
for id in overall cluster connectivity hardware software platform steps critical-issues performance \
    submission error-classification findings recommendations score-breakdown inputs; do
    grep -q "<section class=\"card\" id=\"$id\">" "$dom" || fail "section #$id missing from the DOM"
done
# Every contents link and every "see evidence" anchor has its target.
python3 - "$html" "$dom" <<'PY' || fail "dangling in-page links (see above)"
import re, sys
static, dom = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
targets = set(re.findall(r'href="#([^"]+)"', static))
ids = set(re.findall(r'\bid="([^"]+)"', dom))
missing = sorted(targets - ids)
if missing:
    print("links without a target:", missing, file=sys.stderr)
    sys.exit(1)
print(f"   {len(targets)} in-page link target(s) resolve")
PY
charts=("$report_dir"/charts/*.svg)
svgs=$(grep -o '<svg ' "$dom" | wc -l)
[ "$svgs" -eq "${#charts[@]}" ] || fail "$svgs inline SVG(s) in the DOM, ${#charts[@]} chart file(s)"
for chart in "${charts[@]}"; do
    # The first <text> of a chart is its title.
    title=$(python3 -c "import re,sys; t=re.search(r'<text[^>]*>([^<]+)</text>', open(sys.argv[1]).read()); print(t.group(1) if t else '')" "$chart")
    [ -n "$title" ] || fail "$chart has no title text"
    grep -qF "$title" "$dom" || fail "chart $(basename "$chart") ($title) is not in the DOM"
done
echo "   ${#charts[@]} chart(s) inline, 15 sections, CSP default-src 'none'"
assert_clean_log "$dom.log" "DOM dump"

echo "-- negative control: a network request must show up in the log"
sed 's|<main>|<main><img alt="" src="https://example.invalid/probe.png">|' "$html" >"$work/control.html"
run_chromium "$work/control.out" "file://$work/control.html" --dump-dom
[ -n "$(page_problems "$work/control.out.log")" ] \
    || fail "an <img> from the network went unnoticed: the log check is blind"

echo "-- hostile campaign: payloads stay text, no script runs"
hostile="$work/hostile"
cargo run --quiet --locked -- report fixtures/bad-input/hostile-campaign --out "$hostile" --quiet
want_title=$(grep -o '<title>[^<]*</title>' "$hostile/report.html" | head -1)
[ -n "$want_title" ] || fail "the hostile report has no <title>"
run_chromium "$work/hostile.dom" "file://$hostile/report.html" --dump-dom
assert_clean_log "$work/hostile.dom.log" "hostile campaign"
got_title=$(grep -o '<title>[^<]*</title>' "$work/hostile.dom" | head -1)
[ "$got_title" = "$want_title" ] || fail "the page title changed to $got_title: a payload ran"
if grep -qiE '<(script|img|iframe|object|embed)[ >]' "$work/hostile.dom"; then
    fail "an element from the input is in the DOM: $(grep -oiE '<(script|img|iframe|object|embed)[^>]*>' "$work/hostile.dom" | head -3)"
fi
grep -qF '&lt;img src=x onerror=document.title=1&gt;' "$work/hostile.dom" \
    || fail "the <img> payload is not shown as text"
grep -qF "&lt;script&gt;document.title='pwned'&lt;/script&gt;" "$work/hostile.dom" \
    || fail "the <script> payload is not shown as text"
echo "   title unchanged, log silent, payloads shown as text"
# Control: the same payload live in a copy without the CSP must change the
# title, or the check above could not see a script run.
sed -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' \
    -e "s|<main>|<main><img alt=\"\" src=\"x\" onerror=\"document.title='pwned'\">|" \
    "$hostile/report.html" >"$hostile/control.html"
run_chromium "$work/hostile-control.dom" "file://$hostile/control.html" --dump-dom
grep -q '<title>pwned</title>' "$work/hostile-control.dom" \
    || fail "a live payload did not change the title: the title check is blind"

echo "== browser check passed in $(($(date +%s) - start)) s"
