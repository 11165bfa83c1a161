//! ByteTrack's constant-velocity Kalman filter over boxes in `(cx, cy, a, h)` form.

use crate::TrackError;

/// The 0.95 quantile of the chi-square distribution with 4 degrees of freedom: the gate on the
/// squared Mahalanobis distance of a 4-d measurement (DeepSORT's `chi2inv95[4]`).
///
/// # Examples
///
/// ```
/// use softkit_track::{CHI_SQUARE_95_4DOF, KalmanFilter};
///
/// let kf = KalmanFilter::default();
/// let state = kf.initiate([50.0, 50.0, 0.5, 100.0]);
/// assert!(kf.gating_distance(&state, [52.0, 49.0, 0.5, 101.0])? < CHI_SQUARE_95_4DOF);
/// assert!(kf.gating_distance(&state, [150.0, 49.0, 0.5, 101.0])? > CHI_SQUARE_95_4DOF);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
pub const CHI_SQUARE_95_4DOF: f64 = 9.4877;

/// The state of one track: the mean of `(cx, cy, a, h, vx, vy, va, vh)` and its covariance.
///
/// `cx, cy` is the box centre, `a = w / h` its aspect ratio and `h` its height; the last four
/// are their velocities per frame.
///
/// # Examples
///
/// ```
/// use softkit_track::KalmanFilter;
///
/// let state = KalmanFilter::default().initiate([10.0, 20.0, 0.5, 8.0]);
/// assert_eq!(state.xyxy(), [8.0, 16.0, 12.0, 24.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KalmanState {
    /// `(cx, cy, a, h, vx, vy, va, vh)`.
    pub mean: [f64; 8],
    /// The 8 × 8 covariance of `mean`, row-major.
    pub covariance: [[f64; 8]; 8],
}

impl KalmanState {
    /// The box `[x1, y1, x2, y2]` of the mean; a negative width or height (a filter that has
    /// drifted) is clamped to 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::KalmanFilter;
    ///
    /// let mut state = KalmanFilter::default().initiate([10.0, 20.0, 0.5, 8.0]);
    /// state.mean[3] = -1.0;
    /// assert_eq!(state.xyxy(), [10.0, 20.0, 10.0, 20.0]);
    /// ```
    pub fn xyxy(&self) -> [f64; 4] {
        let [cx, cy, a, h] = [self.mean[0], self.mean[1], self.mean[2], self.mean[3]];
        let h = h.max(0.0);
        let w = (a * h).max(0.0);
        [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0]
    }
}

/// ByteTrack's Kalman filter (the one DeepSORT introduced): constant velocity on
/// `(cx, cy, a, h)`, one step per frame, with noise proportional to the box height.
///
/// # Why `(cx, cy, a, h)`
///
/// SORT's filter has 7 dimensions, `(cx, cy, s, r, vx, vy, vs)` with area `s` and a constant
/// aspect ratio `r`, and fixed noise in pixels. DeepSORT and ByteTrack filter the aspect ratio
/// and the height, each with a velocity (8 dimensions), and scale every noise term by the box
/// height, so that a near, large box and a far, small one are equally certain relative to their
/// size. This module reproduces ByteTrack's `kalman_filter.py` term for term:
///
/// | term | `cx`, `cy`, `h` | `a` |
/// |------|------------------|-----|
/// | initial std, position | `2 · position_weight · h` | `1e-2` |
/// | initial std, velocity | `10 · velocity_weight · h` | `1e-5` |
/// | process std, position | `position_weight · h` | `1e-2` |
/// | process std, velocity | `velocity_weight · h` | `1e-5` |
/// | measurement std | `position_weight · h` | `1e-1` |
///
/// with `h` the height of the mean before the step (process noise) or after it (measurement
/// noise). The update solves the innovation covariance by a hand-written 4 × 4 Cholesky
/// factorisation, as ByteTrack does with `scipy.linalg.cho_solve`.
///
/// # Runtime and Performance
///
/// A predict, an update and a gating distance are each a few hundred flops on fixed-size arrays,
/// with no allocation.
///
/// # Examples
///
/// ```
/// use softkit_track::KalmanFilter;
///
/// let kf = KalmanFilter::default();
/// let mut state = kf.initiate([100.0, 50.0, 0.5, 80.0]);
/// for step in 1..=10 {
///     kf.predict(&mut state);
///     kf.update(&mut state, [100.0 + 3.0 * step as f64, 50.0, 0.5, 80.0])?;
/// }
/// // The filter has learnt the velocity of 3 pixels per frame.
/// assert!((state.mean[4] - 3.0).abs() < 0.5);
/// # Ok::<(), softkit_track::TrackError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KalmanFilter {
    /// Standard deviation of position noise per unit of box height (ByteTrack: `1 / 20`).
    pub position_weight: f64,
    /// Standard deviation of velocity noise per unit of box height (ByteTrack: `1 / 160`).
    pub velocity_weight: f64,
}

