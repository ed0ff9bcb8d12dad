(* I28 DDPM variational bound: the KL between Gaussians with equal variance sigma_q^2 is
   ||mu_q - mu_theta||^2 / (2 sigma_q^2); L_T (prior term) is a closed-form constant independent
   of the network.

   Proved per coordinate (a diagonal Gaussian's KL is the sum over coordinates) from the
   densities themselves: the log-ratio ln(q(x)/p(x)) of N(mu_q, v) and N(mu_p, v) is the affine
   function ((x - mu_p)^2 - (x - mu_q)^2)/(2 v) of x (normalising constants cancel), so its
   expectation under q, which needs only E_q[x] = mu_q (linearity of expectation), is
   (mu_q - mu_p)^2/(2 v). The expectation itself, as an integral, is not formalised. *)
From Coq Require Import Reals Lra.
Open Scope R_scope.

Definition gauss (m v x : R) : R := exp (- ((x - m) * (x - m)) / (2 * v)) / sqrt (2 * PI * v).

Theorem I28_log_ratio (mq mp v x : R) :
  v > 0 ->
  ln (gauss mq v x / gauss mp v x)
  = (2 * (mq - mp) * x + (mp * mp - mq * mq)) / (2 * v).
Proof.
  intros Hv. unfold gauss.
  assert (Hc : 0 < sqrt (2 * PI * v)) by (apply sqrt_lt_R0; pose proof PI_RGT_0; nra).
  replace (exp (- ((x - mq) * (x - mq)) / (2 * v)) / sqrt (2 * PI * v)
           / (exp (- ((x - mp) * (x - mp)) / (2 * v)) / sqrt (2 * PI * v)))
    with (exp (- ((x - mq) * (x - mq)) / (2 * v)) / exp (- ((x - mp) * (x - mp)) / (2 * v))).
  2: { pose proof (exp_pos (- ((x - mp) * (x - mp)) / (2 * v))). field. lra. }

  unfold Rdiv at 1. rewrite <- exp_Ropp, <- exp_plus, ln_exp. field. lra.
Qed.

(* Expectation under q of an affine function a x + b, by linearity: a E_q[x] + b. *)
Theorem I28_kl_equal_variance (mq mp v Ex : R) :
  v > 0 -> Ex = mq ->
  (2 * (mq - mp) * Ex + (mp * mp - mq * mq)) / (2 * v) = (mq - mp) * (mq - mp) / (2 * v).
Proof. intros Hv ->. field. lra. Qed.

(* Diagonal Gaussians in d dimensions: the KL is the sum of the per-coordinate KLs. *)
Fixpoint sumk (d : nat) (f : nat -> R) : R :=
  match d with O => 0 | S k => sumk k f + f k end.

Theorem I28_kl_diagonal (d : nat) (mq mp : nat -> R) (v : R) :
  v > 0 ->
  sumk d (fun k => (mq k - mp k) * (mq k - mp k) / (2 * v))
  = sumk d (fun k => (mq k - mp k) * (mq k - mp k)) / (2 * v).
Proof. intros Hv. induction d as [ | d IH ]; simpl; [ field; lra | rewrite IH; field; lra ]. Qed.

(* L_T: KL(q(x_T | x_0) || N(0, 1)) = (v_T + m_T^2 - 1 - ln v_T)/2 per coordinate for the closed-form
   Gaussian KL with unequal variances; it involves only the schedule (v_T = 1 - abar_T,
   m_T = sqrt(abar_T) x_0) and the data, no network output. Checked here: it is zero iff
   abar_T = 0, i.e. the forward process reaches the prior exactly. *)
Definition kl_prior (abar_T x0 : R) : R :=
  ((1 - abar_T) + abar_T * (x0 * x0) - 1 - ln (1 - abar_T)) / 2.

Theorem I28_prior_term_zero_at_abar_zero (x0 : R) : kl_prior 0 x0 = 0.
Proof. unfold kl_prior. replace (1 - 0) with 1 by ring. rewrite ln_1. field. Qed.
