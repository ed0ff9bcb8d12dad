(* I19 c_skip = sigma_d^2/(sigma^2 + sigma_d^2) minimises c_out (the expression in I18),
   giving c_out = sigma sigma_d / sqrt(sigma^2 + sigma_d^2).

   The expression of I18 is E(c_skip) = (1 - c_skip)^2 sigma_d^2 + c_skip^2 sigma^2 (= c_out^2 at
   unit target variance). Completing the square shows the unique minimiser and the minimum. *)
From Coq Require Import Reals Lra.
Open Scope R_scope.

Definition c_out_sq (sd sigma c_skip : R) : R :=
  (1 - c_skip) * (1 - c_skip) * (sd * sd) + c_skip * c_skip * (sigma * sigma).

Definition c_skip_edm (sd sigma : R) : R := sd * sd / (sigma * sigma + sd * sd).
Definition c_out_edm (sd sigma : R) : R := sigma * sd / sqrt (sigma * sigma + sd * sd).

(* The completed square. *)
Theorem I19_completed_square (sd sigma c : R) :
  sd > 0 ->
  c_out_sq sd sigma c
  = (sigma * sigma + sd * sd) * ((c - c_skip_edm sd sigma) * (c - c_skip_edm sd sigma))
    + sigma * sigma * (sd * sd) / (sigma * sigma + sd * sd).
Proof.
  intros Hsd. unfold c_out_sq, c_skip_edm.
  assert (0 < sigma * sigma + sd * sd) by nra. field. lra.
Qed.

(* c_skip_edm is the minimiser, and the only one. *)
Theorem I19_c_skip_minimises (sd sigma c : R) :
  sd > 0 -> c_out_sq sd sigma (c_skip_edm sd sigma) <= c_out_sq sd sigma c.
Proof.
  intros Hsd. rewrite !(I19_completed_square sd sigma) by exact Hsd.
  assert (0 < sigma * sigma + sd * sd) by nra.
  replace (c_skip_edm sd sigma - c_skip_edm sd sigma) with 0 by ring.
  pose proof (Rle_0_sqr (c - c_skip_edm sd sigma)) as Hsq. unfold Rsqr in Hsq.
  set (q := (c - c_skip_edm sd sigma) * (c - c_skip_edm sd sigma)) in *.
  set (m := sigma * sigma * (sd * sd) / (sigma * sigma + sd * sd)).
  set (v := sigma * sigma + sd * sd) in *. nra.
Qed.

Theorem I19_minimiser_unique (sd sigma c : R) :
  sd > 0 -> c_out_sq sd sigma c = c_out_sq sd sigma (c_skip_edm sd sigma) -> c = c_skip_edm sd sigma.
Proof.
  intros Hsd H. rewrite !(I19_completed_square sd sigma) in H by exact Hsd.
  assert (0 < sigma * sigma + sd * sd) by nra.
  replace (c_skip_edm sd sigma - c_skip_edm sd sigma) with 0 in H by ring.
  assert (Hz : (c - c_skip_edm sd sigma) * (c - c_skip_edm sd sigma) = 0).
  { apply (Rmult_eq_reg_l (sigma * sigma + sd * sd)); lra. }
  apply Rmult_integral in Hz. lra.
Qed.

(* The minimum value, and its positive square root: c_out = sigma sigma_d / sqrt(sigma^2 + sigma_d^2). *)
Theorem I19_minimum (sd sigma : R) :
  sd > 0 -> c_out_sq sd sigma (c_skip_edm sd sigma) = sigma * sigma * (sd * sd) / (sigma * sigma + sd * sd).
Proof.
  intros Hsd. rewrite (I19_completed_square sd sigma) by exact Hsd.
  replace (c_skip_edm sd sigma - c_skip_edm sd sigma) with 0 by ring. ring.
Qed.

Theorem I19_c_out (sd sigma : R) :
  sd > 0 -> sigma > 0 -> sqrt (c_out_sq sd sigma (c_skip_edm sd sigma)) = c_out_edm sd sigma.
Proof.
  intros Hsd Hs. rewrite I19_minimum by exact Hsd. unfold c_out_edm.
  assert (Hv : 0 < sigma * sigma + sd * sd) by nra.
  assert (Hq : 0 < sqrt (sigma * sigma + sd * sd)) by (apply sqrt_lt_R0; exact Hv).
  assert (Hqq := sqrt_sqrt (sigma * sigma + sd * sd) (Rlt_le _ _ Hv)).
  apply sqrt_lem_1.
  - apply Rlt_le. apply Rdiv_lt_0_compat; [ repeat apply Rmult_lt_0_compat | ]; lra.
  - apply Rlt_le. apply Rdiv_lt_0_compat; [ repeat apply Rmult_lt_0_compat | ]; lra.
  - replace (sigma * sd / sqrt (sigma * sigma + sd * sd) * (sigma * sd / sqrt (sigma * sigma + sd * sd)))
      with (sigma * sigma * (sd * sd) / (sqrt (sigma * sigma + sd * sd) * sqrt (sigma * sigma + sd * sd)))
      by (field; lra).
    rewrite Hqq. reflexivity.
Qed.