impl Default for KalmanFilter {
    fn default() -> Self {
        Self { position_weight: 1.0 / 20.0, velocity_weight: 1.0 / 160.0 }
    }
}

/// A projected state, factorised once so that many measurements can be gated against it.
#[derive(Clone, Debug)]
pub(crate) struct Projection {
    mean: [f64; 4],
    covariance: [[f64; 4]; 4],
    /// The lower Cholesky factor of `covariance`.
    lower: [[f64; 4]; 4],
}

impl Projection {
    /// The squared Mahalanobis distance of `measurement` from the projected mean.
    pub(crate) fn distance(&self, measurement: [f64; 4]) -> f64 {
        let d: [f64; 4] = std::array::from_fn(|k| measurement[k] - self.mean[k]);
        let z = forward(&self.lower, d);
        z.iter().map(|v| v * v).sum()
    }

    /// Half-widths of the gate along `cx` and `cy`: a measurement whose centre is further away
    /// than these cannot pass `gate` (the projection of the gate ellipsoid on each axis).
    pub(crate) fn reach(&self, gate: f64) -> (f64, f64) {
        ((gate * self.covariance[0][0]).sqrt(), (gate * self.covariance[1][1]).sqrt())
    }
}

impl KalmanFilter {
    /// A new track from an unassociated measurement `(cx, cy, a, h)`: the measurement as the
    /// position, zero velocity, and a diagonal covariance scaled by the height.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::KalmanFilter;
    ///
    /// let state = KalmanFilter::default().initiate([0.0, 0.0, 0.5, 100.0]);
    /// // Position std 2/20 of the height, velocity std 10/160 of it.
    /// assert_eq!(state.covariance[0][0], 100.0);
    /// assert_eq!(state.covariance[4][4], 6.25 * 6.25);
    /// ```
    pub fn initiate(&self, measurement: [f64; 4]) -> KalmanState {
        let h = measurement[3];
        let (p, v) = (2.0 * self.position_weight * h, 10.0 * self.velocity_weight * h);
        let std = [p, p, 1e-2, p, v, v, 1e-5, v];
        let mut mean = [0.0; 8];
        mean[..4].copy_from_slice(&measurement);
        let mut covariance = [[0.0; 8]; 8];
        for (k, s) in std.iter().enumerate() {
            covariance[k][k] = s * s;
        }
        KalmanState { mean, covariance }
    }

    /// One step of constant-velocity motion: `x = F x`, `P = F P F^T + Q`.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::KalmanFilter;
    ///
    /// let kf = KalmanFilter::default();
    /// let mut state = kf.initiate([0.0, 0.0, 0.5, 100.0]);
    /// state.mean[4] = 3.0;
    /// kf.predict(&mut state);
    /// assert_eq!(state.mean[0], 3.0);
    /// // 100 + 6.25^2 + 5^2: the position, the velocity and the process noise.
    /// assert_eq!(state.covariance[0][0], 164.0625);
    /// ```
    pub fn predict(&self, state: &mut KalmanState) {
        // The noise scales with the height before the step, as in ByteTrack.
        let h = state.mean[3];
        let (p, v) = (self.position_weight * h, self.velocity_weight * h);
        let std = [p, p, 1e-2, p, v, v, 1e-5, v];
        for k in 0..4 {
            state.mean[k] += state.mean[k + 4];
        }
        // With P = [[A, B], [B^T, C]] in 4 × 4 blocks and F = [[I, I], [0, I]]:
        // F P F^T = [[A + B + B^T + C, B + C], [B^T + C, C]].
        let old = state.covariance;
        let cov = &mut state.covariance;
        for i in 0..4 {
            for j in 0..4 {
                let (a, b, bt, c) = (old[i][j], old[i][j + 4], old[i + 4][j], old[i + 4][j + 4]);
                cov[i][j] = a + b + bt + c;
                cov[i][j + 4] = b + c;
                cov[i + 4][j] = bt + c;
            }
        }
        for (k, s) in std.iter().enumerate() {
            cov[k][k] += s * s;
        }
    }

