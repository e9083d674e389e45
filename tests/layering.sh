#!/bin/sh
# Layering check: the library calls only downwards, the programs use only
# the public API, and the tree points at its own documents.
#
# The layers are the table of docs/ARCHITECTURE.md ("## Layers"): one row
# per layer, lowest first, its modules in the second column as `name`s.
# A file of core/ belongs to the module of its stem (host_http.c is module
# host).  A core file may include its own module's header and the headers
# of lower layers, never one of its own layer or above (so no cycle can
# form).  cli/ and daemon/ include only <smsmux/smsmux.h> and their own
# headers.  Exit 1 naming each offending line.
set -u
top=${top_srcdir:-.}
doc="$top/docs/ARCHITECTURE.md"
fail=0
pass=0

[ -f "$doc" ] || { echo "no $doc"; echo "0 passed, 1 failed"; exit 1; }

# module -> rank, from the table rows "| N | `a`, `b` | ..."
ranks=$(awk -F'|' '/^## Layers/ {on = 1; next} /^## / {on = 0}
  on && $2 ~ /^ *[0-9]+ *$/ {
    n = $2 + 0; s = $3
    while (match(s, /`[a-z_]+`/)) {
      print substr(s, RSTART + 1, RLENGTH - 2), n
      s = substr(s, RSTART + RLENGTH)
    }
  }' "$doc")
[ -n "$ranks" ] || { echo "no layer table in $doc"; echo "0 passed, 1 failed"; exit 1; }

rank_of() { # module name -> rank, or empty
  printf '%s\n' "$ranks" | awk -v m="$1" '$1 == m {print $2; exit}'
}
module_of() { # path -> module
  b=$(basename "$1"); b=${b%.*}
  if [ -n "$(rank_of "$b")" ]; then echo "$b"; else echo "${b%%_*}"; fi
}

bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

for f in "$top"/core/*.c "$top"/core/*.h; do
  [ -f "$f" ] || continue
  m=$(module_of "$f")
  r=$(rank_of "$m")
  if [ -z "$r" ]; then
    bad "$f: module \"$m\" is in no layer of docs/ARCHITECTURE.md"
    continue
  fi
  for inc in $(sed -n 's/^#include "\([^"]*\)\.h".*/\1/p' "$f"); do
    [ "$inc" = config ] && continue
    im=$(module_of "$inc.h")
    ir=$(rank_of "$im")
    if [ -z "$ir" ]; then
      bad "$f includes \"$inc.h\", which is in no layer"
    elif [ "$im" != "$m" ] && [ "$ir" -ge "$r" ]; then
      bad "$f (layer $r, $m) includes \"$inc.h\" (layer $ir, $im): only lower layers"
    else
      pass=$((pass + 1))
    fi
  done
done

for dir in cli daemon; do
  for f in "$top"/$dir/*.c "$top"/$dir/*.h; do
    [ -f "$f" ] || continue
    for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
      case $inc in
      config.h) pass=$((pass + 1)) ;;
      */*) bad "$f includes \"$inc\": $dir/ uses only <smsmux/smsmux.h>" ;;
      *) if [ -f "$top/$dir/$inc" ]; then pass=$((pass + 1));
         else bad "$f includes \"$inc\": $dir/ uses only <smsmux/smsmux.h>"; fi ;;
      esac
    done
    for inc in $(sed -n 's/^#include <smsmux\/\([^>]*\)>.*/\1/p' "$f"); do
      if [ "$inc" = smsmux.h ]; then pass=$((pass + 1));
      else bad "$f includes <smsmux/$inc>: $dir/ uses only <smsmux/smsmux.h>"; fi
    done
  done
done

# The project carries its own design (docs/ARCHITECTURE.md and docs/): no
# pointer to the outside design card.  The name is spelled in two pieces so
# that this script does not name it itself.
outside="DESIGN"'\.md'
hits=$(cd "$top" && grep -rIl "$outside" --exclude-dir=.git \
  core cli daemon sdk plugins include docs tests conf examples bench \
  README.md 2>/dev/null)
if [ -n "$hits" ]; then
  for h in $hits; do bad "$h points at a design document outside the project: use docs/ARCHITECTURE.md or docs/"; done
else
  pass=$((pass + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
