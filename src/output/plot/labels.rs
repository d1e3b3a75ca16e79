//! Pieces the figure families share: the legend, probabilities written short, and the
//! distinct values of a column.

use plotters::prelude::*;

use super::{DrawResult, FONT};

/// Draws the legend of every labelled series in the upper right.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// The distinct values of a column, in order of first appearance.
pub(super) fn distinct(values: &[f64]) -> Vec<f64> {
    // By bits: total_cmp's equality (every NaN payload its own value, −0 apart from 0).
    let mut seen = std::collections::HashSet::new();
    values
        .iter()
        .copied()
        .filter(|v| seen.insert(v.to_bits()))
        .collect()
}
