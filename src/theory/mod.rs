//! Theory without sampling: the closed forms of iid products ([`iid`]), the mean field of
//! wide random networks ([`meanfield`]) and the quadrature both rest on.

pub mod iid;
pub mod meanfield;
pub mod phase;
pub mod quadrature;
pub mod roots;
pub mod thresholds;
