//! Everything that leaves the process: the numbers a run reports ([`results`]), atomic
//! files in the `--out` folder ([`files`]), the SVG figures ([`plot`]) and the HTML report
//! ([`report`]).

pub mod dump;
pub mod dynamics;
pub mod files;
pub mod format;
pub mod manifest;
pub mod meanfield;
pub mod plot;
pub mod report;
pub mod results;
pub mod schema;
pub mod sim;
pub mod thresholds;
pub mod training;
