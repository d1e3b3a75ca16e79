//! The figure of the theory: the thresholds answer's thresholds t1(n) and e(n) against n.

use anyhow::bail;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT, Figure, TEXT, colour, draw};
use crate::theory::iid::{
    explode_threshold, vanish_threshold, widest_explode_threshold,
    widest_vanish_threshold as widest_vanish,
};

/// The seed's threshold figure: t1(n) and −t1(n) (beyond them f' < 1/(a·n)) and ±e(n)
/// (inside them f' > 1) for a·tanh(n·x), n from `n_lo` to `n_hi`, the widest t1 and e
/// marked.
pub fn thresholds(a: f64, n_lo: f64, n_hi: f64) -> anyhow::Result<Figure> {
    if !(a > 0.0 && n_lo > 0.0 && n_hi > n_lo && n_hi.is_finite()) {
        bail!("thresholds: need 0 < n_lo < n_hi and a > 0");
    }
    let points = 400;
    let ns: Vec<f64> = (0..=points)
        .map(|i| n_lo + (n_hi - n_lo) * i as f64 / points as f64)
        .collect();
    let t1: Vec<(f64, f64)> = ns.iter().map(|&n| (n, vanish_threshold(a, n))).collect();
    let e: Vec<(f64, f64)> = ns.iter().map(|&n| (n, explode_threshold(a, n))).collect();
    let (vn, vt) = widest_vanish(a);
    let (en, et) = widest_explode_threshold(a);
    let top = t1.iter().chain(&e).map(|p| p.1).fold(0.0, f64::max).max(vt) * 1.15;
    let svg = draw(|root| {
        let mut chart = super::linear_chart(
            root,
            &format!("Thresholds of f(x) = {}tanh(n·x)", amplitude(a)),
            (n_lo..n_hi, -top..top),
            ("slope n", "pre-activation x"),
            (10, &super::tick),
        )?;
        let line = |i: usize| colour(i).stroke_width(2);
        chart
            .draw_series(LineSeries::new(t1.iter().copied(), line(0)))?
            .label("t1(n): beyond ±t1, f'(x) < 1/(a·n)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], line(0)));
        chart.draw_series(LineSeries::new(t1.iter().map(|&(n, t)| (n, -t)), line(0)))?;
        chart
            .draw_series(LineSeries::new(e.iter().copied(), line(1)))?
            .label("e(n): inside ±e, f'(x) > 1")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], line(1)));
        chart.draw_series(LineSeries::new(e.iter().map(|&(n, t)| (n, -t)), line(1)))?;
        for (i, (n, t, name)) in [(vn, vt, "t1"), (en, et, "e")].into_iter().enumerate() {
            if n >= n_lo && n <= n_hi {
                chart.draw_series([
                    Circle::new((n, t), 5, colour(i).filled()),
                    Circle::new((n, -t), 5, colour(i).filled()),
                ])?;
                // Above the marker (its bottom edge there), clear of the flat curve.
                let font = (FONT, TEXT)
                    .into_font()
                    .color(&colour(i))
                    .pos(Pos::new(HPos::Center, VPos::Bottom));
                chart.draw_series([Text::new(
                    format!("widest {name} = {t:.4} at n = {n:.4}"),
                    (n, t + top * 0.04),
                    font,
                )])?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleRight)
            .label_font((FONT, TEXT))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        Ok(())
    })?;
    Ok(Figure {
        name: "thresholds".into(),
        title: "The thresholds answer's t1(n) and e(n) against n".into(),
        caption: format!(
            "Beyond ±t1(n) one factor f'(x) < 1/(a·n) cancels a maximal one; inside ±e(n) \
             f'(x) > 1. The dots mark the widest t1 = {vt:.4} (n = {vn:.4}) and the widest \
             e = {et:.4} (n = {en:.4}); at n = 2, t1 = {:.4} and e = {:.4}.",
            vanish_threshold(a, 2.0),
            explode_threshold(a, 2.0)
        ),
        svg,
    })
}

fn amplitude(a: f64) -> String {
    if a == 1.0 {
        String::new()
    } else {
        format!("{a}·")
    }
}
