(* I02 (s, sigma) <-> (f, g): f(t) = s'(t)/s(t), g(t) = s(t) sqrt(2 sigma'(t) sigma(t)); back,
   s(t) = s(0) exp(int_0^t f(r) dr) and sigma(t)^2 = sigma(0)^2 + int_0^t g(r)^2/s(r)^2 dr.

   Proved with Coquelicot's Riemann integral (is_RInt, RInt) and its fundamental theorem of calculus
   (is_RInt_derive), for general s and sigma on [0, t], t >= 0:
   back from (f, g): if s > 0 and sigma are differentiable on [0, t] with continuous derivatives
     s', sigma' (is_derive and continuous as hypotheses) and sigma' sigma >= 0 (so the square root
     in g is real), then f = s'/s integrates to ln s(t) - ln s(0), hence s(t) = s(0) exp(int f), and
     g^2/s^2 = 2 sigma' sigma integrates to sigma(t)^2 - sigma(0)^2 (I02_s_from_f, I02_sigma_from_g). *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Definition i02_f (s s' : R -> R) (r : R) : R := s' r / s r.
Definition i02_g (s sig sig' : R -> R) (r : R) : R := s r * sqrt (2 * sig' r * sig r).

Lemma interval_0_t (t r : R) : 0 <= t -> Rmin 0 t <= r <= Rmax 0 t -> 0 <= r <= t.
Proof. intros Ht. rewrite Rmin_left, Rmax_right by lra. auto. Qed.

Theorem I02_s_from_f (s s' : R -> R) (t : R) :
  0 <= t ->
  (forall r, 0 <= r <= t -> s r > 0) ->
  (forall r, 0 <= r <= t -> is_derive s r (s' r)) ->
  (forall r, 0 <= r <= t -> continuous s' r) ->
  is_RInt (i02_f s s') 0 t (ln (s t) - ln (s 0)) /\ s t = s 0 * exp (RInt (i02_f s s') 0 t).
Proof.
  intros Ht Hpos Hd Hc.
  assert (HI : is_RInt (i02_f s s') 0 t (ln (s t) - ln (s 0))).
  { apply (is_RInt_derive (fun r => ln (s r))).
    - intros r Hr. apply interval_0_t in Hr; [ | exact Ht ].
      specialize (Hpos r Hr). specialize (Hd r Hr). unfold i02_f. auto_derive.
      + split; [ exists (s' r); exact Hd | split; [ lra | exact I ] ].
      + replace (Derive (fun x => s x) r) with (s' r) by (symmetry; apply is_derive_unique; exact Hd).
        field. lra.
    - intros r Hr. apply interval_0_t in Hr; [ | exact Ht ].
      specialize (Hpos r Hr). unfold i02_f, Rdiv. apply (continuous_mult s' (fun x => / s x)).
      + apply Hc. exact Hr.
      + apply continuous_Rinv_comp; [ | lra ]. apply (@ex_derive_continuous R_AbsRing R_NormedModule s r). exists (s' r). apply Hd. exact Hr. }
  split; [ exact HI | ].
  rewrite (is_RInt_unique _ _ _ _ HI).
  assert (H0 : s 0 > 0) by (apply Hpos; lra). assert (H1 : s t > 0) by (apply Hpos; lra).
  unfold Rminus. rewrite exp_plus, exp_Ropp, !exp_ln by lra. field. lra.
Qed.

Theorem I02_sigma_from_g (s sig sig' : R -> R) (t : R) :
  0 <= t ->
  (forall r, 0 <= r <= t -> s r > 0) ->
  (forall r, 0 <= r <= t -> is_derive sig r (sig' r)) ->
  (forall r, 0 <= r <= t -> continuous sig' r) ->
  (forall r, 0 <= r <= t -> sig' r * sig r >= 0) ->
  is_RInt (fun r => i02_g s sig sig' r ^ 2 / s r ^ 2) 0 t (sig t ^ 2 - sig 0 ^ 2) /\
  sig t ^ 2 = sig 0 ^ 2 + RInt (fun r => i02_g s sig sig' r ^ 2 / s r ^ 2) 0 t.
Proof.
  intros Ht Hpos Hd Hc Hnn.
  assert (HI : is_RInt (fun r => 2 * sig' r * sig r) 0 t (sig t ^ 2 - sig 0 ^ 2)).
  { apply (is_RInt_derive (fun r => sig r ^ 2)).
    - intros r Hr. apply interval_0_t in Hr; [ | exact Ht ].
      specialize (Hd r Hr). auto_derive.
      + exists (sig' r). exact Hd.
      + replace (Derive (fun x => sig x) r) with (sig' r) by (symmetry; apply is_derive_unique; exact Hd). ring.
    - intros r Hr. apply interval_0_t in Hr; [ | exact Ht ].
      apply (continuous_mult (fun x => 2 * sig' x) sig).
      + apply (continuous_mult (fun _ => 2) sig'); [ apply continuous_const | apply Hc; exact Hr ].
      + apply (@ex_derive_continuous R_AbsRing R_NormedModule sig r). exists (sig' r). apply Hd. exact Hr. }
  assert (HI' : is_RInt (fun r => i02_g s sig sig' r ^ 2 / s r ^ 2) 0 t (sig t ^ 2 - sig 0 ^ 2)).
  { apply (is_RInt_ext (fun r => 2 * sig' r * sig r)); [ | exact HI ].
    intros r Hr. rewrite Rmin_left, Rmax_right in Hr by lra.
    assert (Hr' : 0 <= r <= t) by lra. specialize (Hpos r Hr'). specialize (Hnn r Hr').
    unfold i02_g. rewrite Rpow_mult_distr, pow2_sqrt by lra. match goal with |- ?a = ?b => change (@eq R a b) end. field. apply Rgt_not_eq. exact Hpos. }
  split; [ exact HI' | ]. rewrite (is_RInt_unique _ _ _ _ HI'). ring.
Qed.