    /// The state in measurement space: the mean `(cx, cy, a, h)` and its covariance plus the
    /// measurement noise.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::KalmanFilter;
    ///
    /// let kf = KalmanFilter::default();
    /// let (mean, cov) = kf.project(&kf.initiate([1.0, 2.0, 0.5, 100.0]));
    /// assert_eq!(mean, [1.0, 2.0, 0.5, 100.0]);
    /// // 10^2 from the state, 5^2 of measurement noise.
    /// assert_eq!(cov[0][0], 125.0);
    /// ```
    pub fn project(&self, state: &KalmanState) -> ([f64; 4], [[f64; 4]; 4]) {
        let p = self.position_weight * state.mean[3];
        let noise = [p * p, p * p, 1e-1 * 1e-1, p * p];
        let mean = [state.mean[0], state.mean[1], state.mean[2], state.mean[3]];
        let mut covariance = [[0.0; 4]; 4];
        for i in 0..4 {
            covariance[i][..4].copy_from_slice(&state.covariance[i][..4]);
            covariance[i][i] += noise[i];
        }
        (mean, covariance)
    }

    pub(crate) fn projection(&self, state: &KalmanState) -> Result<Projection, TrackError> {
        let (mean, covariance) = self.project(state);
        let lower = cholesky(&covariance)?;
        Ok(Projection { mean, covariance, lower })
    }

    /// Corrects the state with a measurement `(cx, cy, a, h)`: the Kalman gain
    /// `K = P H^T S^-1` by a Cholesky solve, `x += K (z - H x)`, `P -= K S K^T`.
    ///
    /// # Errors
    ///
    /// [`TrackError::InvalidParameter`] (`innovation_covariance`) when the projected covariance
    /// is not positive definite, which happens only for a state of height 0 built from a
    /// measurement of height 0; the state is then left unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::KalmanFilter;
    ///
    /// let kf = KalmanFilter::default();
    /// let mut state = kf.initiate([0.0, 0.0, 0.5, 100.0]);
    /// kf.update(&mut state, [5.0, 0.0, 0.5, 100.0])?;
    /// // Variance 100 in the state and 25 in the measurement: 4/5 of the way.
    /// assert!((state.mean[0] - 4.0).abs() < 1e-12);
    /// # Ok::<(), softkit_track::TrackError>(())
    /// ```
    pub fn update(&self, state: &mut KalmanState, measurement: [f64; 4]) -> Result<(), TrackError> {
        let projected = self.projection(state)?;
        // Row i of K solves S k_i = (P H^T)_i, since S is symmetric.
        let gain: [[f64; 4]; 8] = std::array::from_fn(|i| {
            let row = [state.covariance[i][0], state.covariance[i][1], state.covariance[i][2], state.covariance[i][3]];
            backward(&projected.lower, forward(&projected.lower, row))
        });
        let innovation: [f64; 4] = std::array::from_fn(|k| measurement[k] - projected.mean[k]);
        for (i, k) in gain.iter().enumerate() {
            state.mean[i] += (0..4).map(|j| k[j] * innovation[j]).sum::<f64>();
        }
        // K S, then (K S) K^T.
        let ks: [[f64; 4]; 8] = std::array::from_fn(|i| {
            std::array::from_fn(|j| (0..4).map(|m| gain[i][m] * projected.covariance[m][j]).sum())
        });
        for (row, ks_i) in state.covariance.iter_mut().zip(&ks) {
            for (cell, gain_j) in row.iter_mut().zip(&gain) {
                *cell -= (0..4).map(|m| ks_i[m] * gain_j[m]).sum::<f64>();
            }
        }
        Ok(())
    }

    /// The squared Mahalanobis distance between the projected state and a measurement
    /// `(cx, cy, a, h)`: compare it with [`CHI_SQUARE_95_4DOF`].
    ///
    /// # Errors
    ///
    /// As [`KalmanFilter::update`], when the projected covariance is not positive definite.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_track::KalmanFilter;
    ///
    /// let kf = KalmanFilter::default();
    /// let state = kf.initiate([0.0, 0.0, 0.5, 100.0]);
    /// // 5 pixels off in x against a projected variance of 125.
    /// assert!((kf.gating_distance(&state, [5.0, 0.0, 0.5, 100.0])? - 0.2).abs() < 1e-12);
    /// # Ok::<(), softkit_track::TrackError>(())
    /// ```
    pub fn gating_distance(&self, state: &KalmanState, measurement: [f64; 4]) -> Result<f64, TrackError> {
        Ok(self.projection(state)?.distance(measurement))
    }
}

