//! The Givens factors of the frame: W = g_1 ⋯ g_{M−1} with W u = e₀, each g acting on modes
//! (x−1, x) as R(θ) diag(e^{−iα}, e^{−iβ}) (the doc of `counting::frame`).

use faer::Mat;

use crate::C64;

/// One Givens factor g = R(θ) diag(e^{−iα}, e^{−iβ}) on modes (x−1, x).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Givens {
    /// The pair is (mode − 1, mode).
    pub(super) mode: usize,
    pub(super) angle: f64,
    pub(super) phase_low: f64,
    pub(super) phase_high: f64,
}

/// The Givens factors of a unitary W with W u = e₀, in the order they act.
pub(super) fn givens_sequence(orbital: &[C64]) -> Vec<Givens> {
    let mut w = orbital.to_vec();
    let mut sequence = Vec::new();
    for x in (1..w.len()).rev() {
        let (low, high) = (w[x - 1], w[x]);
        let r = low.norm().hypot(high.norm());
        let angle = high.norm().atan2(low.norm());
        sequence.push(Givens {
            mode: x,
            angle,
            phase_low: low.arg(),
            phase_high: high.arg(),
        });
        w[x - 1] = C64::new(r, 0.0);
        w[x] = C64::new(0.0, 0.0);
    }
    sequence
}

/// The one-body unitary W = g_{M−1} ⋯ g_1 of the frame, with W u = e₀ (its first row is u†),
/// as an M × M matrix: the new modes are b_k = Σ_x W_kx a_x.
pub fn frame_unitary(orbital: &[C64]) -> Mat<C64> {
    let m = orbital.len();
    let mut w = Mat::from_fn(m, m, |i, j| C64::new(if i == j { 1.0 } else { 0.0 }, 0.0));
    if m == 1 {
        w[(0, 0)] = C64::from_polar(1.0, -orbital[0].arg());
        return w;
    }
    for g in givens_sequence(orbital) {
        let (i, j) = (g.mode - 1, g.mode);
        let (c, s) = (g.angle.cos(), g.angle.sin());
        let (di, dj) = (
            C64::from_polar(1.0, -g.phase_low),
            C64::from_polar(1.0, -g.phase_high),
        );
        for col in 0..m {
            let (a, b) = (di * w[(i, col)], dj * w[(j, col)]);
            w[(i, col)] = c * a + s * b;
            w[(j, col)] = -s * a + c * b;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn givens_sequence_maps_the_orbital_to_the_first_unit_vector() {
        let u = [
            C64::new(0.3, 0.1),
            C64::new(-0.2, 0.5),
            C64::new(0.0, -0.4),
            C64::new(0.6, 0.2),
        ];
        let n = u.iter().map(|z| z.norm_sqr()).sum::<f64>().sqrt();
        let mut w: Vec<C64> = u.iter().map(|z| z / n).collect();
        for g in givens_sequence(&w.clone()) {
            let (i, j) = (g.mode - 1, g.mode);
            let (a, b) = (
                w[i] * C64::from_polar(1.0, -g.phase_low),
                w[j] * C64::from_polar(1.0, -g.phase_high),
            );
            let (c, s) = (g.angle.cos(), g.angle.sin());
            w[i] = c * a + s * b;
            w[j] = -s * a + c * b;
        }
        assert!((w[0] - C64::new(1.0, 0.0)).norm() < 1e-15);
        assert!(w[1..].iter().all(|z| z.norm() < 1e-15));
    }
}
