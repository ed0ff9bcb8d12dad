(* I16 D(x; sigma) = c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x; c_noise(sigma)), with Table 1
   (VP, VE, iDDPM, EDM columns).
   I21 EDM weight lambda = (sigma^2 + sigma_d^2)/(sigma sigma_d)^2 makes lambda c_out^2 = 1;
   VP, VE, iDDPM use 1/sigma^2 (and also give lambda c_out^2 = 1).

   Proved here, for sigma > 0 and sigma_d > 0:
   - every column's (c_skip, c_out) satisfies the unit-target condition of I18,
     c_out^2 = (1 - c_skip)^2 sigma_d^2 + c_skip^2 sigma^2 (VP, VE, iDDPM for any sigma_d, since c_skip = 1);
   - EDM's c_in gives unit input variance c_in^2 (sigma^2 + sigma_d^2) = 1 (I17), and VP's/iDDPM's
     c_in does so for sigma_d = 1, the data scaling those models assume;
   - lambda c_out^2 = 1 for every column (I21);
   - the EDM denoiser with F = 0 is c_skip x, and D tends to x (c_skip -> 1, c_out -> 0) as sigma -> 0. *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Definition precond_D (c_skip c_out c_in c_noise : R) (F : R -> R -> R) (x : R) : R :=
  c_skip * x + c_out * F (c_in * x) c_noise.

(* Table 1. *)
Definition vp_c_skip (sigma : R) := 1.
Definition vp_c_out (sigma : R) := - sigma.
Definition vp_c_in (sigma : R) := 1 / sqrt (sigma * sigma + 1).
Definition ve_c_skip (sigma : R) := 1.
Definition ve_c_out (sigma : R) := sigma.
Definition ve_c_in (sigma : R) := 1.
Definition ve_c_noise (sigma : R) := ln (sigma / 2).
Definition iddpm_c_skip (sigma : R) := 1.
Definition iddpm_c_out (sigma : R) := - sigma.
Definition iddpm_c_in (sigma : R) := 1 / sqrt (sigma * sigma + 1).
Definition edm_c_skip (sd sigma : R) := sd * sd / (sigma * sigma + sd * sd).
Definition edm_c_out (sd sigma : R) := sigma * sd / sqrt (sigma * sigma + sd * sd).
Definition edm_c_in (sd sigma : R) := 1 / sqrt (sigma * sigma + sd * sd).
Definition edm_c_noise (sigma : R) := ln sigma / 4.
Definition edm_lambda (sd sigma : R) := (sigma * sigma + sd * sd) / ((sigma * sd) * (sigma * sd)).
Definition inv_sq_lambda (sigma : R) := 1 / (sigma * sigma).

Definition unit_target (sd sigma c_skip c_out : R) : Prop :=
  c_out * c_out = (1 - c_skip) * (1 - c_skip) * (sd * sd) + c_skip * c_skip * (sigma * sigma).

Lemma sqrt_sq_pos (v : R) : 0 < v -> sqrt v * sqrt v = v.
Proof. intros. apply sqrt_sqrt. lra. Qed.

Theorem I16_vp_unit_target (sd sigma : R) : unit_target sd sigma (vp_c_skip sigma) (vp_c_out sigma).
Proof. unfold unit_target, vp_c_skip, vp_c_out. ring. Qed.
Theorem I16_ve_unit_target (sd sigma : R) : unit_target sd sigma (ve_c_skip sigma) (ve_c_out sigma).
Proof. unfold unit_target, ve_c_skip, ve_c_out. ring. Qed.
Theorem I16_iddpm_unit_target (sd sigma : R) : unit_target sd sigma (iddpm_c_skip sigma) (iddpm_c_out sigma).
Proof. unfold unit_target, iddpm_c_skip, iddpm_c_out. ring. Qed.

Theorem I16_edm_unit_target (sd sigma : R) :
  sd > 0 -> unit_target sd sigma (edm_c_skip sd sigma) (edm_c_out sd sigma).
Proof.
  intros Hsd. unfold unit_target, edm_c_skip, edm_c_out.
  assert (Hv : 0 < sigma * sigma + sd * sd) by nra.
  pose proof (sqrt_sq_pos _ Hv) as Hq.
  assert (0 < sqrt (sigma * sigma + sd * sd)) by (apply sqrt_lt_R0; lra).
  replace (sigma * sd / sqrt (sigma * sigma + sd * sd) * (sigma * sd / sqrt (sigma * sigma + sd * sd)))
    with (sigma * sigma * (sd * sd) / (sqrt (sigma * sigma + sd * sd) * sqrt (sigma * sigma + sd * sd)))
    by (field; lra).
  rewrite Hq. field. lra.
