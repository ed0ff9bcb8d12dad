(* I20 Loss rewrite: lambda ||D(y+n) - y||^2 = lambda c_out^2 ||F(c_in (y+n)) - F_target||^2,
       with D = c_skip x + c_out F(c_in x) and F_target = (y - c_skip (y + n)) / c_out.
   I22 With F = 0 (a zero-initialised network) and Var[y] = sigma_data^2,
       E[lambda ||D - y||^2] / d = 1 for every sigma.

   I20 is pointwise algebra, proved per component and for vectors of any dimension d
   (vectors are functions nat -> R, ||v||^2 = sum_{k<d} v_k^2), for c_out <> 0.
   I22 is moment algebra per dimension: with F = 0, D - y = (c_skip - 1) y + c_skip n, so
   E[(D - y)^2] = (c_skip - 1)^2 E[y^2] + 2 c_skip (c_skip - 1) E[y n] + c_skip^2 E[n^2].
   Hypotheses: E[y_k^2] = sigma_data^2 (zero-mean data, or sigma_data read as the RMS),
   E[n_k] = 0, E[n_k^2] = sigma^2, E[y_k n_k] = E[y_k] E[n_k] = 0 (independence).
   It holds for EDM (lambda and c_skip of I16/I21) and for every column with c_skip = 1 and
   lambda = 1/sigma^2 (VP, VE, iDDPM). With a data mean m <> 0 and Var y = sigma_data^2 the
   EDM loss is 1 + lambda (1 - c_skip)^2 m^2 instead (I22_edm_with_mean), so the identity needs
   the second moment, not only the variance. *)
From Coq Require Import Reals Lra Lia.
Open Scope R_scope.

Fixpoint sumk (d : nat) (f : nat -> R) : R :=
  match d with O => 0 | S k => sumk k f + f k end.

Lemma sumk_ext (d : nat) (f g : nat -> R) :
  (forall k, (k < d)%nat -> f k = g k) -> sumk d f = sumk d g.
Proof.
  induction d as [ | d IH ]; intros H; simpl; [ reflexivity | ].
  rewrite IH by (intros; apply H; lia). rewrite (H d) by lia. reflexivity.
Qed.

Lemma sumk_scal (d : nat) (c : R) (f : nat -> R) : sumk d (fun k => c * f k) = c * sumk d f.
Proof. induction d as [ | d IH ]; simpl; [ ring | rewrite IH; ring ]. Qed.

Lemma sumk_const (d : nat) (c : R) : sumk d (fun _ => c) = INR d * c.
Proof. induction d as [ | d IH ]; simpl sumk; [ simpl; ring | rewrite IH, S_INR; ring ]. Qed.

Definition sqnorm (d : nat) (v : nat -> R) : R := sumk d (fun k => v k * v k).

Definition D_pre (c_skip c_out c_in : R) (F : R -> R) (x : R) : R := c_skip * x + c_out * F (c_in * x).
Definition F_target (c_skip c_out y n : R) : R := (y - c_skip * (y + n)) / c_out.

Theorem I20_loss_rewrite_1d (lambda c_skip c_out c_in : R) (F : R -> R) (y n : R) :
  c_out <> 0 ->
  lambda * ((D_pre c_skip c_out c_in F (y + n) - y) * (D_pre c_skip c_out c_in F (y + n) - y))
  = lambda * (c_out * c_out)
    * ((F (c_in * (y + n)) - F_target c_skip c_out y n) * (F (c_in * (y + n)) - F_target c_skip c_out y n)).
Proof. intros Hc. unfold D_pre, F_target. field. exact Hc. Qed.

(* Vector form: F acts componentwise through any map Fv of the scaled input (a network sees the
   whole vector, so Fv : (nat -> R) -> nat -> R). *)
Theorem I20_loss_rewrite (d : nat) (lambda c_skip c_out c_in : R)
  (Fv : (nat -> R) -> nat -> R) (y n : nat -> R) :
  c_out <> 0 ->
  let x := fun k => y k + n k in
  let Fx := Fv (fun k => c_in * x k) in
  let D := fun k => c_skip * x k + c_out * Fx k in
  let Ft := fun k => (y k - c_skip * x k) / c_out in
  lambda * sqnorm d (fun k => D k - y k) = lambda * (c_out * c_out) * sqnorm d (fun k => Fx k - Ft k).
