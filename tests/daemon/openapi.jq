# openapi.jq: the errors of a JSON value against a schema of an OpenAPI 3.0
# document (the subset docs/openapi.json uses: $ref, type, nullable, enum,
# required, properties, additionalProperties, items, oneOf, minItems,
# maxItems).  Input: the value; $doc the document; $schema the schema.
# Output: one string per error, none when the value is valid.
def resolve: if type == "object" and has("$ref")
  then . as $r | $doc | getpath($r["$ref"] | ltrimstr("#/") | split("/"))
  else . end;
def type_ok($t):
  ($t == "string" and type == "string") or
  ($t == "integer" and type == "number" and . == floor) or
  ($t == "number" and type == "number") or
  ($t == "boolean" and type == "boolean") or
  ($t == "array" and type == "array") or
  ($t == "object" and type == "object");
def errors($s; $p):
  ($s | resolve) as $s
  | if . == null and ($s.nullable // false) then empty
    elif $s.oneOf then
      . as $x
      | if [$s.oneOf[] | . as $alt | [$x | errors($alt; $p)] | length == 0] | any
        then empty else "\($p): matches none of oneOf" end
    elif ($s.type != null) and (type_ok($s.type) | not) then
      "\($p): \(type) where the document says \($s.type)"
    elif ($s.enum != null) and (. as $x | $s.enum | map(. == $x) | any | not) then
      "\($p): \(tojson) is not one of \($s.enum | tojson)"
    elif type == "object" then
      ((($s.required // [])[] as $k | select(has($k) | not) | "\($p): \($k) is missing"),
       (to_entries[] as $e
        | if (($s.properties // {}) | has($e.key)) then
            ($e.value | errors($s.properties[$e.key]; "\($p).\($e.key)"))
          elif $s.additionalProperties == false then
            "\($p): \($e.key) is not in the document"
          elif ($s.additionalProperties | type) == "object" then
            ($e.value | errors($s.additionalProperties; "\($p).\($e.key)"))
          else empty end))
    elif type == "array" then
      ((if $s.minItems and length < $s.minItems then "\($p): fewer than \($s.minItems) items" else empty end),
       (if $s.maxItems and length > $s.maxItems then "\($p): more than \($s.maxItems) items" else empty end),
       (if $s.items then to_entries[] | .key as $i | .value | errors($s.items; "\($p)[\($i)]") else empty end))
    else empty end;
errors($schema; "$")
