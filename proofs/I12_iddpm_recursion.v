(* I12 iDDPM schedule: sigma(t) = t, s(t) = 1; the table u_j, j = M..0, starts at u_M = 0 and runs
   u_{j-1} = sqrt((u_j^2 + 1)/max(r_j, C1) - 1), r_j = abar(j-1)/abar(j) = sin(a_{j-1})^2/sin(a_j)^2,
   a_j = (pi/2) j/((C2 + 1) M).

   Proved for real ratios 0 < r_j < 1 (the cosine schedule's abar decreases in j, so r_j < 1 away
   from the floor) and 0 < C1 < 1 (the paper's C1 = 0.001):
   - one step increases u strictly: u_{j-1} > u_j >= 0 (I12_step_increases);
   - so the table built from u_M = 0 is strictly decreasing in j: u_j > u_k for j < k <= M
     (I12_table_strictly_decreasing, indexed by k = M - j steps taken);
   - with C1 = 1 the floor max(r, 1) = 1 makes every step the identity (I12_step_c1_one), so the
     strict decrease needs C1 < 1; for 0 < C1 <= 1 the step is non-decreasing (I12_step_monotone_c1_le_1);
   - the cancellation-free forms: (u^2 + 1)/r - 1 = (u^2 + (1 - r))/r for r <> 0, and
     1 - sin(a)^2/sin(b)^2 = sin(b - a) sin(b + a)/sin(b)^2 for sin b <> 0.
   The table's length M = 1000, the floor/rounding of indices and float64 evaluation are not covered. *)
From Coq Require Import Reals Lra.
Open Scope R_scope.

Definition iddpm_step (c1 r u : R) : R := sqrt ((u * u + 1) / Rmax r c1 - 1).

Lemma floor_in_unit (c1 r : R) : 0 < c1 < 1 -> 0 < r < 1 -> 0 < Rmax r c1 < 1.
Proof. intros. unfold Rmax. destruct (Rle_dec r c1); lra. Qed.

Theorem I12_step_increases (c1 r u : R) :
  0 < c1 < 1 -> 0 < r < 1 -> 0 <= u -> u < iddpm_step c1 r u.
Proof.
  intros Hc Hr Hu. pose proof (floor_in_unit c1 r Hc Hr) as Hm. unfold iddpm_step.
  set (m := Rmax r c1) in *.
  assert (Hgt : u * u < (u * u + 1) / m - 1).
  { assert (Hi : 1 < / m) by (rewrite <- Rinv_1; apply Rinv_lt_contravar; lra).
    assert (0 <= u * u) by nra. unfold Rdiv. nra. }
  rewrite <- (sqrt_square u) at 1 by lra. apply sqrt_lt_1_alt. split; [ nra | exact Hgt ].
Qed.

Theorem I12_step_c1_one (r u : R) : r < 1 -> 0 <= u -> iddpm_step 1 r u = u.
Proof.
  intros Hr Hu. unfold iddpm_step. rewrite Rmax_right by lra.
  replace ((u * u + 1) / 1 - 1) with (u * u) by field. apply sqrt_square. exact Hu.
Qed.

Theorem I12_step_monotone_c1_le_1 (c1 r u : R) :
  0 < c1 <= 1 -> 0 < r < 1 -> 0 <= u -> u <= iddpm_step c1 r u.
Proof.
  intros Hc Hr Hu. destruct (Req_dec c1 1) as [-> | Hne].
  - rewrite I12_step_c1_one by lra. lra.
  - left. apply I12_step_increases; lra.
Qed.

(* The table from u_M = 0, indexed by k = M - j, the number of steps taken; rr k is r_{M-k}. *)
Fixpoint iddpm_table (c1 : R) (rr : nat -> R) (k : nat) : R :=
  match k with
  | O => 0
  | S k' => iddpm_step c1 (rr k') (iddpm_table c1 rr k')
  end.

Lemma table_nonneg (c1 : R) (rr : nat -> R) (k : nat) : 0 <= iddpm_table c1 rr k.
Proof. destruct k; simpl; [ lra | apply sqrt_pos ]. Qed.

Theorem I12_table_strictly_decreasing (c1 : R) (rr : nat -> R) (k l : nat) :
  0 < c1 < 1 -> (forall n, 0 < rr n < 1) -> (k < l)%nat -> iddpm_table c1 rr k < iddpm_table c1 rr l.
Proof.
  intros Hc Hr Hkl. induction Hkl as [ | l Hkl IH ].
  - simpl. apply I12_step_increases; [ exact Hc | apply Hr | apply table_nonneg ].
  - simpl. eapply Rlt_trans; [ exact IH | ]. apply I12_step_increases; [ exact Hc | apply Hr | apply table_nonneg ].
Qed.

Theorem I12_cancellation_free (u r : R) : r <> 0 -> (u * u + 1) / r - 1 = (u * u + (1 - r)) / r.
Proof. intros. field. exact H. Qed.

Lemma sin_diff_of_squares (a b : R) : sin (b - a) * sin (b + a) = sin b * sin b - sin a * sin a.
Proof.
  rewrite sin_minus, sin_plus.
  pose proof (sin2_cos2 a) as Ha. pose proof (sin2_cos2 b) as Hb. unfold Rsqr in Ha, Hb.
  replace ((sin b * cos a - cos b * sin a) * (sin b * cos a + cos b * sin a))
    with (sin b * sin b * (cos a * cos a) - cos b * cos b * (sin a * sin a)) by ring.
  replace (cos a * cos a) with (1 - sin a * sin a) by lra.
  replace (cos b * cos b) with (1 - sin b * sin b) by lra. ring.
Qed.

Theorem I12_one_minus_ratio (a b : R) :
  sin b <> 0 -> 1 - sin a ^ 2 / sin b ^ 2 = sin (b - a) * sin (b + a) / sin b ^ 2.
Proof. intros Hb. rewrite sin_diff_of_squares. field. exact Hb. Qed.
