(* I08 At s = 1, sigma = t: dx/dt = (x - D(x; t)) / t, and one Euler step from t to 0 returns
   D(x; t) exactly.

   The drift is I07's, (sigma'/sigma + s'/s) x - (sigma' s / sigma) D(x/s; sigma), with
   sigma'(t) = 1 and s'(t) = 0 obtained by differentiation (is_derive), for t > 0 and any denoiser D. *)
From Coq Require Import Reals Lra.
From Coquelicot Require Import Coquelicot.
Open Scope R_scope.

Definition pf_drift (sig sig' s s' : R) (D : R -> R -> R) (x : R) : R :=
  (sig' / sig + s' / s) * x - (sig' * s / sig) * D (x / s) sig.

Theorem I08_edm_schedule_derivatives (t : R) :
  is_derive (fun u : R => u) t 1 /\ is_derive (fun _ : R => 1) t 0.
Proof. split; auto_derive; reflexivity. Qed.

Theorem I08_drift (D : R -> R -> R) (t x : R) :
  t > 0 -> pf_drift t 1 1 0 D x = (x - D x t) / t.
Proof.
  intros Ht. unfold pf_drift. replace (x / 1) with x by field. field. lra.
Qed.

Theorem I08_euler_to_zero (D : R -> R -> R) (t x : R) :
  t > 0 -> x + (0 - t) * pf_drift t 1 1 0 D x = D x t.
Proof. intros Ht. rewrite I08_drift by exact Ht. field. lra. Qed.
