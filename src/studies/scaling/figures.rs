//! The figures of a scaling study (plotters; each written as SVG and PNG beside the tables):
//!
//! * `alpha` — α^(1,1)(t) for every N, and the same against the Grönwall bound (5.5);
//! * `collapse` — N α^(1,1)(t) for every N with the extrapolated limit curve (2.21) and the
//!   Bogoliubov limit beside it;
//! * `loglog` — α^(1,1) against N at three times with the fitted N^{−γ};
//! * `ratios` — the largest measured/bound ratio of each proof group, and α over the bound of
//!   Theorem 2.1, against t.
//!
//! Text is set in DejaVu Sans, embedded, so that the figures look the same on every machine.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::fit::power_law_fit;
use super::table::{FitRow, NumericRow, ScalingTable};
use crate::studies::plot::{
    color, fail, legend, legend_line, linear_range, log_label, onto, positive_range, register_font,
    DrawResult, Drawing, FONT, SIZE,
};
use crate::Result;

/// One size's rows.
struct Series {
    total: usize,
    label: String,
    rows: Vec<NumericRow>,
}

/// What the figures are drawn from.
struct Study {
    title: String,
    series: Vec<Series>,
    fits: Vec<FitRow>,
    t_max: f64,
}

/// A figure that can be drawn on any backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, study: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// How [`lines_per_size`] draws: solid lines with a legend entry per size, or dashed lines that
/// share the solid ones' colours and entries.
#[derive(Clone, Copy, PartialEq)]
enum Stroke {
    Solid,
    Dashed,
}

/// One line per size, value against t (points where `value` is `None` or not finite are left
/// out).
fn lines_per_size<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    study: &Study,
    stroke: Stroke,
    value: impl Fn(&NumericRow) -> Option<f64>,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate<From = (f64, f64)>,
{
    let count = study.series.len();
    for (i, series) in study.series.iter().enumerate() {
        let style = color(i, count).stroke_width(2);
        let points: Vec<(f64, f64)> = series
            .rows
            .iter()
            .filter_map(|r| Some((r.get("t")?, value(r)?)))
            .filter(|(_, v)| v.is_finite())
            .collect();
        match stroke {
            Stroke::Solid => {
                chart
                    .draw_series(LineSeries::new(points, style))
                    .map_err(fail)?
                    .label(series.label.clone())
                    .legend(legend_line(color(i, count)));
            }
            Stroke::Dashed => {
                chart
                    .draw_series(DashedLineSeries::new(points, 8, 5, style))
                    .map_err(fail)?;
            }
        }
    }
    Ok(())
}

struct AlphaFigure;

impl Figure for AlphaFigure {
    fn draw<DB: DrawingBackend>(&self, study: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        // t = 0 is left out: α(0) of a product state is zero up to rounding.
        let later = |r: &NumericRow| r.get("t").is_some_and(|t| t > 0.0);
        let alpha = |r: &NumericRow| r.get("alpha11").filter(|_| later(r));
        let bound = |r: &NumericRow| r.get("log10_gronwall_bound").map(|l| 10f64.powf(l));
        let all = || study.series.iter().flat_map(|s| s.rows.iter());
        let Some(alpha_range) = positive_range(all().filter_map(alpha)) else {
            return Ok(());
        };
        for (area, with_bound) in [(left, false), (right, true)] {
            let range = if with_bound {
                positive_range(all().filter_map(alpha).chain(all().filter_map(bound)))
                    .unwrap_or(alpha_range)
            } else {
                alpha_range
            };
            let caption = if with_bound {
                "against the Grönwall bound (5.5), dashed"
            } else {
                "α^(1,1)(t) for each N"
            };
            let mut chart = ChartBuilder::on(&area)
                .caption(caption, (FONT, 22))
                .margin(12)
                .x_label_area_size(45)
                .y_label_area_size(80)
                .build_cartesian_2d(0.0..study.t_max, (range.0..range.1).log_scale())
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc("t (units of ħ/J)")
                .y_desc("α^(1,1)")
                .y_label_formatter(&log_label)
                .label_style((FONT, 15))
                .axis_desc_style((FONT, 18))
                .draw()
                .map_err(fail)?;
            lines_per_size(&mut chart, study, Stroke::Solid, |r| {
                alpha(r).filter(|a| *a > 0.0)
            })?;
            if with_bound {
                lines_per_size(&mut chart, study, Stroke::Dashed, bound)?;
            }
            let position = if with_bound {
                SeriesLabelPosition::UpperLeft
            } else {
                SeriesLabelPosition::LowerRight
            };
            legend(&mut chart, 15, position)?;
        }
        Ok(())
    }
}

