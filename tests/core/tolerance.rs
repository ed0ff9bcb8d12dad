//! The statistical bounds of `elucidated::tolerance`: typed errors for inputs that have no
//! bound, never a panic.

use elucidated::Error;
use elucidated::tolerance::{chi_square_bound, mean_bound, variance_ratio_interval};

#[test]
fn statistical_bounds_reject_too_few_draws_with_a_typed_error() {
    assert!(matches!(
        mean_bound(1.0, 0),
        Err(Error::CountTooSmall {
            value: 0,
            min: 1,
            ..
        })
    ));
    for n in [0, 1] {
        assert!(matches!(
            variance_ratio_interval(n),
            Err(Error::CountTooSmall { min: 2, .. })
        ));
    }
    assert!(matches!(
        chi_square_bound(0),
        Err(Error::CountTooSmall {
            value: 0,
            min: 1,
            ..
        })
    ));
    assert!(matches!(
        mean_bound(f64::NAN, 10),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(mean_bound(-1.0, 10), Err(Error::Negative { .. })));
}