/// `[x1, y1, x2, y2]` to `(cx, cy, a, h)`; a box of height 0 gives an infinite or NaN aspect,
/// so callers pass boxes of positive height.
pub(crate) fn xyah(b: &[f64; 4]) -> [f64; 4] {
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, w / h, h]
}

/// The lower factor `L` of `S = L L^T`.
fn cholesky(s: &[[f64; 4]; 4]) -> Result<[[f64; 4]; 4], TrackError> {
    let mut l = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..=i {
            let sum = s[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                // NaN fails too.
                if sum.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                    return Err(TrackError::InvalidParameter {
                        name: "innovation_covariance",
                        value: sum,
                        expected: "positive definite (a pivot above 0): the state's box height must be positive",
                    });
                }
                l[i][i] = sum.sqrt();
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    }
    Ok(l)
}

/// Solves `L z = b` for lower-triangular `L`.
fn forward(l: &[[f64; 4]; 4], b: [f64; 4]) -> [f64; 4] {
    let mut z = [0.0; 4];
    for i in 0..4 {
        z[i] = (b[i] - (0..i).map(|k| l[i][k] * z[k]).sum::<f64>()) / l[i][i];
    }
    z
}

/// Solves `L^T x = z` for lower-triangular `L`.
fn backward(l: &[[f64; 4]; 4], z: [f64; 4]) -> [f64; 4] {
    let mut x = [0.0; 4];
    for i in (0..4).rev() {
        x[i] = (z[i] - (i + 1..4).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "{a} != {b}");
    }

    /// One predict and one update, with every expected number written from the equations.
    ///
    /// From `initiate`, the covariance is diagonal, so each of the four coordinates is an
    /// independent (position, velocity) pair and the equations reduce to 2 × 2 arithmetic.
    #[test]
    fn one_predict_and_one_update_by_hand() {
        let kf = KalmanFilter::default();
        let mut s = kf.initiate([100.0, 200.0, 0.5, 80.0]);
        // Initial std: position 2/20 · 80 = 8, velocity 10/160 · 80 = 5.
        close(s.covariance[0][0], 64.0);
        close(s.covariance[4][4], 25.0);
        close(s.covariance[2][2], 1e-4);
        close(s.covariance[6][6], 1e-10);

        kf.predict(&mut s);
        // Zero velocity: the mean stays. P_pos = 64 + 25 + (80/20)^2 = 105, P_pos,vel = 25,
        // P_vel = 25 + (80/160)^2 = 25.25; aspect: 1e-4 + 1e-10 + 1e-4, 1e-10, 2e-10.
        assert_eq!(s.mean, [100.0, 200.0, 0.5, 80.0, 0.0, 0.0, 0.0, 0.0]);
        for k in [0, 1, 3] {
            close(s.covariance[k][k], 105.0);
            close(s.covariance[k][k + 4], 25.0);
            close(s.covariance[k + 4][k], 25.0);
            close(s.covariance[k + 4][k + 4], 25.25);
        }
        close(s.covariance[2][2], 2e-4 + 1e-10);
        close(s.covariance[2][6], 1e-10);
        close(s.covariance[6][6], 2e-10);
        close(s.covariance[0][1], 0.0);

        let z = [104.0, 198.0, 0.52, 84.0];
        // Gate before the update: S = P_pos + R with R = (80/20)^2 = 16 (aspect: 0.1^2).
        let s_pos = 105.0 + 16.0;
        let s_a = 2e-4 + 1e-10 + 0.01;
        let d2 = 16.0 / s_pos + 4.0 / s_pos + 0.02 * 0.02 / s_a + 16.0 / s_pos;
        close(kf.gating_distance(&s, z).unwrap(), d2);

        kf.update(&mut s, z).unwrap();
        // Per coordinate: K_pos = 105 / 121, K_vel = 25 / 121; x += K y;
        // P_pos -= 105^2 / 121, P_pos,vel -= 105 · 25 / 121, P_vel -= 25^2 / 121.
        for (k, y) in [(0, 4.0), (1, -2.0), (3, 4.0)] {
            close(s.mean[k], z[k] - y + 105.0 / s_pos * y);
            close(s.mean[k + 4], 25.0 / s_pos * y);
            close(s.covariance[k][k], 105.0 - 105.0 * 105.0 / s_pos);
            close(s.covariance[k][k + 4], 25.0 - 105.0 * 25.0 / s_pos);
            close(s.covariance[k + 4][k + 4], 25.25 - 25.0 * 25.0 / s_pos);
        }
        let p_a = 2e-4 + 1e-10;
        close(s.mean[2], 0.5 + p_a / s_a * 0.02);
        close(s.mean[6], 1e-10 / s_a * 0.02);
        close(s.covariance[2][2], p_a - p_a * p_a / s_a);
        close(s.covariance[0][3], 0.0);
    }

    /// On a full (non-diagonal) covariance, the Cholesky update matches the textbook update
    /// with an explicit inverse.
    #[test]
    fn update_matches_an_explicit_inverse() {
        let kf = KalmanFilter::default();
        let mut s = kf.initiate([10.0, 20.0, 0.4, 50.0]);
        for t in 1..6 {
            kf.predict(&mut s);
            kf.update(&mut s, [10.0 + 2.0 * t as f64, 20.0 - t as f64, 0.4 + 0.01 * t as f64, 50.0 + t as f64])
                .unwrap();
        }
        // Couple the coordinates so that S is dense.
        s.covariance[0][1] = 3.0;
        s.covariance[1][0] = 3.0;
        s.covariance[0][3] = -2.0;
        s.covariance[3][0] = -2.0;
        kf.predict(&mut s);
        let (mean, cov) = kf.project(&s);
        let inv = invert(cov);
        let z = [25.0, 12.0, 0.5, 58.0];
        let mut expected = s.clone();
        for i in 0..8 {
            let k: Vec<f64> = (0..4).map(|j| (0..4).map(|m| s.covariance[i][m] * inv[m][j]).sum()).collect();
            expected.mean[i] += (0..4).map(|j| k[j] * (z[j] - mean[j])).sum::<f64>();
            for c in 0..8 {
                // P - K H P.
                expected.covariance[i][c] -= (0..4).map(|j| k[j] * s.covariance[j][c]).sum::<f64>();
            }
        }
        let d2: f64 =
            (0..4).map(|i| (0..4).map(|j| (z[i] - mean[i]) * inv[i][j] * (z[j] - mean[j])).sum::<f64>()).sum();
        close(kf.gating_distance(&s, z).unwrap(), d2);
        kf.update(&mut s, z).unwrap();
        for i in 0..8 {
            assert!((s.mean[i] - expected.mean[i]).abs() < 1e-9, "{i}");
            for c in 0..8 {
                assert!((s.covariance[i][c] - expected.covariance[i][c]).abs() < 1e-8, "{i} {c}");
            }
        }
    }

    /// Gauss–Jordan inverse of a 4 × 4 matrix, for the test only.
    fn invert(m: [[f64; 4]; 4]) -> [[f64; 4]; 4] {
        let mut a = m;
        let mut inv = [[0.0; 4]; 4];
        for (i, row) in inv.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        for c in 0..4 {
            let p = (c..4).max_by(|&x, &y| a[x][c].abs().total_cmp(&a[y][c].abs())).unwrap();
            a.swap(c, p);
            inv.swap(c, p);
            let d = a[c][c];
            for k in 0..4 {
                a[c][k] /= d;
                inv[c][k] /= d;
            }
            for r in 0..4 {
                if r != c {
                    let f = a[r][c];
                    for k in 0..4 {
                        a[r][k] -= f * a[c][k];
                        inv[r][k] -= f * inv[c][k];
                    }
                }
            }
        }
        inv
    }

    #[test]
    fn a_flat_state_is_an_error_not_a_panic() {
        let kf = KalmanFilter::default();
        let mut s = kf.initiate([0.0, 0.0, 1.0, 0.0]);
        let before = s.clone();
        let err = kf.update(&mut s, [0.0; 4]).unwrap_err();
        assert!(err.to_string().starts_with("innovation_covariance = 0 is invalid"), "{err}");
        assert_eq!(s, before);
        assert!(kf.gating_distance(&s, [0.0; 4]).is_err());
    }

    #[test]
    fn boxes_convert_both_ways() {
        let b = [10.0, 20.0, 30.0, 60.0];
        let m = xyah(&b);
        assert_eq!(m, [20.0, 40.0, 0.5, 40.0]);
        assert_eq!(KalmanFilter::default().initiate(m).xyxy(), b);
    }
}