struct CollapseFigure;

impl Figure for CollapseFigure {
    fn draw<DB: DrawingBackend>(&self, study: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let values: Vec<f64> = study
            .series
            .iter()
            .flat_map(|s| s.rows.iter().filter_map(|r| r.get("n_alpha11")))
            .chain(study.fits.iter().filter_map(|f| f.limit))
            .chain(study.fits.iter().filter_map(|f| f.bogoliubov_limit))
            .collect();
        // From 0 (N α ≥ 0) to the largest value, 5% of margin.
        let Some((lo, hi)) = linear_range(values.into_iter().chain([0.0]), 0.05, 0.0) else {
            return Ok(());
        };
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{}: (N1+N2) α^(1,1)(t) and its limit N → ∞", study.title),
                (FONT, 22),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..study.t_max, lo..hi)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("t (units of ħ/J)")
            .y_desc("(N1+N2) α^(1,1)")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 18))
            .draw()
            .map_err(fail)?;
        let within = onto((lo, hi));
        lines_per_size(&mut chart, study, Stroke::Solid, |r| {
            r.get("n_alpha11").map(&within)
        })?;
        let curve = |value: fn(&FitRow) -> Option<f64>| -> Vec<(f64, f64)> {
            study
                .fits
                .iter()
                .filter_map(|f| Some((f.t, value(f)?)))
                .filter(|(_, l)| l.is_finite())
                .map(|(t, l)| (t, within(l)))
                .collect()
        };
        let limit = curve(|f| f.limit);
        if limit.len() > 1 {
            chart
                .draw_series(DashedLineSeries::new(
                    limit.clone(),
                    10,
                    6,
                    BLACK.stroke_width(3),
                ))
                .map_err(fail)?
                .label("extrapolated limit (bars: its error bound)")
                .legend(legend_line(BLACK));
            let bars = study.fits.iter().filter_map(|f| {
                let (l, e) = (f.limit?, f.limit_error?);
                (l.is_finite() && e.is_finite()).then(|| {
                    let (low, mid, high) = (within(l - e), within(l), within(l + e));
                    ErrorBar::new_vertical(f.t, low, mid, high, BLACK.filled(), 6)
                })
            });
            chart.draw_series(bars).map_err(fail)?;
        }
        let bogoliubov = curve(|f| f.bogoliubov_limit);
        if bogoliubov.len() > 1 {
            let colour = RGBColor(230, 0, 230);
            chart
                .draw_series(LineSeries::new(bogoliubov, colour.stroke_width(2)))
                .map_err(fail)?
                .label("Bogoliubov limit (exact N → ∞)")
                .legend(legend_line(colour));
        }
        legend(&mut chart, 15, SeriesLabelPosition::UpperLeft)
    }
}

/// The three times of the log–log figure: the output times closest to T/3, 2T/3 and T.
fn chosen_times(study: &Study) -> Vec<f64> {
    let times: Vec<f64> = study.fits.iter().map(|f| f.t).collect();
    let mut chosen: Vec<f64> = [1.0, 2.0, 3.0]
        .iter()
        .filter_map(|k| {
            let target = study.t_max * k / 3.0;
            times
                .iter()
                .copied()
                .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
        })
        .filter(|t| *t > 0.0)
        .collect();
    chosen.dedup();
    chosen
}

struct LogLogFigure;

