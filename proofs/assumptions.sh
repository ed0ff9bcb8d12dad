#!/bin/sh
# Prints the assumptions of every Theorem/Lemma/Corollary/Proposition/Fact/Remark in the given
# files and fails if any is outside ALLOWED_AXIOMS: the axioms the Coq standard library's reals
# rest on (ClassicalDedekindReals) plus classical logic and functional extensionality, which
# Coquelicot uses. Anything declared by a proof file itself would show up here and fail.
set -e
ALLOWED_AXIOMS="ClassicalDedekindReals.sig_not_dec ClassicalDedekindReals.sig_forall_dec
FunctionalExtensionality.functional_extensionality_dep Classical_Prop.classic
PropExtensionality.propositional_extensionality"
COQC=${COQC:-coqc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/Check.v
log=$tmp/check.out
: > "$out"
n=0
for f in "$@"; do
  m=$(basename "$f" .v)
  echo "Require Elucidated.$m." >> "$out"
  for t in $(sed -nE 's/^[[:space:]]*(Theorem|Lemma|Corollary|Proposition|Fact|Remark)[[:space:]]+([A-Za-z0-9_'"'"']+).*/\2/p' "$f"); do
    echo "Print Assumptions Elucidated.$m.$t." >> "$out"
    n=$((n + 1))
  done
done
$COQC -Q . Elucidated "$out" > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
# An axiom line starts at column 0 with its name followed by " :" or alone (long type wrapped).
bad=$(awk '/^Axioms:/{ax=1; next} /^Closed under the global context/{ax=0; next}
           ax && /^[^[:space:]]/ {print $1}' "$log" | sort -u | while read -r a; do
        case " $(echo $ALLOWED_AXIOMS) " in *" $a "*) ;; *) echo "$a";; esac
      done)
if [ -n "$bad" ]; then
  echo "assumptions: disallowed axioms used:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "assumptions: $n theorems use only the allowed axioms"
