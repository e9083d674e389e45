# Reads an abidiff report and prints every line that is NOT an allowed
# append (docs/ABI.md): members added at the end of a struct (the struct
# grows and every insertion lies at or past its old size), enumerators
# added (abidiff hides those by default), nothing removed.  Anything it
# does not recognise is printed too: an unknown kind of change fails the
# guard rather than slipping through.  Empty output = compatible.
function bad(why) { printf "%s%s\n", $0, why ? "    <- " why : ""; }
{
  line = $0
  sub(/^[ \t]+/, "", line)
}
line == "" { next }
line ~ /^Functions changes summary: / {
  if (line !~ /^Functions changes summary: 0 Removed/) bad("functions removed")
  next
}
line ~ /^Variables changes summary: / {
  if (line !~ /^Variables changes summary: 0 Removed/) bad("variables removed")
  next
}
line ~ /^[0-9]+ functions? with some indirect sub-type changes?:$/ { next }
line ~ /^\[C\] 'function .*' has some indirect sub-type changes:$/ { next }
line ~ /^parameter [0-9]+ of type '.*' has sub-type changes:$/ { next }
line ~ /^in pointed to type '.*':$/ { next }
line ~ /^in unqualified underlying type '.*':$/ { next }
line ~ /^underlying type '.*' changed:$/ { old = -1; next }
line ~ /^type size changed from [0-9]+ to [0-9]+ \(in bits\)$/ {
  split(line, w, " ")
  old = w[5] + 0
  if (w[7] + 0 < old) bad("the type shrank")
  next
}
line == "type size hasn't changed" { old = -1; next }
line ~ /^[0-9]+ data member insertions?:$/ { next }
line ~ /^'.*', at offset [0-9]+ \(in bits\)$/ {
  n = split(line, w, " ")
  if (old < 0 || w[n - 2] + 0 < old)
    bad("inserted before the end of the struct")
  next
}
line ~ /^no data member changes? \([0-9]+ filtered\);$/ { next }
line ~ /^[0-9]+ enumerator insertions?:$/ { next }
line ~ /^'[A-Za-z0-9_]+' value '[-0-9]+'$/ { next }
{ bad("") }
