//! Everything that leaves the process: the numbers a run reports ([`results`]), atomic
//! files in the `--out` folder ([`files`]), the SVG figures ([`plot`]) and the HTML report
//! ([`report`]).

pub mod files;
pub mod plot;
pub mod report;
pub mod results;
