(* I04 One-step recursion: x_t = (s_t / s_{t-1}) x_{t-1} + s_t sqrt(sigma_t^2 - sigma_{t-1}^2) eps_t
   has the marginal of I01 (mean and variance match; requires sigma non-decreasing).

   Conditionally on x_0, I01 says x_t has mean s_t x_0 and variance s_t^2 sigma_t^2. With eps_t
   independent of x_{t-1}, E[eps_t] = 0 and Var eps_t = 1, the recursion maps (mean m, variance v)
   of x_{t-1} to ((s_t/s_{t-1}) m, (s_t/s_{t-1})^2 v + s_t^2 (sigma_t^2 - sigma_{t-1}^2)).
   One step preserves the I01 marginal, and by induction the whole chain does, for s > 0 and
   0 <= sigma_{t-1} <= sigma_t (so the square root is real). *)
From Coq Require Import Reals Lra.
Open Scope R_scope.

Definition step_mean (s_prev s_t m : R) : R := s_t / s_prev * m.
Definition step_var (s_prev s_t sig_prev sig_t v : R) : R :=
  (s_t / s_prev) * (s_t / s_prev) * v
  + (s_t * sqrt (sig_t * sig_t - sig_prev * sig_prev)) * (s_t * sqrt (sig_t * sig_t - sig_prev * sig_prev)).

Theorem I04_one_step (s_prev s_t sig_prev sig_t x0 : R) :
  s_prev > 0 -> 0 <= sig_prev <= sig_t ->
  step_mean s_prev s_t (s_prev * x0) = s_t * x0 /\
  step_var s_prev s_t sig_prev sig_t ((s_prev * sig_prev) * (s_prev * sig_prev)) = (s_t * sig_t) * (s_t * sig_t).
Proof.
  intros Hs Hsig. unfold step_mean, step_var. split; [ field; lra | ].
  assert (Hd : 0 <= sig_t * sig_t - sig_prev * sig_prev) by nra.
  replace ((s_t * sqrt (sig_t * sig_t - sig_prev * sig_prev)) * (s_t * sqrt (sig_t * sig_t - sig_prev * sig_prev)))
    with (s_t * s_t * (sqrt (sig_t * sig_t - sig_prev * sig_prev) * sqrt (sig_t * sig_t - sig_prev * sig_prev)))
    by ring.
  rewrite sqrt_sqrt by exact Hd. field. lra.
Qed.

(* The chain: mean and variance of x_k given x_0, defined by the recursion from x_0 (variance 0). *)
Fixpoint chain_mean (s : nat -> R) (x0 : R) (k : nat) : R :=
  match k with O => x0 | S j => step_mean (s j) (s (S j)) (chain_mean s x0 j) end.
Fixpoint chain_var (s sig : nat -> R) (k : nat) : R :=
  match k with O => 0 | S j => step_var (s j) (s (S j)) (sig j) (sig (S j)) (chain_var s sig j) end.

Theorem I04_chain_marginal (s sig : nat -> R) (x0 : R) :
  s O = 1 -> sig O = 0 -> (forall k, s k > 0) -> (forall k, 0 <= sig k <= sig (S k)) ->
  forall k, chain_mean s x0 k = s k * x0 /\ chain_var s sig k = (s k * sig k) * (s k * sig k).
Proof.
  intros Hs0 Hsig0 Hs Hmono k. induction k as [ | k [ IHm IHv ] ].
  - simpl. rewrite Hs0, Hsig0. split; ring.
  - simpl. rewrite IHm, IHv. apply I04_one_step; [ apply Hs | apply Hmono ].
Qed.
