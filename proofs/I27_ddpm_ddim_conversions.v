(* I27 DDPM / DDIM: mu_theta = (x_t - (1 - alpha_t)/sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t);
   score = -eps / sqrt(1 - abar_t) = (D(x/s; sigma) - x/s) / (s sigma^2);
   DDIM with eta = 0 is deterministic and equals one Euler step of the sigma = t, s = 1 ODE taken in x/s:
   x_{i+1}/s_{i+1} = x_i/s_i + (sigma_{i+1} - sigma_i) (x_i/s_i - D(x_i/s_i; sigma_i)) / sigma_i, D from eps;
   eta = 1 recovers DDPM ancestral variance.

   Scalar algebra (each coordinate alike), 0 < abar < 1, with the DDPM link of I10:
   s = sqrt(abar), sigma = sqrt((1 - abar)/abar), and the denoiser read off eps:
   D(x/s; sigma) = x/s - sigma eps (from x = s (y + sigma eps)). Proved:
   - s sigma = sqrt(1 - abar) and the two score forms agree;
   - mu_theta is the DDPM posterior mean with x_0 predicted from eps (abar_t = alpha_t abar_{t-1});
   - the DDIM (eta = 0) update equals the Euler step in x/s;
   - eta = 1 gives the DDPM posterior variance (1 - abar_{t-1})/(1 - abar_t) beta_t. *)
From Coq Require Import Reals Lra.
Open Scope R_scope.

Definition ddpm_s (abar : R) := sqrt abar.
Definition ddpm_sigma (abar : R) := sqrt ((1 - abar) / abar).
Definition denoiser_from_eps (s sigma x eps : R) := x / s - sigma * eps.

Lemma sq_sqrt (a : R) : 0 <= a -> sqrt a * sqrt a = a.
Proof. apply sqrt_sqrt. Qed.

Theorem I27_s_sigma (abar : R) : 0 < abar < 1 -> ddpm_s abar * ddpm_sigma abar = sqrt (1 - abar).
Proof.
  intros H. unfold ddpm_s, ddpm_sigma. rewrite <- sqrt_mult by (try apply Rlt_le, Rdiv_lt_0_compat; lra).
  f_equal. field. lra.
Qed.

Theorem I27_score_forms (abar x eps : R) :
  0 < abar < 1 ->
  let s := ddpm_s abar in let sigma := ddpm_sigma abar in
  (denoiser_from_eps s sigma x eps - x / s) / (s * (sigma * sigma)) = - eps / sqrt (1 - abar).
Proof.
  intros H s sigma. unfold denoiser_from_eps.
  assert (Hs : 0 < s) by (apply sqrt_lt_R0; lra).
  assert (Hsig : 0 < sigma) by (apply sqrt_lt_R0, Rdiv_lt_0_compat; lra).
  rewrite <- (I27_s_sigma abar H). fold s sigma. field. lra.
Qed.

(* DDPM mean: with abar_t = alpha abar_prev and x0_hat = (x - sqrt(1 - abar_t) eps)/sqrt(abar_t),
   the posterior mean sqrt(abar_prev) beta/(1 - abar_t) x0_hat + sqrt(alpha)(1 - abar_prev)/(1 - abar_t) x
   is mu_theta. *)
Theorem I27_mu_theta (alpha abar_prev x eps : R) :
  0 < alpha < 1 -> 0 < abar_prev <= 1 ->
  let abar := alpha * abar_prev in
  let x0_hat := (x - sqrt (1 - abar) * eps) / sqrt abar in
  sqrt abar_prev * (1 - alpha) / (1 - abar) * x0_hat + sqrt alpha * (1 - abar_prev) / (1 - abar) * x
  = (x - (1 - alpha) / sqrt (1 - abar) * eps) / sqrt alpha.
Proof.
  intros Ha Hb abar x0_hat. unfold x0_hat, abar.
  assert (Hab : 0 < 1 - alpha * abar_prev) by nra.
  rewrite sqrt_mult by lra.
  assert (Hqa : 0 < sqrt alpha) by (apply sqrt_lt_R0; lra).
  assert (Hqb : 0 < sqrt abar_prev) by (apply sqrt_lt_R0; lra).
  assert (Hqc : 0 < sqrt (1 - alpha * abar_prev)) by (apply sqrt_lt_R0; lra).
  pose proof (sq_sqrt alpha ltac:(lra)) as Ea.
  pose proof (sq_sqrt (1 - alpha * abar_prev) ltac:(lra)) as Ec.
  set (qa := sqrt alpha) in *. set (qb := sqrt abar_prev) in *. set (qc := sqrt (1 - alpha * abar_prev)) in *.
  clearbody qa qb qc. subst alpha. rewrite <- Ec.
  assert (HB : abar_prev = (1 - qc * qc) / (qa * qa)) by (field_simplify_eq; lra).
  rewrite HB. field. lra.
Qed.

(* DDIM, eta = 0: x_{i+1} = sqrt(abar_{i+1}) x0_hat + sqrt(1 - abar_{i+1}) eps, read in x/s. *)
Theorem I27_ddim_is_euler (abar_i abar_j x eps : R) :
  0 < abar_i < 1 -> 0 < abar_j < 1 ->
  let s_i := ddpm_s abar_i in let s_j := ddpm_s abar_j in
  let sig_i := ddpm_sigma abar_i in let sig_j := ddpm_sigma abar_j in
  let x0_hat := (x - sqrt (1 - abar_i) * eps) / sqrt abar_i in
  let x_next := sqrt abar_j * x0_hat + sqrt (1 - abar_j) * eps in
  let D := denoiser_from_eps s_i sig_i x eps in
  x_next / s_j = x / s_i + (sig_j - sig_i) * (x / s_i - D) / sig_i.
Proof.
  intros Hi Hj s_i s_j sig_i sig_j x0_hat x_next D.
  unfold x_next, x0_hat, D, denoiser_from_eps.
  rewrite <- (I27_s_sigma abar_i Hi), <- (I27_s_sigma abar_j Hj). fold s_i s_j sig_i sig_j.
  assert (0 < s_i) by (apply sqrt_lt_R0; lra). assert (0 < s_j) by (apply sqrt_lt_R0; lra).
  assert (0 < sig_i) by (apply sqrt_lt_R0, Rdiv_lt_0_compat; lra).
  unfold s_i, s_j, ddpm_s in *. clearbody sig_i sig_j. field. lra.
Qed.

(* eta: sigma_eta^2 = eta^2 (1 - abar_{t-1})/(1 - abar_t) (1 - abar_t/abar_{t-1}); at eta = 1 it is the
   DDPM posterior variance with beta_t = 1 - alpha_t, alpha_t = abar_t / abar_{t-1}. *)
Definition ddim_var (eta abar abar_prev : R) := eta * eta * ((1 - abar_prev) / (1 - abar)) * (1 - abar / abar_prev).

Theorem I27_eta_one_ddpm_variance (alpha abar_prev : R) :
  0 < alpha < 1 -> 0 < abar_prev <= 1 ->
  ddim_var 1 (alpha * abar_prev) abar_prev = (1 - abar_prev) / (1 - alpha * abar_prev) * (1 - alpha).
Proof. intros Ha Hb. unfold ddim_var. assert (0 < 1 - alpha * abar_prev) by nra. field. lra. Qed.

Theorem I27_eta_zero_deterministic (abar abar_prev : R) : ddim_var 0 abar abar_prev = 0.
Proof. unfold ddim_var. ring. Qed.