Proof.
  intros Hc x Fx D Ft. unfold sqnorm.
  rewrite Rmult_assoc. apply Rmult_eq_compat_l. rewrite <- sumk_scal.
  apply sumk_ext. intros k _. unfold D, Ft. field. exact Hc.
Qed.

(* I22, one dimension. *)
Definition loss_zero_net (lambda c_skip Eyy Eyn Enn : R) : R :=
  lambda * ((c_skip - 1) * (c_skip - 1) * Eyy + 2 * c_skip * (c_skip - 1) * Eyn + c_skip * c_skip * Enn).

Lemma I22_zero_net_error (c_skip y n : R) :
  D_pre c_skip 1 1 (fun _ => 0) (y + n) - y = (c_skip - 1) * y + c_skip * n.
Proof. unfold D_pre. ring. Qed.

Definition edm_c_skip (sd sigma : R) := sd * sd / (sigma * sigma + sd * sd).
Definition edm_lambda (sd sigma : R) := (sigma * sigma + sd * sd) / ((sigma * sd) * (sigma * sd)).

Theorem I22_edm_unit_loss_1d (sd sigma Eyy Eyn Enn : R) :
  sd > 0 -> sigma > 0 -> Eyy = sd * sd -> Eyn = 0 -> Enn = sigma * sigma ->
  loss_zero_net (edm_lambda sd sigma) (edm_c_skip sd sigma) Eyy Eyn Enn = 1.
Proof.
  intros Hsd Hs Hy Hyn Hn. subst. unfold loss_zero_net, edm_lambda, edm_c_skip.
  assert (0 < sigma * sigma + sd * sd) by nra.
  field. split; [ lra | ]. split; lra.
Qed.

Theorem I22_c_skip_one_unit_loss_1d (sd sigma Eyy Eyn Enn : R) :
  sigma > 0 -> Eyy = sd * sd -> Eyn = 0 -> Enn = sigma * sigma ->
  loss_zero_net (1 / (sigma * sigma)) 1 Eyy Eyn Enn = 1.
Proof. intros Hs Hy Hyn Hn. subst. unfold loss_zero_net. field. lra. Qed.

Theorem I22_edm_with_mean (sd sigma m Eyy Eyn Enn : R) :
  sd > 0 -> sigma > 0 -> Eyy - m * m = sd * sd -> Eyn = m * 0 -> Enn = sigma * sigma ->
  loss_zero_net (edm_lambda sd sigma) (edm_c_skip sd sigma) Eyy Eyn Enn
  = 1 + edm_lambda sd sigma * ((1 - edm_c_skip sd sigma) * (1 - edm_c_skip sd sigma)) * (m * m).
Proof.
  intros Hsd Hs Hy Hyn Hn. replace Eyy with (sd * sd + m * m) by lra. subst.
  unfold loss_zero_net, edm_lambda, edm_c_skip.
  assert (0 < sigma * sigma + sd * sd) by nra.
  field. split; [ lra | ]. split; lra.
Qed.

(* I22 in d dimensions: the per-dimension expectations E[lambda (D_k - y_k)^2] sum, by linearity
   of expectation, to E[lambda ||D - y||^2]; divided by d it is 1. *)
Theorem I22_edm_unit_loss (d : nat) (sd sigma : R) (Eyy Eyn Enn : nat -> R) :
  (d > 0)%nat -> sd > 0 -> sigma > 0 ->
  (forall k, Eyy k = sd * sd) -> (forall k, Eyn k = 0) -> (forall k, Enn k = sigma * sigma) ->
  sumk d (fun k => loss_zero_net (edm_lambda sd sigma) (edm_c_skip sd sigma) (Eyy k) (Eyn k) (Enn k))
    / INR d = 1.
Proof.
  intros Hd Hsd Hs Hy Hyn Hn.
  rewrite (sumk_ext d _ (fun _ => 1)) by (intros; apply I22_edm_unit_loss_1d; auto).
  rewrite sumk_const. assert (0 < INR d) by (apply lt_0_INR; lia). field. lra.
Qed.
