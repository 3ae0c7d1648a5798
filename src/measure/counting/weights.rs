//! The weights f of f̂ = Σ_k f(k) P_k used by the counting method (Appendix A, (A.5)–(A.15)),
//! as functions of the number k of particles outside the condensate, for N particles.

/// m(k) = k/N (A.7); m̂ = (1/N) Σ_j q_j (A.8).
pub fn m(particles: usize) -> impl Fn(usize) -> f64 {
    move |k| k as f64 / particles as f64
}

/// n(k) = √(k/N) (A.7).
pub fn n(particles: usize) -> impl Fn(usize) -> f64 {
    move |k| (k as f64 / particles as f64).sqrt()
}

/// n⁻¹ on the range of q: √(N/k) for k ≥ 1 and 0 at k = 0, as in §5.4
/// ((n̂⁻¹) q₁Ψ = Σ_{k≥1} (N/k)^{1/2} P_k q₁Ψ).
pub fn n_inverse(particles: usize) -> impl Fn(usize) -> f64 {
    move |k| {
        if k == 0 {
            0.0
        } else {
            (particles as f64 / k as f64).sqrt()
        }
    }
}

/// (τ_s f)(k) = f(k + s) (A.15), with f taken as 0 outside 0..=N.
pub fn shifted(f: impl Fn(usize) -> f64, shift: i64, particles: usize) -> impl Fn(usize) -> f64 {
    move |k| {
        let moved = k as i64 + shift;
        if (0..=particles as i64).contains(&moved) {
            f(moved as usize)
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_by_hand() {
        assert_eq!(m(4)(1), 0.25);
        assert_eq!(n(4)(1), 0.5);
        assert_eq!(n_inverse(4)(1), 2.0);
        assert_eq!(n_inverse(4)(0), 0.0);
        let t = shifted(m(4), 2, 4);
        assert_eq!(t(1), 0.75);
        assert_eq!(t(3), 0.0);
        let back = shifted(m(4), -1, 4);
        assert_eq!(back(0), 0.0);
        assert_eq!(back(4), 0.75);
    }
}
