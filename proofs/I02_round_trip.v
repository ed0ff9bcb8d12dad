(* I02 (s, sigma) <-> (f, g): f(t) = s'(t)/s(t), g(t) = s(t) sqrt(2 sigma'(t) sigma(t)); back,
   s(t) = s(0) exp(int_0^t f(r) dr) and sigma(t)^2 = sigma(0)^2 + int_0^t g(r)^2/s(r)^2 dr.

   Proved with Coquelicot's Riemann integral (is_RInt, RInt) and its fundamental theorem of calculus
   (is_RInt_derive, and auto_derive's rule for d/dt int_0^t), both ways:
   - (s, sigma) -> (f, g) -> (s, sigma), on [0, t], t >= 0: if s > 0 and sigma are differentiable
     on [0, t] with continuous derivatives s', sigma' (is_derive and continuous as hypotheses) and
     sigma' sigma >= 0 (so the square root in g is real), then f = s'/s integrates to
     ln s(t) - ln s(0), hence s(t) = s(0) exp(int f), and g^2/s^2 = 2 sigma' sigma integrates to
     sigma(t)^2 - sigma(0)^2 (I02_s_from_f, I02_sigma_from_g);
   - (f, g) -> (s, sigma) -> (f, g), at t >= 0: for f, g continuous on R with g >= 0, s0 > 0 and
     sigma0 > 0, s(t) = s0 exp(int_0^t f) and sigma(t) = sqrt(sigma0^2 + int_0^t g^2/s^2) are
     differentiable, positive, and give back s'/s = f and s sqrt(2 sigma' sigma) = g
     (I02_f_of_s_from_f, I02_g_of_sigma_from_g). *)
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

(* Forward: from continuous f, g (g >= 0) and s0 > 0, sigma0 > 0, build s and sigma by the integrals
   and read f and g back off them. *)
Definition s_of_f (s0 : R) (f : R -> R) (t : R) : R := s0 * exp (RInt f 0 t).
Definition sigma_of_g (sig0 : R) (s : R -> R) (g : R -> R) (t : R) : R :=
  sqrt (sig0 ^ 2 + RInt (fun r => g r ^ 2 / s r ^ 2) 0 t).

Theorem I02_f_of_s_from_f (s0 : R) (f : R -> R) (t : R) :
  s0 > 0 -> (forall r, continuous f r) ->
  is_derive (s_of_f s0 f) t (f t * s_of_f s0 f t) /\ s_of_f s0 f t > 0 /\
  i02_f (s_of_f s0 f) (fun r => f r * s_of_f s0 f r) t = f t.
Proof.
  intros Hs0 Hc.
  assert (Hpos : s_of_f s0 f t > 0) by (unfold s_of_f; pose proof (exp_pos (RInt f 0 t)); nra).
  split; [ | split; [ exact Hpos | unfold i02_f; field; lra ] ].
  unfold s_of_f. auto_derive; [ | change (fun x : R => f x) with f; ring ].
  split; [ apply (@ex_RInt_continuous R_CompleteNormedModule); intros z _; apply Hc | split; [ | exact I ] ].
  apply filter_forall. intros z. apply continuity_pt_filterlim, Hc.
Qed.

Theorem I02_g_of_sigma_from_g (s0 sig0 : R) (f g : R -> R) (t : R) :
  s0 > 0 -> sig0 > 0 -> 0 <= t -> (forall r, continuous f r) -> (forall r, continuous g r) ->
  (forall r, g r >= 0) ->
  let s := s_of_f s0 f in
  let sig' := fun r => g r ^ 2 / s r ^ 2 / (2 * sigma_of_g sig0 s g r) in
  is_derive (sigma_of_g sig0 s g) t (sig' t) /\ sigma_of_g sig0 s g t > 0 /\
  i02_g s (sigma_of_g sig0 s g) sig' t = g t.
Proof.
  intros Hs0 Hsig0 Ht Hcf Hcg Hg s sig'.
  assert (Hspos : forall r, s r > 0) by (intros r; apply (I02_f_of_s_from_f s0 f r Hs0 Hcf)).
  set (h := fun r => g r ^ 2 / s r ^ 2).
  assert (Hch : forall r, continuous h r).
  { intros r. unfold h, Rdiv. apply (continuous_mult (fun x => g x ^ 2) (fun x => / s x ^ 2)).
    - apply (continuous_mult g (fun x => g x ^ 1)); [ apply Hcg | ].
      apply (continuous_mult g (fun _ => 1)); [ apply Hcg | apply continuous_const ].
    - apply continuous_Rinv_comp; [ | specialize (Hspos r); apply Rgt_not_eq, pow_lt; lra ].
      assert (Hcs : continuous s r).
      { apply (@ex_derive_continuous R_AbsRing R_NormedModule s r). exists (f r * s r).
        apply (I02_f_of_s_from_f s0 f r Hs0 Hcf). }
      apply (continuous_mult s (fun x => s x ^ 1)); [ exact Hcs | ].
      apply (continuous_mult s (fun _ => 1)); [ exact Hcs | apply continuous_const ]. }
  assert (HQ : 0 < sig0 ^ 2 + RInt h 0 t).
  { assert (0 <= RInt h 0 t).
    { apply (RInt_ge_0 h 0 t Ht); [ apply (@ex_RInt_continuous R_CompleteNormedModule); intros z _; apply Hch | ].
      intros x _. unfold h. specialize (Hspos x). apply Rdiv_le_0_compat; [ apply pow2_ge_0 | apply pow_lt; lra ]. }
    nra. }
  assert (Hsig : sigma_of_g sig0 s g t > 0) by (apply sqrt_lt_R0; exact HQ).
  split; [ | split; [ exact Hsig | ] ].
  - unfold sig', sigma_of_g. fold h. auto_derive.
    + split; [ apply (@ex_RInt_continuous R_CompleteNormedModule); intros z _; apply Hch | split; [ | split; [ exact HQ | exact I ] ] ].
      apply filter_forall. intros z. apply continuity_pt_filterlim, Hch.
    + change (fun x : R => h x) with h. replace (sig0 * (sig0 * 1)) with (sig0 ^ 2) by ring. unfold h, Rdiv. ring.
  - unfold i02_g, sig'. specialize (Hspos t). specialize (Hg t).
    replace (2 * (g t ^ 2 / s t ^ 2 / (2 * sigma_of_g sig0 s g t)) * sigma_of_g sig0 s g t)
      with (g t ^ 2 / s t ^ 2) by (field; split; lra).
    rewrite sqrt_div_alt by (apply pow_lt; lra). rewrite !sqrt_pow2 by lra. field. lra.
Qed.
