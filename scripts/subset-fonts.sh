#!/usr/bin/env bash
# Remake the font subsets in crates/report/fonts/ (see its README.md). Needs apt and pip; the
# reports themselves need neither: the subsets are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/crates/report/fonts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download fonts-noto-core fonts-noto-cjk
for d in *.deb; do dpkg-deb -x "$d" x; done
python3 -m pip install --quiet fonttools
python3 - >gb2312.txt <<'PY'
import sys
for r in range(16, 88):  # GB 2312 rows 16-55 (level 1) and 56-87 (level 2): the hanzi
    for c in range(1, 95):
        try:
            sys.stdout.write(bytes([0xA0 + r, 0xA0 + c]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
PY
latin="U+0020-007E,U+00A0-024F,U+0370-03FF,U+0400-045F,U+2010-205E,U+2070-209F,U+20AC,U+2100-214F"
for w in Regular Bold; do
  pyftsubset "x/usr/share/fonts/truetype/noto/NotoSans-$w.ttf" --unicodes="$latin" \
    --no-hinting --output-file="$out/NotoSans-$w.ttf"
done
cjk="U+0020-007E,U+00A0-00FF,U+2010-2027,U+2030-203A,U+2070-209F,U+2190-21FF,U+2200-22FF,U+3000-303F,U+FF00-FFEF"
# Font 2 of the collection is Noto Sans CJK SC.
pyftsubset x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc --font-number=2 \
  --text-file=gb2312.txt --unicodes="$cjk" --no-hinting \
  --output-file="$out/NotoSansCJKsc-Regular-GB2312.otf"
ls -l "$out"
