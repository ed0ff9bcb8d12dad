//! The four model families of Karras et al. (2022), Table 1: VP, VE, iDDPM and EDM.
//!
//! Each family has a schedule (I10–I13), a preconditioning (I16) and a time discretisation
//! (I14); [`Family`] names one of them wherever a choice is made at run time, so that the names
//! `vp`, `ve`, `iddpm` and `edm` are spelled in one place.

use core::fmt;
use core::str::FromStr;

use crate::error::Error;

/// One column of Table 1: which family a schedule, preconditioning or discretisation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Family {
    /// Variance preserving (Song et al. 2021): I10, the VP columns of Table 1.
    Vp,
    /// Variance exploding (Song et al. 2021): I11, the VE columns of Table 1.
    Ve,
    /// Improved DDPM (Nichol and Dhariwal 2021): I12, the iDDPM columns of Table 1.
    Iddpm,
    /// The paper's own choices: I13, the EDM columns of Table 1.
    Edm,
}

impl Family {
    /// Every family, in the order of Table 1.
    pub const ALL: [Family; 4] = [Family::Vp, Family::Ve, Family::Iddpm, Family::Edm];

    /// The family's name: `vp`, `ve`, `iddpm` or `edm`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Vp => "vp",
            Family::Ve => "ve",
            Family::Iddpm => "iddpm",
            Family::Edm => "edm",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Family {
    type Err = Error;

    /// The family named `name` (`vp`, `ve`, `iddpm` or `edm`, lower case as in [`Family::name`]).
    fn from_str(name: &str) -> Result<Self, Error> {
        Family::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| Error::UnknownName {
                what: "family",
                name: name.to_owned(),
            })
    }
}
