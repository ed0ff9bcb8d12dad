(* I17 Unit input variance: Var[c_in (y + n)] = 1 iff c_in = 1/sqrt(sigma^2 + sigma_data^2).
   I18 Effective target F_target = (y - c_skip (y + n)) / c_out has unit variance iff
       c_out^2 = (1 - c_skip)^2 sigma_data^2 + c_skip^2 sigma^2.

   Moment algebra, one dimension (each dimension of y and n is treated alike).
   The random variables enter only through their moments, given as real numbers:
     Ey  = E[y],   Eyy = E[y^2],  with Var y = Eyy - Ey^2 = sigma_data^2,
     En  = E[n] = 0, Enn = E[n^2] = sigma^2 (so Var n = sigma^2),
     Eyn = E[y n] = Ey * En        (y and n independent, so Cov(y, n) = 0).
   For X = a y + b n, linearity of expectation gives E[X] = a Ey + b En and
   E[X^2] = a^2 Eyy + 2 a b Eyn + b^2 Enn; Var X = E[X^2] - E[X]^2. *)
From Coq Require Import Reals Lra.
Open Scope R_scope.

(* Moments of a y + b n by linearity of expectation. *)
Definition mean_lin (a b Ey En : R) : R := a * Ey + b * En.
Definition second_lin (a b Eyy Eyn Enn : R) : R := a * a * Eyy + 2 * a * b * Eyn + b * b * Enn.
Definition var_lin (a b Ey Eyy En Enn Eyn : R) : R :=
  second_lin a b Eyy Eyn Enn - mean_lin a b Ey En * mean_lin a b Ey En.

(* Var(a y + b n) = a^2 sigma_data^2 + b^2 sigma^2 under the moment hypotheses. *)
Lemma var_lin_indep (a b Ey Eyy En Enn Eyn sd sigma : R) :
  Eyy - Ey * Ey = sd * sd -> En = 0 -> Enn = sigma * sigma -> Eyn = Ey * En ->
  var_lin a b Ey Eyy En Enn Eyn = a * a * (sd * sd) + b * b * (sigma * sigma).
Proof.
  intros Hy Hn Hnn Hyn. unfold var_lin, second_lin, mean_lin.
  rewrite Hyn, Hn, Hnn. replace Eyy with (sd * sd + Ey * Ey) by lra. ring.
Qed.

(* I17: the input c_in (y + n) = c_in y + c_in n has variance c_in^2 (sigma^2 + sigma_data^2). *)
Theorem I17_input_variance (c_in Ey Eyy En Enn Eyn sd sigma : R) :
  Eyy - Ey * Ey = sd * sd -> En = 0 -> Enn = sigma * sigma -> Eyn = Ey * En ->
  var_lin c_in c_in Ey Eyy En Enn Eyn = c_in * c_in * (sigma * sigma + sd * sd).
Proof. intros. rewrite (var_lin_indep _ _ _ _ _ _ _ sd sigma); auto. ring. Qed.

(* I17: for c_in > 0 and sigma_data > 0, unit input variance iff c_in = 1/sqrt(sigma^2 + sigma_data^2). *)
Theorem I17_unit_input_variance (c_in Ey Eyy En Enn Eyn sd sigma : R) :
  sd > 0 -> c_in > 0 ->
  Eyy - Ey * Ey = sd * sd -> En = 0 -> Enn = sigma * sigma -> Eyn = Ey * En ->
  (var_lin c_in c_in Ey Eyy En Enn Eyn = 1 <-> c_in = 1 / sqrt (sigma * sigma + sd * sd)).
