(* I14 Time steps, VP and VE columns, i = 0..N-1 (t_N = 0 appended, as for EDM):
   VP: t_i = 1 + i/(N-1) (eps_s - 1);  VE: t_i = sigma_max^2 (sigma_min^2/sigma_max^2)^(i/(N-1)).

   Proved for N > 1 and real i in [0, N-1], with x^y = Rpower x y = exp(y ln x):
   - VP, 0 < eps_s < 1: t_0 = 1, t_{N-1} = eps_s, strictly decreasing, positive, and equal to the
     code's form (i eps_s + (N - 1 - i))/(N - 1);
   - VE, 0 < sigma_min < sigma_max: t_0 = sigma_max^2, t_{N-1} = sigma_min^2, strictly decreasing,
     positive, and equal to the code's form exp(2 ((N-1-i) ln sigma_max + i ln sigma_min)/(N-1)).
   The iDDPM index selection and the NVlabs rounding variant are not formalised. *)
From Coq Require Import Reals Lra.
Open Scope R_scope.

Definition vp_step (eps N i : R) : R := 1 + i / (N - 1) * (eps - 1).
Definition ve_step (smin smax N i : R) : R :=
  smax * smax * Rpower (smin * smin / (smax * smax)) (i / (N - 1)).

Lemma frac_lt (N i j : R) : N > 1 -> i < j -> i / (N - 1) < j / (N - 1).
Proof. intros. apply Rmult_lt_compat_r; [ apply Rinv_0_lt_compat; lra | lra ]. Qed.

Lemma frac_unit (N i : R) : N > 1 -> 0 <= i <= N - 1 -> 0 <= i / (N - 1) <= 1.
Proof.
  intros HN Hi. split.
  - unfold Rdiv. apply Rmult_le_pos; [ lra | apply Rlt_le, Rinv_0_lt_compat; lra ].
  - apply (Rmult_le_reg_r (N - 1)); [ lra | ]. unfold Rdiv. rewrite Rmult_assoc, Rinv_l by lra. lra.
Qed.

Theorem I14_vp_first (eps N : R) : N > 1 -> vp_step eps N 0 = 1.
Proof. intros. unfold vp_step. field. lra. Qed.

Theorem I14_vp_last (eps N : R) : N > 1 -> vp_step eps N (N - 1) = eps.
Proof. intros. unfold vp_step. field. lra. Qed.

Theorem I14_vp_strictly_decreasing (eps N i j : R) :
  0 < eps < 1 -> N > 1 -> i < j -> vp_step eps N j < vp_step eps N i.
Proof. intros He HN Hij. pose proof (frac_lt N i j HN Hij). unfold vp_step. nra. Qed.

Theorem I14_vp_positive (eps N i : R) : 0 < eps < 1 -> N > 1 -> 0 <= i <= N - 1 -> 0 < vp_step eps N i.
Proof. intros He HN Hi. pose proof (frac_unit N i HN Hi). unfold vp_step. nra. Qed.

Theorem I14_vp_code_form (eps N i : R) : N > 1 -> vp_step eps N i = (i * eps + (N - 1 - i)) / (N - 1).
Proof. intros. unfold vp_step. field. lra. Qed.

Lemma ratio_in_unit (smin smax : R) : 0 < smin < smax -> 0 < smin * smin / (smax * smax) < 1.
Proof.
  intros Hs. split; [ apply Rdiv_lt_0_compat; nra | ].
  apply (Rmult_lt_reg_r (smax * smax)); [ nra | ]. unfold Rdiv. rewrite Rmult_assoc, Rinv_l by nra. nra.
Qed.

Theorem I14_ve_first (smin smax N : R) : 0 < smin < smax -> N > 1 -> ve_step smin smax N 0 = smax * smax.
Proof.
  intros. unfold ve_step. replace (0 / (N - 1)) with 0 by (field; lra). rewrite Rpower_O; [ ring | ].
  apply ratio_in_unit. exact H.
Qed.

Theorem I14_ve_last (smin smax N : R) : 0 < smin < smax -> N > 1 -> ve_step smin smax N (N - 1) = smin * smin.
Proof.
  intros. unfold ve_step. replace ((N - 1) / (N - 1)) with 1 by (field; lra).
  rewrite Rpower_1 by (apply ratio_in_unit; exact H). field. lra.
Qed.

Theorem I14_ve_strictly_decreasing (smin smax N i j : R) :
  0 < smin < smax -> N > 1 -> i < j -> ve_step smin smax N j < ve_step smin smax N i.
Proof.
  intros Hs HN Hij. pose proof (frac_lt N i j HN Hij). pose proof (ratio_in_unit smin smax Hs) as [Hq0 Hq1].
  assert (Hl : ln (smin * smin / (smax * smax)) < 0) by (rewrite <- ln_1; apply ln_increasing; lra).
  unfold ve_step. apply Rmult_lt_compat_l; [ nra | ]. unfold Rpower. apply exp_increasing. nra.
Qed.

Theorem I14_ve_positive (smin smax N i : R) : 0 < smin < smax -> N > 1 -> 0 < ve_step smin smax N i.
Proof. intros. unfold ve_step. apply Rmult_lt_0_compat; [ nra | apply exp_pos ]. Qed.

Theorem I14_ve_code_form (smin smax N i : R) :
  0 < smin < smax -> N > 1 ->
  ve_step smin smax N i = exp (2 * ((N - 1 - i) * ln smax + i * ln smin) / (N - 1)).
Proof.
  intros Hs HN. unfold ve_step, Rpower.
  rewrite <- (exp_ln (smax * smax)) at 1 by nra. rewrite <- exp_plus. f_equal.
  replace (ln (smin * smin / (smax * smax))) with (2 * ln smin - 2 * ln smax).
  - rewrite ln_mult by lra. field. lra.
  - unfold Rdiv. rewrite ln_mult by (try apply Rinv_0_lt_compat; nra).
    rewrite ln_Rinv by nra. rewrite !ln_mult by lra. ring.
Qed.
