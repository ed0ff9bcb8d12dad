#!/bin/sh
# Fails if a proof file contains an escape hatch. Admitted and admit compile with exit 0;
# Axiom, Parameter, Hypothesis, Variable and Context add assumptions (at top level, axioms);
# the proofs state every hypothesis as a premise of the theorem instead, so none is needed.
# Comments (* ... *) are stripped first, keeping line numbers.
status=0
pattern='(^|[^A-Za-z0-9_'"'"'])(Admitted|admit|Axioms?|Parameters?|Hypothes[ie]s|Variables?|Context|Conjecture|Unset[[:space:]]+(Guard|Positivity|Universe)[[:space:]]+Checking|Type[[:space:]]*In[[:space:]]*Type)([^A-Za-z0-9_'"'"']|$)'
for f in "$@"; do
  hits=$(perl -0777 -pe 's{\(\*.*?\*\)}{"\n" x ($& =~ tr/\n//)}gse' "$f" | grep -nE "$pattern" || true)
  if [ -n "$hits" ]; then
    echo "guard: forbidden construct in $f:" >&2
    echo "$hits" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "guard: $# files clean"
exit $status