Qed.

Theorem I16_edm_unit_input (sd sigma : R) :
  sd > 0 -> edm_c_in sd sigma * edm_c_in sd sigma * (sigma * sigma + sd * sd) = 1.
Proof.
  intros Hsd. unfold edm_c_in.
  assert (Hv : 0 < sigma * sigma + sd * sd) by nra.
  pose proof (sqrt_sq_pos _ Hv) as Hq.
  assert (0 < sqrt (sigma * sigma + sd * sd)) by (apply sqrt_lt_R0; lra).
  rewrite <- Hq at 3. field. lra.
Qed.

Theorem I16_vp_unit_input (sigma : R) :
  vp_c_in sigma * vp_c_in sigma * (sigma * sigma + 1 * 1) = 1.
Proof.
  unfold vp_c_in. rewrite Rmult_1_r.
  assert (Hv : 0 < sigma * sigma + 1) by nra.
  pose proof (sqrt_sq_pos _ Hv) as Hq.
  assert (0 < sqrt (sigma * sigma + 1)) by (apply sqrt_lt_R0; lra).
  rewrite <- Hq at 3. field. lra.
Qed.

Theorem I16_iddpm_c_in_eq_vp (sigma : R) : iddpm_c_in sigma = vp_c_in sigma.
Proof. reflexivity. Qed.

Theorem I16_edm_zero_network (sd sigma x : R) :
  precond_D (edm_c_skip sd sigma) (edm_c_out sd sigma) (edm_c_in sd sigma) (edm_c_noise sigma)
            (fun _ _ => 0) x = edm_c_skip sd sigma * x.
Proof. unfold precond_D. ring. Qed.

(* As sigma -> 0 the EDM skip weight tends to 1 and the output weight to 0: D(x; 0+) = x. *)
Theorem I16_edm_small_sigma (sd : R) :
  sd > 0 ->
  is_lim (edm_c_skip sd) 0 1 /\ is_lim (edm_c_out sd) 0 0.
Proof.
  intros Hsd. assert (Hsd2 : 0 < sd * sd) by nra.
  assert (Hq : 0 < sqrt (0 * 0 + sd * sd)) by (apply sqrt_lt_R0; lra).
  split.
  - assert (Hc : continuity_pt (edm_c_skip sd) 0).
    { apply continuity_pt_filterlim. apply (ex_derive_continuous (edm_c_skip sd)).
      unfold edm_c_skip. auto_derive. lra. }
    pose proof (is_lim_continuity _ _ Hc) as Hl.
    replace (edm_c_skip sd 0) with 1 in Hl by (unfold edm_c_skip; field; lra). exact Hl.
  - assert (Hc : continuity_pt (edm_c_out sd) 0).
    { apply continuity_pt_filterlim. apply (ex_derive_continuous (edm_c_out sd)).
      unfold edm_c_out. auto_derive. lra. }
    pose proof (is_lim_continuity _ _ Hc) as Hl.
    replace (edm_c_out sd 0) with 0 in Hl by (unfold edm_c_out; field; lra). exact Hl.
Qed.

(* I21 *)
Theorem I21_edm_lambda_c_out_sq (sd sigma : R) :
  sd > 0 -> sigma > 0 -> edm_lambda sd sigma * (edm_c_out sd sigma * edm_c_out sd sigma) = 1.
Proof.
  intros Hsd Hs. unfold edm_lambda, edm_c_out.
  assert (Hv : 0 < sigma * sigma + sd * sd) by nra.
  pose proof (sqrt_sq_pos _ Hv) as Hq.
  assert (0 < sqrt (sigma * sigma + sd * sd)) by (apply sqrt_lt_R0; lra).
  replace (sigma * sd / sqrt (sigma * sigma + sd * sd) * (sigma * sd / sqrt (sigma * sigma + sd * sd)))
    with (sigma * sigma * (sd * sd) / (sqrt (sigma * sigma + sd * sd) * sqrt (sigma * sigma + sd * sd)))
    by (field; lra).
  rewrite Hq. field. lra.
Qed.

Theorem I21_vp_ve_iddpm_lambda_c_out_sq (sigma : R) :
  sigma > 0 ->
  inv_sq_lambda sigma * (vp_c_out sigma * vp_c_out sigma) = 1 /\
  inv_sq_lambda sigma * (ve_c_out sigma * ve_c_out sigma) = 1 /\
  inv_sq_lambda sigma * (iddpm_c_out sigma * iddpm_c_out sigma) = 1.
Proof.
  intros Hs. unfold inv_sq_lambda, vp_c_out, ve_c_out, iddpm_c_out.
  repeat split; field; lra.
Qed.
