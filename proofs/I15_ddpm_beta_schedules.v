(* I15 Linear and cosine DDPM beta schedules: beta_t = beta_1 + (t-1)/(T-1) (beta_T - beta_1);
   cosine abar_t = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) pi/2), betas clipped at 0.999;
   abar_t = prod (1 - beta_s) ~ exp(-int beta).

   Proved, for T > 1 and offset s >= 0: the linear schedule's endpoints are beta_1 and beta_T;
   f(0) > 0, so the cosine abar_t is well defined, abar_0 = 1 and abar_T = 0; and
   abar_t = prod_{u <= t} (1 - beta_u) with beta_u = 1 - abar_u/abar_{u-1} (unclipped), a telescoping
   product. The clipping and the approximation by exp(-int beta) are not formalised. *)
From Coq Require Import Reals Lra Lia.
Open Scope R_scope.

Definition linear_beta (b1 bT T t : R) : R := b1 + (t - 1) / (T - 1) * (bT - b1).

Theorem I15_linear_endpoints (b1 bT T : R) :
  T > 1 -> linear_beta b1 bT T 1 = b1 /\ linear_beta b1 bT T T = bT.
Proof. intros. unfold linear_beta. split; field; lra. Qed.

Definition cos_f (s T t : R) : R := Rsqr (cos ((t / T + s) / (1 + s) * (PI / 2))).
Definition cos_abar (s T t : R) : R := cos_f s T t / cos_f s T 0.

Lemma cos_f0_pos (s T : R) : s >= 0 -> T > 0 -> 0 < cos_f s T 0.
Proof.
  intros Hs HT. unfold cos_f. apply Rsqr_pos_lt. apply Rgt_not_eq, cos_gt_0.
  - pose proof PI_RGT_0. replace ((0 / T + s) / (1 + s)) with (s / (1 + s)) by (field; lra).
    assert (0 <= s / (1 + s)) by (apply Rmult_le_pos; [ lra | apply Rlt_le, Rinv_0_lt_compat; lra ]). nra.
  - pose proof PI_RGT_0. replace ((0 / T + s) / (1 + s)) with (s / (1 + s)) by (field; lra).
    assert (Hq : s / (1 + s) < 1).
    { apply (Rmult_lt_reg_r (1 + s)); [ lra | ]. unfold Rdiv. rewrite Rmult_assoc, Rinv_l by lra. lra. }
    set (q := s / (1 + s)) in *. rewrite <- (Rmult_1_l (PI / 2)) at 2.
    apply Rmult_lt_compat_r; lra.
Qed.

Theorem I15_cosine_abar_0 (s T : R) : s >= 0 -> T > 0 -> cos_abar s T 0 = 1.
Proof. intros. unfold cos_abar. pose proof (cos_f0_pos s T H H0). field. lra. Qed.

Theorem I15_cosine_abar_T (s T : R) : s >= 0 -> T > 0 -> cos_abar s T T = 0.
Proof.
  intros. unfold cos_abar, cos_f. replace ((T / T + s) / (1 + s) * (PI / 2)) with (PI / 2) by (field; lra).
  rewrite cos_PI2. unfold Rsqr, Rdiv. rewrite !Rmult_0_l. reflexivity.
Qed.

(* abar_t = prod_{u=1..t} (1 - beta_u) with 1 - beta_u = abar_u / abar_{u-1}, for any positive abar
   sequence with abar_0 = 1. *)
Fixpoint prod_alpha (abar : nat -> R) (t : nat) : R :=
  match t with O => 1 | S u => prod_alpha abar u * (abar (S u) / abar u) end.

Theorem I15_abar_is_product (abar : nat -> R) :
  abar O = 1 -> (forall u, abar u > 0) -> forall t, prod_alpha abar t = abar t.
Proof.
  intros H0 Hpos t. induction t as [ | t IH ]; simpl; [ symmetry; exact H0 | ].
  rewrite IH. field. apply Rgt_not_eq, Hpos.
Qed.
