(* I30 Gaussian data N(mu, Sigma): p(x; sigma) = N(mu, Sigma + sigma^2 I);
   D(x; sigma) = mu + Sigma (Sigma + sigma^2 I)^-1 (x - mu); in the eigenbasis the PF-ODE solution is
   x(t)/s(t) = mu + Q diag(sqrt((lambda_k + sigma(t)^2)/(lambda_k + sigma(t0)^2))) Q^T (x(t0)/s(t0) - mu)
   for every (s, sigma): the exact reference for sampler error.
   I05 Score-denoiser relation: grad_x log p(x; sigma) = (D(x; sigma) - x) / sigma^2.
   I06 Score of p_t: grad_x log p_t(x) = (1 / (s sigma^2)) (D(x/s; sigma) - x/s).

   Proved in one dimension (variance v >= 0, sigma > 0), and hence for diagonal covariance, which
   decouples into independent coordinates (I30_flow_diagonal); a full covariance reduces to this in
   its eigenbasis, but the rotation is not formalised.
   - I05 for Gaussian data: d/dx ln N(x; mu, v + sigma^2) = (D(x; sigma) - x)/sigma^2 with the
     Gaussian denoiser D (the density and its derivative, by is_derive);
   - I06 for Gaussian data: with p_t(x) = s^-1 p(x/s; sigma) (I03 in 1-D),
     d/dx ln p_t(x) = (D(x/s; sigma) - x/s)/(s sigma^2) (chain rule);
   - I30: x(t) = s(t) (mu + sqrt((v + sigma(t)^2)/(v + sigma0^2)) (x0/s0 - mu)) satisfies the PF-ODE
     of I07, dx/dt = (sigma'/sigma + s'/s) x - (sigma' s/sigma) D(x/s; sigma), at every t where s and
     sigma are differentiable with s(t) > 0 and sigma(t) > 0 (general s and sigma, derivatives given
     as is_derive hypotheses), and it starts at x0 when s(t0) = s0, sigma(t0) = sigma0. *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Definition gauss (m var x : R) : R := exp (- ((x - m) * (x - m)) / (2 * var)) / sqrt (2 * PI * var).
Definition gauss_D (mu v sig x : R) : R := mu + v / (v + sig * sig) * (x - mu).
Definition pf_drift (sig sig' s s' : R) (D : R -> R -> R) (x : R) : R :=
  (sig' / sig + s' / s) * x - (sig' * s / sig) * D (x / s) sig.

Lemma var_pos (v sig : R) : v >= 0 -> sig > 0 -> 0 < v + sig * sig.
Proof. intros. nra. Qed.

Lemma gauss_pos (m var x : R) : var > 0 -> 0 < gauss m var x.
Proof.
  intros. unfold gauss. apply Rdiv_lt_0_compat; [ apply exp_pos | apply sqrt_lt_R0 ].
  pose proof PI_RGT_0. nra.
Qed.

(* The log-density's derivative is -(x - mu)/var. *)
Lemma gauss_log_derivative (m var x : R) :
  var > 0 -> is_derive (fun u => ln (gauss m var u)) x (- (x - m) / var).
Proof.
  intros Hv. pose proof PI_RGT_0. unfold gauss. auto_derive.
  - apply Rmult_lt_0_compat; [ apply exp_pos | apply Rinv_0_lt_compat, sqrt_lt_R0; nra ].
  - assert (0 < sqrt (2 * PI * var)) by (apply sqrt_lt_R0; nra).
    pose proof (exp_pos (- ((x - m) * (x - m)) / (2 * var))).
    unfold Rdiv, Rminus in *. field. repeat split; lra.
Qed.

Theorem I05_gaussian_score_denoiser (mu v sig x : R) :
  v >= 0 -> sig > 0 ->
  is_derive (fun u => ln (gauss mu (v + sig * sig) u)) x ((gauss_D mu v sig x - x) / (sig * sig)).
Proof.
  intros Hv Hs. pose proof (var_pos v sig Hv Hs).
  replace ((gauss_D mu v sig x - x) / (sig * sig)) with (- (x - mu) / (v + sig * sig)).
  - apply gauss_log_derivative. lra.
  - unfold gauss_D. field. lra.
Qed.

Theorem I06_gaussian_score_pt (mu v sig s x : R) :
  v >= 0 -> sig > 0 -> s > 0 ->
  is_derive (fun u => ln (gauss mu (v + sig * sig) (u / s) / s)) x
            ((gauss_D mu v sig (x / s) - x / s) / (s * (sig * sig))).
Proof.
  intros Hv Hs Hsc. pose proof (var_pos v sig Hv Hs) as HV. pose proof PI_RGT_0.
  unfold gauss, gauss_D. auto_derive.
  - apply Rmult_lt_0_compat; [ | apply Rinv_0_lt_compat; lra ].
    apply Rmult_lt_0_compat; [ apply exp_pos | apply Rinv_0_lt_compat, sqrt_lt_R0; nra ].
  - assert (0 < sqrt (2 * PI * (v + sig * sig))) by (apply sqrt_lt_R0; nra).
    pose proof (exp_pos (- ((x / s - mu) * (x / s - mu)) / (2 * (v + sig * sig)))).
    unfold Rdiv, Rminus in *. field. repeat split; lra.
Qed.

Definition gauss_flow (mu v sig0 z0 : R) (s sig : R -> R) (t : R) : R :=
  s t * (mu + sqrt ((v + sig t * sig t) / (v + sig0 * sig0)) * (z0 - mu)).

Theorem I30_flow_initial (mu v sig0 z0 : R) (s sig : R -> R) (t0 : R) :
  v >= 0 -> sig0 > 0 -> sig t0 = sig0 ->
  gauss_flow mu v sig0 z0 s sig t0 = s t0 * z0.
Proof.
  intros Hv Hs Ht0. unfold gauss_flow. rewrite Ht0.
  replace ((v + sig0 * sig0) / (v + sig0 * sig0)) with 1 by (field; nra). rewrite sqrt_1. ring.
Qed.

Theorem I30_flow_solves_pf_ode (mu v sig0 z0 : R) (s sig : R -> R) (t s' sig' : R) :
  v >= 0 -> sig0 > 0 -> s t > 0 -> sig t > 0 ->
  is_derive s t s' -> is_derive sig t sig' ->
  is_derive (gauss_flow mu v sig0 z0 s sig) t
            (pf_drift (sig t) sig' (s t) s' (fun z sg => gauss_D mu v sg z) (gauss_flow mu v sig0 z0 s sig t)).
Proof.
  intros Hv Hs0 Hst Hsigt Hds Hdsig.
  pose proof (var_pos v sig0 Hv Hs0) as HK. pose proof (var_pos v (sig t) Hv Hsigt) as HV.
  unfold gauss_flow. auto_derive.
  - split; [ exists s'; exact Hds | ]. split; [ exists sig'; exact Hdsig | ].
    split; [ exists sig'; exact Hdsig | ]. split; [ | exact I ].
    apply Rmult_lt_0_compat; [ lra | apply Rinv_0_lt_compat; lra ].
  - replace (Derive (fun x => s x) t) with s' by (symmetry; apply is_derive_unique; exact Hds).
    replace (Derive (fun x => sig x) t) with sig' by (symmetry; apply is_derive_unique; exact Hdsig).
    unfold pf_drift, gauss_D.
    set (K := v + sig0 * sig0) in *. set (S := sig t) in *. set (V := v + S * S) in *.
    assert (Hr : 0 < sqrt (V * / K)) by (apply sqrt_lt_R0, Rmult_lt_0_compat; [ lra | apply Rinv_0_lt_compat; lra ]).
    pose proof (sqrt_sqrt (V * / K) ltac:(apply Rlt_le, Rmult_lt_0_compat; [ lra | apply Rinv_0_lt_compat; lra ])) as Hrr.
    unfold Rdiv. set (r := sqrt (V * / K)) in *.
    (* r^2 = V / K lets the derivative of sqrt be rewritten without K. *)
    assert (HKr : / K = r * r / V) by (rewrite Hrr; field; lra).
    rewrite HKr. unfold V in *. field. repeat split; lra.
Qed.

(* Diagonal covariance: coordinate k has variance v k, mean mu k; each coordinate's flow solves
   its own PF-ODE, which is the PF-ODE of the diagonal Gaussian since D acts coordinatewise. *)
Theorem I30_flow_diagonal (mu v z0 : nat -> R) (sig0 : R) (s sig : R -> R) (t s' sig' : R) :
  (forall k, v k >= 0) -> sig0 > 0 -> s t > 0 -> sig t > 0 ->
  is_derive s t s' -> is_derive sig t sig' ->
  forall k, is_derive (gauss_flow (mu k) (v k) sig0 (z0 k) s sig) t
    (pf_drift (sig t) sig' (s t) s' (fun z sg => gauss_D (mu k) (v k) sg z)
             (gauss_flow (mu k) (v k) sig0 (z0 k) s sig t)).
Proof. intros. apply I30_flow_solves_pf_ode; auto. Qed.