impl Figure for LogLogFigure {
    fn draw<DB: DrawingBackend>(&self, study: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let times = chosen_times(study);
        let at_column = |t: f64, column: &str| -> Vec<(f64, f64)> {
            study
                .series
                .iter()
                .filter_map(|s| {
                    let row = s.rows.iter().find(|r| r.get("t") == Some(t))?;
                    Some((s.total as f64, row.get(column)?))
                })
                .filter(|(_, a)| *a > 0.0)
                .collect()
        };
        let at = |t: f64| at_column(t, "alpha11");
        // With prefactors other than the paper's: α^(1,1) against the pair of (2.10) as well.
        let against_2_10 = |t: f64| at_column(t, "alpha11_vs_2_10");
        let points: Vec<(f64, f64)> = times
            .iter()
            .flat_map(|&t| at(t).into_iter().chain(against_2_10(t)))
            .collect();
        let (Some(x_range), Some(y_range)) = (
            positive_range(points.iter().map(|p| p.0)),
            positive_range(points.iter().map(|p| p.1)),
        ) else {
            return Ok(());
        };
        let x_range = (x_range.0 * 1.4, x_range.1 / 1.4);
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{}: α^(1,1) against N1+N2, fitted α ∝ N^(−γ)", study.title),
                (FONT, 22),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(
                (x_range.0..x_range.1).log_scale(),
                (y_range.0..y_range.1).log_scale(),
            )
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("N = N1 + N2")
            .y_desc("α^(1,1)")
            .y_label_formatter(&log_label)
            .x_label_formatter(&|x| {
                // 1, 2 and 5 times the powers of ten, as whole numbers.
                if log_label(x).is_empty() {
                    String::new()
                } else {
                    format!("{}", x.round())
                }
            })
            .x_labels(30)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 18))
            .draw()
            .map_err(fail)?;
        let palette = [
            RGBColor(31, 119, 180),
            RGBColor(44, 160, 44),
            RGBColor(214, 39, 40),
        ];
        for (k, &t) in times.iter().enumerate() {
            let c = palette[k % palette.len()];
            let other = against_2_10(t);
            if !other.is_empty() {
                chart
                    .draw_series(
                        other
                            .iter()
                            .map(|&p| TriangleMarker::new(p, 7, c.stroke_width(2))),
                    )
                    .map_err(fail)?
                    .label(format!("t = {t}: against the (2.10) pair"))
                    .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, c.stroke_width(2)));
            }
            let data = at(t);
            chart
                .draw_series(data.iter().map(|&p| Circle::new(p, 6, c.filled())))
                .map_err(fail)?;
            let (sizes, alphas): (Vec<f64>, Vec<f64>) = data.iter().copied().unzip();
            let Ok(fit) = power_law_fit(&sizes, &alphas) else {
                continue;
            };
            let interval = match (fit.gamma_low, fit.gamma_high) {
                (Some(lo), Some(hi)) => format!(" (95%: {lo:.3} … {hi:.3})"),
                _ => String::new(),
            };
            let line: Vec<(f64, f64)> = [x_range.0, x_range.1]
                .iter()
                .map(|&n| (n, fit.prefactor * n.powf(-fit.gamma)))
                .collect();
            chart
                .draw_series(LineSeries::new(line, c.stroke_width(2)))
                .map_err(fail)?
                .label(format!("t = {t}: γ = {:.3}{interval}", fit.gamma))
                .legend(legend_line(c));
        }
        // Slope −1 through the largest N at the last time, for the eye.
        if let Some(&(n, a)) = times.last().and_then(|&t| at(t).last().copied()).as_ref() {
            let reference: Vec<(f64, f64)> = [x_range.0, x_range.1]
                .iter()
                .map(|&x| (x, a * n / x))
                .collect();
            chart
                .draw_series(DashedLineSeries::new(
                    reference,
                    6,
                    6,
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(fail)?
                .label("slope −1 (rate 1/N)")
                .legend(legend_line(RGBColor(128, 128, 128)));
        }
        legend(&mut chart, 16, SeriesLabelPosition::LowerLeft)
    }
}

struct RatiosFigure;

