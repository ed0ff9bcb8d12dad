(* I07 PF-ODE (Eq. 4): dx/dt = (sigma'/sigma + s'/s) x - (sigma' s / sigma) D(x/s; sigma);
       equals f x - (1/2) g^2 grad log p_t(x) with f, g from I02.
   I11 VE: s = 1, sigma(t) = sqrt(t), f = 0, g = sqrt(d sigma^2 / dt).
   I13 EDM: s = 1, sigma(t) = t.

   I07 is proved per coordinate with I02 (f = s'/s, g = s sqrt(2 sigma' sigma)) and I06
   (grad log p_t(x) = (D(x/s; sigma) - x/s)/(s sigma^2)) written as definitions, for s > 0,
   sigma > 0, sigma' >= 0 and any denoiser D. For VE and EDM the derivatives sigma'(t), s'(t) are
   obtained with is_derive (auto_derive), and f, g and the drift follow. *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Definition f_of (s s' : R) : R := s' / s.
Definition g_of (s sig sig' : R) : R := s * sqrt (2 * sig' * sig).
Definition score_pt (s sig : R) (D : R -> R -> R) (x : R) : R := (D (x / s) sig - x / s) / (s * (sig * sig)).
Definition pf_drift (sig sig' s s' : R) (D : R -> R -> R) (x : R) : R :=
  (sig' / sig + s' / s) * x - (sig' * s / sig) * D (x / s) sig.

Theorem I07_two_forms_agree (s s' sig sig' : R) (D : R -> R -> R) (x : R) :
  s > 0 -> sig > 0 -> sig' >= 0 ->
  f_of s s' * x - / 2 * (g_of s sig sig' * g_of s sig sig') * score_pt s sig D x = pf_drift sig sig' s s' D x.
Proof.
  intros Hs Hsig Hd. unfold f_of, g_of, score_pt, pf_drift.
  replace (s * sqrt (2 * sig' * sig) * (s * sqrt (2 * sig' * sig)))
    with (s * s * (sqrt (2 * sig' * sig) * sqrt (2 * sig' * sig))) by ring.
  rewrite sqrt_sqrt by nra. field. lra.
Qed.

(* I11: VE. *)
Definition ve_sigma (t : R) : R := sqrt t.

Theorem I11_ve_sigma_derivative (t : R) : t > 0 -> is_derive ve_sigma t (/ (2 * sqrt t)).
Proof. intros Ht. unfold ve_sigma. auto_derive; [ lra | field; apply Rgt_not_eq, sqrt_lt_R0; lra ]. Qed.

Theorem I11_ve_sigma_sq_derivative (t : R) : t > 0 -> is_derive (fun u => ve_sigma u * ve_sigma u) t 1.
Proof.
  intros Ht. apply (is_derive_ext_loc (fun u => u)).
  - apply (locally_interval _ t 0 p_infty); [ simpl; lra | exact I | ].
    intros u Hu _. unfold ve_sigma. rewrite sqrt_sqrt; [ reflexivity | simpl in Hu; lra ].
  - auto_derive; [ exact I | ring ].
Qed.

Theorem I11_ve_f_g (t : R) :
  t > 0 -> f_of 1 0 = 0 /\ g_of 1 (ve_sigma t) (/ (2 * sqrt t)) = 1.
Proof.
  intros Ht. split; [ unfold f_of; field | ].
  unfold g_of, ve_sigma. assert (0 < sqrt t) by (apply sqrt_lt_R0; lra).
  replace (2 * / (2 * sqrt t) * sqrt t) with 1 by (field; lra). rewrite sqrt_1. ring.
Qed.

(* g = sqrt(d sigma^2/dt): d sigma^2/dt = 1 for VE, so g = sqrt 1. *)
Theorem I11_ve_g_is_sqrt_dsigma2 (t : R) :
  t > 0 -> g_of 1 (ve_sigma t) (/ (2 * sqrt t)) = sqrt (Derive (fun u => ve_sigma u * ve_sigma u) t).
Proof.
  intros Ht. replace (Derive (fun u => ve_sigma u * ve_sigma u) t) with 1.
  2: { symmetry. apply is_derive_unique. apply I11_ve_sigma_sq_derivative. exact Ht. }
  rewrite sqrt_1. apply I11_ve_f_g. exact Ht.
Qed.

Theorem I11_ve_drift (D : R -> R -> R) (t x : R) :
  t > 0 -> pf_drift (ve_sigma t) (/ (2 * sqrt t)) 1 0 D x = (x - D x (sqrt t)) / (2 * t).
Proof.
  intros Ht. unfold pf_drift, ve_sigma. assert (Hq : 0 < sqrt t) by (apply sqrt_lt_R0; lra).
  pose proof (sqrt_sqrt t (Rlt_le _ _ Ht)) as Hqq.
  replace (x / 1) with x by field. replace (2 * t) with (2 * (sqrt t * sqrt t)) by (rewrite Hqq; ring).
  field. lra.
Qed.

(* I13: EDM. *)
Theorem I13_edm_derivatives (t : R) : is_derive (fun u : R => u) t 1 /\ is_derive (fun _ : R => 1) t 0.
Proof. split; auto_derive; reflexivity. Qed.

Theorem I13_edm_f_g (t : R) : t > 0 -> f_of 1 0 = 0 /\ g_of 1 t 1 = sqrt (2 * t).
Proof. intros Ht. split; [ unfold f_of; field | unfold g_of; rewrite Rmult_1_l, Rmult_1_r; reflexivity ]. Qed.

Theorem I13_edm_drift (D : R -> R -> R) (t x : R) :
  t > 0 -> pf_drift t 1 1 0 D x = (x - D x t) / t.
Proof. intros Ht. unfold pf_drift. replace (x / 1) with x by field. field. lra. Qed.
