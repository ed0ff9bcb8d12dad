(* I10 VP: beta(t) = beta_min + beta_d t; sigma(t) = sqrt(exp(beta_d t^2 / 2 + beta_min t) - 1);
   s(t) = 1 / sqrt(exp(beta_d t^2 / 2 + beta_min t)) = 1 / sqrt(sigma(t)^2 + 1); f = -beta(t)/2, g = sqrt(beta(t));
   inverse sigma^-1(sigma) = (sqrt(beta_min^2 + 2 beta_d ln(sigma^2 + 1)) - beta_min) / beta_d;
   DDPM link: abar_t = s(t)^2, sigma = sqrt((1 - abar)/abar).

   Hypotheses: beta_d > 0, beta_min >= 0 (the paper's 19.9 and 0.1), t >= 0 (t > 0 where sigma is
   differentiated, since sqrt is not differentiable at 0). sigma'(t) and s'(t) come from is_derive;
   f = s'/s and g = s sqrt(2 sigma' sigma) (I02) then equal -beta/2 and sqrt(beta). The inverse is a
   left inverse on t >= 0 and a right inverse on sigma >= 0. *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Definition vp_E (bd bm t : R) : R := bd * (t * t) / 2 + bm * t.
Definition vp_beta (bd bm t : R) : R := bm + bd * t.
Definition vp_sigma (bd bm t : R) : R := sqrt (exp (vp_E bd bm t) - 1).
Definition vp_s (bd bm t : R) : R := / sqrt (exp (vp_E bd bm t)).
Definition vp_sigma_inv (bd bm sig : R) : R := (sqrt (bm * bm + 2 * bd * ln (sig * sig + 1)) - bm) / bd.

Lemma vp_E_nonneg (bd bm t : R) : bd > 0 -> bm >= 0 -> t >= 0 -> vp_E bd bm t >= 0.
Proof. intros. unfold vp_E. assert (0 <= t * t) by nra. assert (0 <= bm * t) by nra. nra. Qed.

Lemma vp_E_pos (bd bm t : R) : bd > 0 -> bm >= 0 -> t > 0 -> vp_E bd bm t > 0.
Proof. intros. unfold vp_E. assert (0 < t * t) by nra. assert (0 <= bm * t) by nra. nra. Qed.

Lemma exp_ge_1 (x : R) : x >= 0 -> exp x >= 1.
Proof. intros [H | H]; [ left; rewrite <- exp_0; apply exp_increasing; lra | subst; rewrite exp_0; lra ]. Qed.

Lemma exp_gt_1 (x : R) : x > 0 -> exp x > 1.
Proof. intros H. rewrite <- exp_0. apply exp_increasing. lra. Qed.

Theorem I10_vp_s_from_sigma (bd bm t : R) :
  bd > 0 -> bm >= 0 -> t >= 0 -> vp_s bd bm t = / sqrt (vp_sigma bd bm t * vp_sigma bd bm t + 1).
Proof.
  intros. unfold vp_s, vp_sigma. pose proof (exp_ge_1 _ (vp_E_nonneg bd bm t H H0 H1)).
  rewrite sqrt_sqrt by lra. f_equal. f_equal. ring.
Qed.

Theorem I10_vp_sigma_derivative (bd bm t : R) :
  bd > 0 -> bm >= 0 -> t > 0 ->
  is_derive (vp_sigma bd bm) t (vp_beta bd bm t * exp (vp_E bd bm t) / (2 * vp_sigma bd bm t)).
Proof.
  intros Hd Hm Ht. pose proof (exp_gt_1 _ (vp_E_pos bd bm t Hd Hm Ht)) as He.
  unfold vp_sigma, vp_beta, vp_E in *. auto_derive.
  - lra.
  - assert (0 < sqrt (exp (bd * (t * t) / 2 + bm * t) - 1)) by (apply sqrt_lt_R0; lra). unfold Rminus, Rdiv in *. field. lra.
Qed.

Theorem I10_vp_s_derivative (bd bm t : R) :
  bd > 0 -> bm >= 0 -> t >= 0 ->
  is_derive (vp_s bd bm) t (- vp_beta bd bm t / 2 * vp_s bd bm t).
Proof.
  intros Hd Hm Ht. unfold vp_s, vp_beta, vp_E. auto_derive.
  - split; [ apply exp_pos | ]. split; [ apply Rgt_not_eq, sqrt_lt_R0, exp_pos | exact I ].
  - assert (Hq : 0 < sqrt (exp (bd * (t * t) / 2 + bm * t))) by apply sqrt_lt_R0, exp_pos.
    pose proof (sqrt_sqrt (exp (bd * (t * t) / 2 + bm * t)) (Rlt_le _ _ (exp_pos _))) as Hqq.
    unfold Rdiv in *. rewrite Hqq. pose proof (exp_pos (bd * (t * t) * / 2 + bm * t)). field. lra.
Qed.