impl Figure for RatiosFigure {
    fn draw<DB: DrawingBackend>(&self, study: &Study, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let panels = root.split_evenly((2, 2));
        // t = 0 is left out: every term vanishes there up to rounding.
        let later = |r: &NumericRow| r.get("t").is_some_and(|t| t > 0.0);
        let tightness = |r: &NumericRow| {
            let (a, b) = (r.get("alpha11")?, r.get("log10_gronwall_bound")?);
            (a > 0.0 && later(r)).then(|| a.log10() - b)
        };
        type Pick<'a> = Box<dyn Fn(&NumericRow) -> Option<f64> + 'a>;
        let groups: [(&str, Pick); 4] = [
            (
                "C_V1: largest |term| / bound (Prop. 5.1)",
                Box::new(move |r: &NumericRow| {
                    r.get("max_ratio_v1")
                        .filter(|v| *v > 0.0 && later(r))
                        .map(f64::log10)
                }),
            ),
            (
                "C_V2: largest |term| / bound (Prop. 5.1)",
                Box::new(move |r: &NumericRow| {
                    r.get("max_ratio_v2")
                        .filter(|v| *v > 0.0 && later(r))
                        .map(f64::log10)
                }),
            ),
            (
                "C_V12: largest |term| / bound (Prop. 5.2)",
                Box::new(move |r: &NumericRow| {
                    r.get("max_ratio_v12")
                        .filter(|v| *v > 0.0 && later(r))
                        .map(f64::log10)
                }),
            ),
            ("Theorem 2.1: α^(1,1) / Grönwall bound", Box::new(tightness)),
        ];
        for (area, (caption, pick)) in panels.iter().zip(groups.iter()) {
            // log10 of the ratios on a linear axis: the spans reach hundreds of decades.
            let values = study
                .series
                .iter()
                .flat_map(|s| s.rows.iter().filter_map(pick));
            let Some((lo, hi)) = linear_range(values, 0.08, 0.2) else {
                continue;
            };
            let mut chart = ChartBuilder::on(area)
                .caption(*caption, (FONT, 19))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..study.t_max, lo..hi)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc("t (units of ħ/J)")
                .y_desc("log10(measured / bound)")
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 15))
                .draw()
                .map_err(fail)?;
            lines_per_size(&mut chart, study, Stroke::Solid, pick)?;
            // The Theorem 2.1 line falls from the upper left: keep its legend clear of it.
            let position = if caption.starts_with("Theorem") {
                SeriesLabelPosition::UpperRight
            } else {
                SeriesLabelPosition::LowerRight
            };
            legend(&mut chart, 12, position)?;
        }
        Ok(())
    }
}

/// A figure of the study, as a [`Drawing`].
struct OfStudy<'a, F>(&'a F, &'a Study);

impl<F: Figure> Drawing for OfStudy<'_, F> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        self.0.draw(self.1, root)
    }
}

fn write_both(figure: &impl Figure, study: &Study, stem: &Path) -> Result<Vec<PathBuf>> {
    crate::studies::plot::write_both(&OfStudy(figure, study), stem, SIZE)
}

/// Draws the four figures of the study in `table` (with its `fits`) into `dir` (`alpha`,
/// `collapse`, `loglog`, `ratios`, each `.svg` and `.png`), with `title` naming the model.
/// Returns the files written.
pub fn write_figures(
    table: &ScalingTable,
    fits: &[FitRow],
    title: &str,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    register_font();
    let rows = table.numeric();
    let mut series: Vec<Series> = Vec::new();
    for row in rows {
        match series.last_mut() {
            Some(s) if s.total == row.total() && s.rows[0].sizes == row.sizes => s.rows.push(row),
            _ => series.push(Series {
                total: row.total(),
                label: format!("N = {} ({}+{})", row.total(), row.sizes.0, row.sizes.1),
                rows: vec![row],
            }),
        }
    }
    let t_max = series
        .iter()
        .flat_map(|s| s.rows.iter().filter_map(|r| r.get("t")))
        .fold(0.0f64, f64::max);
    if series.is_empty() || !(t_max > 0.0 && t_max.is_finite()) {
        return Ok(Vec::new());
    }
    let study = Study {
        title: title.to_owned(),
        series,
        fits: fits.to_vec(),
        t_max,
    };
    let mut written = Vec::new();
    written.extend(write_both(&AlphaFigure, &study, &dir.join("alpha"))?);
    written.extend(write_both(&CollapseFigure, &study, &dir.join("collapse"))?);
    written.extend(write_both(&LogLogFigure, &study, &dir.join("loglog"))?);
    written.extend(write_both(&RatiosFigure, &study, &dir.join("ratios"))?);
    Ok(written)
}
