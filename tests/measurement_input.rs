//! Measurements refuse what has no meaning instead of answering NaN or a silent 1: a state of
//! zeros or with a NaN (no normalised expectations), an orbital that is not normalised or not
//! finite (the formulas of (2.15) and (A.2) assume ‖u‖ = 1).

use pickl::measure::counting::{CondensateFrame, CountingDistribution};
use pickl::measure::observables::IndicatorWorkspace;
use pickl::measure::reduced::reduced_density;
use pickl::space::fock::FockBasis;
use pickl::C64;

const M: usize = 3;

fn uniform() -> Vec<C64> {
    vec![C64::new(1.0 / (M as f64).sqrt(), 0.0); M]
}

#[test]
fn states_without_weight_and_orbitals_without_norm_are_refused() {
    let (basis_a, basis_b) = (FockBasis::new(M, 2).unwrap(), FockBasis::new(M, 3).unwrap());
    let d = basis_a.dim() * basis_b.dim();
    let frame = CondensateFrame::new(&basis_a, &basis_b).unwrap();
    let good: Vec<C64> = (0..d).map(|i| C64::new(1.0 + i as f64, 0.5)).collect();
    let u = uniform();
    let mut first_site = vec![C64::new(0.0, 0.0); M];
    first_site[0] = C64::new(0.0, 1.0);
    // Both normalised orbitals work, and α lies in [0, 1].
    for (a, b) in [(&u, &first_site), (&first_site, &u)] {
        let found = IndicatorWorkspace::new(&basis_a, &basis_b)
            .indicators(&good, a, b)
            .unwrap();
        assert!((0.0..=1.0).contains(&found.alpha11), "{}", found.alpha11);
        frame.to_frame(&good, a, b).unwrap();
    }
    let nan = C64::new(f64::NAN, 0.0);
    for bad_state in [vec![C64::new(0.0, 0.0); d], vec![nan; d]] {
        let message = IndicatorWorkspace::new(&basis_a, &basis_b)
            .indicators(&bad_state, &u, &u)
            .unwrap_err()
            .to_string();
        assert!(message.contains("normalisable"), "{message}");
        let in_frame = frame.to_frame(&bad_state, &u, &u).unwrap();
        let message = CountingDistribution::from_frame_state(&basis_a, &basis_b, &in_frame)
            .unwrap_err()
            .to_string();
        assert!(message.contains("normalisable"), "{message}");
        let message = reduced_density(&basis_a, &basis_b, &bad_state, 1, 1)
            .unwrap_err()
            .to_string();
        assert!(message.contains("normalisable"), "{message}");
    }
    let twice: Vec<C64> = u.iter().map(|z| z * 2.0).collect();
    let mut with_nan = u.clone();
    with_nan[1] = nan;
    for bad in [
        vec![C64::new(0.0, 0.0); M],
        twice,
        with_nan,
        vec![C64::new(1.0, 0.0); M - 1],
    ] {
        for (a, b, name) in [(&bad, &u, "invalid u"), (&u, &bad, "invalid v")] {
            let message = IndicatorWorkspace::new(&basis_a, &basis_b)
                .indicators(&good, a, b)
                .unwrap_err()
                .to_string();
            assert!(message.contains(name), "{message}");
            let message = frame.to_frame(&good, a, b).unwrap_err().to_string();
            assert!(message.contains(name), "{message}");
        }
    }
}
