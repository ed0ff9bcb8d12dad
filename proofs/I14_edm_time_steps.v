(* I14 Time steps, i = 0..N-1, t_N = 0. EDM: t_i = (sigma_max^(1/rho) + i/(N-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho.
   Every discretisation is strictly decreasing, starts at the schedule's largest noise and ends at 0.

   Proved for the EDM discretisation, for rho > 0, 0 < sigma_min < sigma_max and N >= 2, with
   x^y = Rpower x y = exp(y ln x): t_0 = sigma_max, t_{N-1} = sigma_min, t_i > t_j for i < j <= N-1
   (indeed for real i < j in [0, N-1]), and t_{N-1} > t_N = 0. The VP, VE and iDDPM
   discretisations are not formalised here. *)
From Coq Require Import Reals Lra Lia.
Open Scope R_scope.

Definition edm_base (smin smax rho N : R) (i : R) : R :=
  Rpower smax (/ rho) + i / (N - 1) * (Rpower smin (/ rho) - Rpower smax (/ rho)).
Definition edm_step (smin smax rho N : R) (i : R) : R := Rpower (edm_base smin smax rho N i) rho.

(* With t_N = 0 appended, on natural indices. *)
Definition edm_steps (smin smax rho : R) (N : nat) (i : nat) : R :=
  if (i <? N)%nat then edm_step smin smax rho (INR N) (INR i) else 0.

Lemma Rpower_base_lt (x y e : R) : 0 < x -> x < y -> 0 < e -> Rpower x e < Rpower y e.
Proof.
  intros Hx Hxy He. unfold Rpower. apply exp_increasing.
  apply Rmult_lt_compat_l; [ exact He | apply ln_increasing; lra ].
Qed.

Lemma Rpower_inv_cancel (x rho : R) : 0 < x -> rho > 0 -> Rpower (Rpower x (/ rho)) rho = x.
Proof. intros. rewrite Rpower_mult, Rinv_l by lra. apply Rpower_1. exact H. Qed.

Lemma roots_ordered (smin smax rho : R) :
  rho > 0 -> 0 < smin < smax -> 0 < Rpower smin (/ rho) < Rpower smax (/ rho).
Proof.
  intros. split; [ apply exp_pos | apply Rpower_base_lt; try lra; apply Rinv_0_lt_compat; lra ].
Qed.

Theorem I14_edm_first (smin smax rho N : R) :
  rho > 0 -> 0 < smin < smax -> N > 1 -> edm_step smin smax rho N 0 = smax.
Proof.
  intros. unfold edm_step, edm_base. replace (0 / (N - 1)) with 0 by (field; lra).
  rewrite Rmult_0_l, Rplus_0_r. apply Rpower_inv_cancel; lra.
Qed.

Theorem I14_edm_last (smin smax rho N : R) :
  rho > 0 -> 0 < smin < smax -> N > 1 -> edm_step smin smax rho N (N - 1) = smin.
Proof.
  intros. unfold edm_step, edm_base. replace ((N - 1) / (N - 1)) with 1 by (field; lra).
  replace (Rpower smax (/ rho) + 1 * (Rpower smin (/ rho) - Rpower smax (/ rho))) with (Rpower smin (/ rho)) by ring.
  apply Rpower_inv_cancel; lra.
Qed.

Lemma edm_base_pos (smin smax rho N i : R) :
  rho > 0 -> 0 < smin < smax -> N > 1 -> 0 <= i <= N - 1 -> 0 < edm_base smin smax rho N i.
Proof.
  intros Hr Hs HN Hi. pose proof (roots_ordered smin smax rho Hr Hs) as [Ha Hb].
  unfold edm_base. set (a := Rpower smax (/ rho)) in *. set (b := Rpower smin (/ rho)) in *.
  assert (Hf : 0 <= i / (N - 1) <= 1).
  { split; [ unfold Rdiv; apply Rmult_le_pos; [ lra | apply Rlt_le, Rinv_0_lt_compat; lra ] | ]. apply (Rmult_le_reg_r (N - 1)); [ lra | ].
    unfold Rdiv. rewrite Rmult_assoc, Rinv_l by lra. lra. }
  nra.
Qed.

Theorem I14_edm_strictly_decreasing (smin smax rho N i j : R) :
  rho > 0 -> 0 < smin < smax -> N > 1 -> 0 <= i -> i < j -> j <= N - 1 ->
  edm_step smin smax rho N j < edm_step smin smax rho N i.
Proof.
  intros Hr Hs HN Hi Hij Hj. unfold edm_step. apply Rpower_base_lt; [ apply edm_base_pos; lra | | lra ].
  pose proof (roots_ordered smin smax rho Hr Hs) as [Ha Hb].
  unfold edm_base. set (a := Rpower smax (/ rho)) in *. set (b := Rpower smin (/ rho)) in *.
  assert (i / (N - 1) < j / (N - 1)) by (apply Rmult_lt_compat_r; [ apply Rinv_0_lt_compat; lra | lra ]).
  nra.
Qed.

Theorem I14_edm_steps_positive (smin smax rho N i : R) :
  rho > 0 -> 0 < smin < smax -> N > 1 -> 0 <= i <= N - 1 -> 0 < edm_step smin smax rho N i.
Proof. intros. apply exp_pos. Qed.

(* The whole sequence t_0 > t_1 > ... > t_{N-1} > t_N = 0, from sigma_max, on natural indices. *)
Theorem I14_edm_steps_sequence (smin smax rho : R) (N : nat) :
  rho > 0 -> 0 < smin < smax -> (N >= 2)%nat ->
  edm_steps smin smax rho N 0 = smax /\
  edm_steps smin smax rho N (N - 1) = smin /\
  edm_steps smin smax rho N N = 0 /\
  (forall i j : nat, (i < j <= N)%nat -> edm_steps smin smax rho N j < edm_steps smin smax rho N i).
Proof.
  intros Hr Hs HN.
  assert (HNr : INR N > 1) by (replace 1 with (INR 1) by reflexivity; apply lt_INR; lia).
  unfold edm_steps. split; [ | split; [ | split ] ].
  - replace (0 <? N)%nat with true by (symmetry; apply Nat.ltb_lt; lia). simpl INR.
    apply I14_edm_first; lra.
  - replace (N - 1 <? N)%nat with true by (symmetry; apply Nat.ltb_lt; lia).
    rewrite minus_INR by lia. change (INR 1) with 1. apply I14_edm_last; lra.
  - replace (N <? N)%nat with false by (symmetry; apply Nat.ltb_ge; lia). reflexivity.
  - intros i j Hij.
    assert (Hi : (i <? N)%nat = true) by (apply Nat.ltb_lt; lia). rewrite Hi.
    assert (HiN : INR i <= INR N - 1).
    { replace (INR N - 1) with (INR (N - 1)) by (rewrite minus_INR by lia; reflexivity). apply le_INR. lia. }
    destruct (j <? N)%nat eqn:Hj.
    + apply Nat.ltb_lt in Hj. apply I14_edm_strictly_decreasing; try lra.
      * apply pos_INR.
      * apply lt_INR. lia.
      * replace (INR N - 1) with (INR (N - 1)) by (rewrite minus_INR by lia; reflexivity). apply le_INR. lia.
    + apply I14_edm_steps_positive; try lra. split; [ apply pos_INR | exact HiN ].
Qed.