Theorem I10_vp_f (bd bm t : R) :
  bd > 0 -> bm >= 0 -> t >= 0 -> (- vp_beta bd bm t / 2 * vp_s bd bm t) / vp_s bd bm t = - vp_beta bd bm t / 2.
Proof.
  intros. unfold vp_s. assert (0 < sqrt (exp (vp_E bd bm t))) by apply sqrt_lt_R0, exp_pos.
  field. lra.
Qed.

Theorem I10_vp_g (bd bm t : R) :
  bd > 0 -> bm >= 0 -> t > 0 ->
  vp_s bd bm t * sqrt (2 * (vp_beta bd bm t * exp (vp_E bd bm t) / (2 * vp_sigma bd bm t)) * vp_sigma bd bm t)
  = sqrt (vp_beta bd bm t).
Proof.
  intros Hd Hm Ht. pose proof (exp_gt_1 _ (vp_E_pos bd bm t Hd Hm Ht)) as He.
  assert (Hsig : 0 < vp_sigma bd bm t) by (apply sqrt_lt_R0; lra).
  assert (Hb : 0 <= vp_beta bd bm t) by (unfold vp_beta; nra).
  replace (2 * (vp_beta bd bm t * exp (vp_E bd bm t) / (2 * vp_sigma bd bm t)) * vp_sigma bd bm t)
    with (vp_beta bd bm t * exp (vp_E bd bm t)) by (field; lra).
  unfold vp_s. rewrite sqrt_mult by (try apply Rlt_le, exp_pos; lra).
  assert (0 < sqrt (exp (vp_E bd bm t))) by apply sqrt_lt_R0, exp_pos. field. lra.
Qed.

(* The inverse: left inverse on t >= 0. *)
Theorem I10_vp_sigma_inv_left (bd bm t : R) :
  bd > 0 -> bm >= 0 -> t >= 0 -> vp_sigma_inv bd bm (vp_sigma bd bm t) = t.
Proof.
  intros Hd Hm Ht. pose proof (exp_ge_1 _ (vp_E_nonneg bd bm t Hd Hm Ht)) as He.
  unfold vp_sigma_inv, vp_sigma. rewrite sqrt_sqrt by lra.
  replace (exp (vp_E bd bm t) - 1 + 1) with (exp (vp_E bd bm t)) by ring. rewrite ln_exp.
  unfold vp_E. replace (bm * bm + 2 * bd * (bd * (t * t) / 2 + bm * t)) with ((bd * t + bm) * (bd * t + bm)) by field.
  rewrite sqrt_square by nra. field. lra.
Qed.

(* ... and right inverse on sigma >= 0. *)
Theorem I10_vp_sigma_inv_right (bd bm sig : R) :
  bd > 0 -> bm >= 0 -> sig >= 0 -> vp_sigma bd bm (vp_sigma_inv bd bm sig) = sig.
Proof.
  intros Hd Hm Hs.
  assert (HL : 0 <= ln (sig * sig + 1)).
  { rewrite <- ln_1. destruct (Req_dec sig 0) as [-> | Hne]; [ right; f_equal; ring | ].
    left. apply ln_increasing; [ lra | ]. assert (0 < sig * sig) by nra. lra. }
  unfold vp_sigma, vp_sigma_inv, vp_E.
  set (L := ln (sig * sig + 1)) in *.
  assert (HQ : 0 <= bm * bm + 2 * bd * L) by nra.
  pose proof (sqrt_sqrt _ HQ) as Hqq.
  set (q := sqrt (bm * bm + 2 * bd * L)) in *.
  replace (bd * ((q - bm) / bd * ((q - bm) / bd)) / 2 + bm * ((q - bm) / bd)) with L.
  - unfold L. rewrite exp_ln by nra. replace (sig * sig + 1 - 1) with (sig * sig) by ring.
    apply sqrt_square. lra.
  - field_simplify_eq; [ | lra ]. replace (q ^ 2) with (q * q) by ring. rewrite Hqq. ring.
Qed.

(* DDPM link. *)
Theorem I10_vp_ddpm_link (bd bm t : R) :
  bd > 0 -> bm >= 0 -> t >= 0 ->
  let abar := vp_s bd bm t * vp_s bd bm t in
  0 < abar <= 1 /\ vp_sigma bd bm t = sqrt ((1 - abar) / abar).
Proof.
  intros Hd Hm Ht abar. pose proof (exp_ge_1 _ (vp_E_nonneg bd bm t Hd Hm Ht)) as He.
  assert (Habar : abar = / exp (vp_E bd bm t)).
  { unfold abar, vp_s. rewrite <- Rinv_mult. rewrite sqrt_sqrt by lra. reflexivity. }
  rewrite Habar. split.
  - split; [ apply Rinv_0_lt_compat; lra | ]. rewrite <- Rinv_1. apply Rinv_le_contravar; lra.
  - unfold vp_sigma. f_equal. field. lra.
Qed.
