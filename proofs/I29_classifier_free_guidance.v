(* I29 Classifier-free guidance: D_w = D_uncond + w (D_cond - D_uncond) (equivalently on eps or on
   the score); w = 1 returns the conditional denoiser, w = 0 the unconditional one.

   Per coordinate, any s > 0, sigma > 0. "Equivalently": the maps D -> eps = (x/s - D)/sigma and
   D -> score = (D - x/s)/(s sigma^2) (I06, I27) are affine in D, so guiding eps or the score and
   converting back gives the same D_w. *)
From Coq Require Import Reals Lra.
Open Scope R_scope.

Definition guide (w u c : R) : R := u + w * (c - u).

Theorem I29_w_zero (u c : R) : guide 0 u c = u.
Proof. unfold guide. ring. Qed.

Theorem I29_w_one (u c : R) : guide 1 u c = c.
Proof. unfold guide. ring. Qed.

(* Guidance is an affine combination: (1 - w) u + w c. *)
Theorem I29_affine (w u c : R) : guide w u c = (1 - w) * u + w * c.
Proof. unfold guide. ring. Qed.

Definition eps_of_D (s sigma x D : R) : R := (x / s - D) / sigma.
Definition score_of_D (s sigma x D : R) : R := (D - x / s) / (s * (sigma * sigma)).

Theorem I29_on_eps (w s sigma x u c : R) :
  s > 0 -> sigma > 0 ->
  guide w (eps_of_D s sigma x u) (eps_of_D s sigma x c) = eps_of_D s sigma x (guide w u c).
Proof. intros. unfold guide, eps_of_D. field. lra. Qed.

Theorem I29_on_score (w s sigma x u c : R) :
  s > 0 -> sigma > 0 ->
  guide w (score_of_D s sigma x u) (score_of_D s sigma x c) = score_of_D s sigma x (guide w u c).
Proof. intros. unfold guide, score_of_D. field. lra. Qed.
