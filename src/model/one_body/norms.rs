//! lᵖ norms with the counting measure: ‖u‖_p = (Σ_x |u_x|^p)^{1/p}, ‖u‖_∞ = max_x |u_x|.

use crate::C64;

/// ‖u‖_p for 1 ≤ p ≤ ∞ (`f64::INFINITY` for the sup norm), counting measure (SPEC §1).
pub fn lp_norm(u: &[C64], p: f64) -> f64 {
    assert!(p >= 1.0, "lp_norm needs p >= 1, got {p}");
    if p.is_infinite() {
        return u.iter().map(|z| z.norm()).fold(0.0, f64::max);
    }
    let largest = u.iter().map(|z| z.norm()).fold(0.0, f64::max);
    if largest == 0.0 {
        return 0.0;
    }
    // Scale by the largest entry so that high powers neither overflow nor underflow.
    largest
        * u.iter()
            .map(|z| (z.norm() / largest).powf(p))
            .sum::<f64>()
            .powf(1.0 / p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms_of_a_known_vector() {
        let u = [C64::new(3.0, 0.0), C64::new(0.0, -4.0)];
        assert!((lp_norm(&u, 2.0) - 5.0).abs() < 1e-15);
        assert!((lp_norm(&u, 1.0) - 7.0).abs() < 1e-15);
        assert_eq!(lp_norm(&u, f64::INFINITY), 4.0);
        assert!((lp_norm(&u, 4.0) - (81.0f64 + 256.0).powf(0.25)).abs() < 1e-13);
    }
}