Proof.
  intros Hsd Hc Hy Hn Hnn Hyn.
  rewrite (I17_input_variance c_in Ey Eyy En Enn Eyn sd sigma) by auto.
  assert (Hpos : 0 < sigma * sigma + sd * sd) by nra.
  assert (Hs : 0 < sqrt (sigma * sigma + sd * sd)) by (apply sqrt_lt_R0; lra).
  assert (Hss : sqrt (sigma * sigma + sd * sd) * sqrt (sigma * sigma + sd * sd)
                = sigma * sigma + sd * sd) by (apply sqrt_sqrt; lra).
  split; intro H.
  - (* c_in^2 v = 1 with c_in, sqrt v > 0 forces c_in * sqrt v = 1 *)
    assert (Hprod : (c_in * sqrt (sigma * sigma + sd * sd)) * (c_in * sqrt (sigma * sigma + sd * sd)) = 1).
    { replace ((c_in * sqrt (sigma * sigma + sd * sd)) * (c_in * sqrt (sigma * sigma + sd * sd)))
        with (c_in * c_in * (sqrt (sigma * sigma + sd * sd) * sqrt (sigma * sigma + sd * sd))) by ring.
      rewrite Hss. exact H. }
    assert (Hone : c_in * sqrt (sigma * sigma + sd * sd) = 1).
    { assert (0 < c_in * sqrt (sigma * sigma + sd * sd)) by (apply Rmult_lt_0_compat; lra). nra. }
    field_simplify_eq; [ lra | lra ].
  - rewrite H. set (v := sigma * sigma + sd * sd) in *.
    replace (1 / sqrt v * (1 / sqrt v) * v) with (v / (sqrt v * sqrt v)) by (field; lra).
    rewrite Hss. field. lra.
Qed.

(* I18: F_target = ((1 - c_skip)/c_out) y + (-c_skip/c_out) n. *)
Theorem I18_target_variance (c_skip c_out Ey Eyy En Enn Eyn sd sigma : R) :
  c_out <> 0 ->
  Eyy - Ey * Ey = sd * sd -> En = 0 -> Enn = sigma * sigma -> Eyn = Ey * En ->
  var_lin ((1 - c_skip) / c_out) (- c_skip / c_out) Ey Eyy En Enn Eyn
  = ((1 - c_skip) * (1 - c_skip) * (sd * sd) + c_skip * c_skip * (sigma * sigma)) / (c_out * c_out).
Proof.
  intros Hc Hy Hn Hnn Hyn. rewrite (var_lin_indep _ _ _ _ _ _ _ sd sigma) by auto.
  field. exact Hc.
Qed.

(* The coefficients really are those of F_target: (y - c_skip (y + n)) / c_out. *)
Lemma I18_target_is_linear (c_skip c_out y n : R) :
  c_out <> 0 ->
  (y - c_skip * (y + n)) / c_out = (1 - c_skip) / c_out * y + (- c_skip / c_out) * n.
Proof. intros. field. exact H. Qed.

Theorem I18_unit_target_variance (c_skip c_out Ey Eyy En Enn Eyn sd sigma : R) :
  c_out <> 0 ->
  Eyy - Ey * Ey = sd * sd -> En = 0 -> Enn = sigma * sigma -> Eyn = Ey * En ->
  (var_lin ((1 - c_skip) / c_out) (- c_skip / c_out) Ey Eyy En Enn Eyn = 1
   <-> c_out * c_out = (1 - c_skip) * (1 - c_skip) * (sd * sd) + c_skip * c_skip * (sigma * sigma)).
Proof.
  intros Hc Hy Hn Hnn Hyn.
  rewrite (I18_target_variance c_skip c_out Ey Eyy En Enn Eyn sd sigma) by auto.
  assert (Hcc : c_out * c_out <> 0) by (apply Rmult_integral_contrapositive; auto).
  split; intro H.
  - unfold Rdiv in H. apply (Rmult_eq_compat_r (c_out * c_out)) in H.
    rewrite Rmult_assoc, Rinv_l, Rmult_1_r, Rmult_1_l in H by exact Hcc. symmetry. exact H.
  - rewrite <- H. unfold Rdiv. apply Rinv_r. exact Hcc.
Qed.
