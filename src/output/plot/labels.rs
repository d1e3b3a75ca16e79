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

/// A probability to 4 significant digits.
pub(crate) fn short(p: f64) -> String {
    if p.is_nan() {
        "–".into()
    } else if p == 0.0 || (1e-3..1e4).contains(&p.abs()) {
        format!("{}", (p * 1e4).round() / 1e4)
    } else {
        format!("{p:.3e}")
    }
}

/// The distinct values of a column, in order of first appearance.
pub(super) fn distinct(values: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for &v in values {
        if !out.iter().any(|&x| x.total_cmp(&v).is_eq()) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_are_shown_short() {
        assert_eq!(short(0.94565), "0.9457");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(1.5e-29), "1.500e-29");
        assert_eq!(short(f64::NAN), "–");
    }
}
