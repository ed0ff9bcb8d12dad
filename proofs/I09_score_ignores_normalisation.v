(* I09 The score does not depend on the normalisation constant of p (scaling p by a constant
   leaves it unchanged).

   One dimension (each partial derivative of a density on R^d is the same statement in one
   variable): for c > 0 and p differentiable at x with p(x) > 0,
   d/dx ln(c p(x)) = d/dx ln p(x) = p'(x)/p(x). *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Theorem I09_log_derivative (p : R -> R) (x p' : R) :
  p x > 0 -> is_derive p x p' -> is_derive (fun u => ln (p u)) x (p' / p x).
Proof.
  intros Hp Hd. auto_derive.
  - split; [ exists p'; exact Hd | split; [ exact Hp | exact I ] ].
  - replace (Derive (fun u => p u) x) with p' by (symmetry; apply is_derive_unique; exact Hd).
    field. lra.
Qed.

Theorem I09_score_ignores_normalisation (p : R -> R) (c x p' : R) :
  c > 0 -> p x > 0 -> is_derive p x p' ->
  is_derive (fun u => ln (c * p u)) x (p' / p x).
Proof.
  intros Hc Hp Hd. auto_derive.
  - split; [ exists p'; exact Hd | split; [ apply Rmult_lt_0_compat; lra | exact I ] ].
  - replace (Derive (fun u => p u) x) with p' by (symmetry; apply is_derive_unique; exact Hd).
    field. lra.
Qed.
