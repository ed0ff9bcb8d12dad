(* I31 Gaussian mixture: p(x; sigma) = sum_k w_k N(x; mu_k, Sigma_k + sigma^2 I); with responsibilities
   gamma_k(x) = w_k N_k(x)/p(x), the score is sum_k gamma_k score_k and the denoiser is
   D(x; sigma) = sum_k gamma_k D_k(x; sigma), D_k the Gaussian denoiser of component k (I30).

   Proved, as algebra with derivatives, in one dimension at a point x, for components k = 0..n
   (sum_f_R0, n + 1 components) with weights w_k > 0:
   - for any component densities N_k > 0 at x with derivatives N_k' (is_derive hypotheses), the
     mixture p = sum_k w_k N_k has d/dx ln p(x) = sum_k gamma_k (N_k'/N_k) and sum_k gamma_k = 1
     (I31_mixture_score);
   - if each component score is (D_k - x)/sigma^2 (I05 per component), then
     x + sigma^2 d/dx ln p(x) = sum_k gamma_k D_k (I31_mixture_denoiser);
   - for Gaussian components N(mu_k, v_k + sigma^2), v_k >= 0, sigma > 0, the mixture denoiser is
     sum_k gamma_k (mu_k + v_k/(v_k + sigma^2) (x - mu_k)) (I31_gaussian_mixture_denoiser).
   The mixture as a distribution of data (D = E[y | x]) is outside: it needs measure theory. *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
From Elucidated Require Import I05_I06_I30_gaussian_denoiser_and_flow.
Open Scope R_scope.

Definition mixture (w : nat -> R) (N : nat -> R -> R) (n : nat) (y : R) : R :=
  sum_f_R0 (fun k => w k * N k y) n.
Definition responsibility (w : nat -> R) (N : nat -> R -> R) (n : nat) (x : R) (k : nat) : R :=
  w k * N k x / mixture w N n x.

Lemma sum_pos (a : nat -> R) (n : nat) : (forall k, 0 < a k) -> 0 < sum_f_R0 a n.
Proof.
  intros Ha. induction n as [ | n IH ]; simpl; [ apply Ha | ]. specialize (Ha (S n)). lra.
Qed.

Lemma mixture_pos (w : nat -> R) (N : nat -> R -> R) (n : nat) (x : R) :
  (forall k, w k > 0) -> (forall k, N k x > 0) -> 0 < mixture w N n x.
Proof. intros Hw HN. apply sum_pos. intros k. specialize (Hw k). specialize (HN k). nra. Qed.

Lemma mixture_derive (w : nat -> R) (N : nat -> R -> R) (N' : nat -> R) (n : nat) (x : R) :
  (forall k, is_derive (N k) x (N' k)) ->
  is_derive (mixture w N n) x (sum_f_R0 (fun k => w k * N' k) n).
Proof.
  intros HN. unfold mixture. induction n as [ | n IH ]; simpl.
  - apply is_derive_scal. apply HN.
  - apply (is_derive_plus (fun y => sum_f_R0 (fun k => w k * N k y) n) (fun y => w (S n) * N (S n) y));
      [ exact IH | apply is_derive_scal; apply HN ].
Qed.

Theorem I31_mixture_score (w : nat -> R) (N : nat -> R -> R) (N' : nat -> R) (n : nat) (x : R) :
  (forall k, w k > 0) -> (forall k, N k x > 0) -> (forall k, is_derive (N k) x (N' k)) ->
  is_derive (fun y => ln (mixture w N n y)) x
    (sum_f_R0 (fun k => responsibility w N n x k * (N' k / N k x)) n) /\
  sum_f_R0 (responsibility w N n x) n = 1.
Proof.
  intros Hw HNp HN. pose proof (mixture_pos w N n x Hw HNp) as Hp.
  pose proof (mixture_derive w N N' n x HN) as Hd. split.
  - auto_derive.
    + split; [ exists (sum_f_R0 (fun k => w k * N' k) n); exact Hd | split; [ exact Hp | exact I ] ].
    + replace (Derive (fun x0 => mixture w N n x0) x) with (sum_f_R0 (fun k => w k * N' k) n)
        by (symmetry; apply is_derive_unique; exact Hd).
      rewrite (sum_eq (fun k => responsibility w N n x k * (N' k / N k x)) (fun k => w k * N' k * / mixture w N n x)).
      * rewrite <- scal_sum. field. lra.
      * intros k _. unfold responsibility. specialize (HNp k). field. split; lra.
  - unfold responsibility. rewrite (sum_eq _ (fun k => w k * N k x * / mixture w N n x)) by reflexivity.
    rewrite <- scal_sum. fold (mixture w N n x). field. lra.
Qed.

Theorem I31_mixture_denoiser (w : nat -> R) (N : nat -> R -> R) (N' D : nat -> R) (n : nat) (x sig : R) :
  sig > 0 -> (forall k, w k > 0) -> (forall k, N k x > 0) -> (forall k, is_derive (N k) x (N' k)) ->
  (forall k, N' k / N k x = (D k - x) / (sig * sig)) ->
  is_derive (fun y => ln (mixture w N n y)) x
    ((sum_f_R0 (fun k => responsibility w N n x k * D k) n - x) / (sig * sig)).
Proof.
  intros Hs Hw HNp HN HD. destruct (I31_mixture_score w N N' n x Hw HNp HN) as [Hd Hsum].
  replace ((sum_f_R0 (fun k => responsibility w N n x k * D k) n - x) / (sig * sig))
    with (sum_f_R0 (fun k => responsibility w N n x k * (N' k / N k x)) n); [ exact Hd | ].
  rewrite (sum_eq _ (fun k => (responsibility w N n x k * D k - responsibility w N n x k * x) * / (sig * sig))).
  - rewrite <- scal_sum, minus_sum, <- (scal_sum (responsibility w N n x) n x), Hsum. field. lra.
  - intros k _. rewrite HD. field. lra.
Qed.

Theorem I31_gaussian_mixture_denoiser (w mu v : nat -> R) (n : nat) (x sig : R) :
  sig > 0 -> (forall k, w k > 0) -> (forall k, v k >= 0) ->
  let N := fun k => gauss (mu k) (v k + sig * sig) in
  is_derive (fun y => ln (mixture w N n y)) x
    ((sum_f_R0 (fun k => responsibility w N n x k * gauss_D (mu k) (v k) sig x) n - x) / (sig * sig)).
Proof.
  intros Hs Hw Hv N.
  assert (HV : forall k, 0 < v k + sig * sig) by (intros k; apply var_pos; [ apply Hv | exact Hs ]).
  apply (I31_mixture_denoiser w N (fun k => N k x * (- (x - mu k) / (v k + sig * sig)))).
  - exact Hs.
  - exact Hw.
  - intros k. apply gauss_pos. specialize (HV k). lra.
  - intros k. unfold N, gauss. pose proof PI_RGT_0. specialize (HV k). auto_derive; [ exact I | ].
    assert (0 < sqrt (2 * PI * (v k + sig * sig))) by (apply sqrt_lt_R0; nra).
    unfold Rdiv, Rminus. field. split; lra.
  - intros k. pose proof (gauss_pos (mu k) (v k + sig * sig) x ltac:(specialize (HV k); lra)).
    specialize (HV k). unfold N, gauss_D. field. split; [ lra | ]. split; [ lra | ]. lra.
Qed.
