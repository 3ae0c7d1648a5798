//! What every figure of pickl shares: the embedded font, the colour scale, the legend style,
//! and writing one drawing as SVG and PNG (plotters).

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{Error, Result};

pub(crate) const FONT: &str = "sans-serif";
pub(crate) const SIZE: (u32, u32) = (1200, 800);

pub(crate) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TrueType file; a failure would only leave text unset.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

pub(crate) type DrawResult = std::result::Result<(), String>;

pub(crate) fn fail<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// A drawing that can be made on any backend.
pub(crate) trait Drawing {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// The i-th of `count` colours, from deep blue through green to red.
pub(crate) fn color(index: usize, count: usize) -> RGBColor {
    // From deep blue (small N) to red (large N) through the viridis-like middle.
    let stops = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
        (220.0, 50.0, 32.0),
    ];
    let s = if count > 1 {
        index as f64 / (count - 1) as f64
    } else {
        0.0
    } * (stops.len() - 1) as f64;
    let (i, f) = ((s.floor() as usize).min(stops.len() - 2), s - s.floor());
    let f = if s >= (stops.len() - 1) as f64 {
        1.0
    } else {
        f
    };
    let mix = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(
        mix(stops[i].0, stops[i + 1].0),
        mix(stops[i].1, stops[i + 1].1),
        mix(stops[i].2, stops[i + 1].2),
    )
}

/// The largest magnitude an axis is given: beyond it plotters' axes overflow (a range reaching
/// f64::MAX made the logarithmic axis loop for ever).
const AXIS_LIMIT: f64 = 1e300;

/// The widest span of a logarithmic axis: plotters takes ln(end/start), which overflows to ∞
/// beyond about 1e308 and then lays out ticks for ever.
const LOG_SPAN_LIMIT: f64 = 1e290;

/// A logarithmic axis range covering the positive finite values (clamped to
/// [1/[`AXIS_LIMIT`], [`AXIS_LIMIT`]]), with a factor 2 of margin; `None` if there are none.
/// A span wider than [`LOG_SPAN_LIMIT`] keeps its lower end (the data, not the bounds far above
/// them) and lines above it leave the figure.
pub(crate) fn positive_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .map(|v| v.clamp(1.0 / AXIS_LIMIT, AXIS_LIMIT))
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    (hi > 0.0).then_some((lo / 2.0, (hi * 2.0).min(lo / 2.0 * LOG_SPAN_LIMIT)))
}

/// Moves a value into one span of a linear axis' range either side: what lies further out is
/// off the figure anyway, and plotters' integer pixel arithmetic overflows on it.
pub(crate) fn onto((lo, hi): (f64, f64)) -> impl Fn(f64) -> f64 {
    let span = hi - lo;
    move |v| v.clamp(lo - span, hi + span)
}

/// The largest magnitude of a linear axis: a quarter of the largest double, so that the span
/// and every finite value's distance from the axis stay finite (plotters maps points to pixels
/// in integers and overflows on a point far outside its axis).
const LINEAR_LIMIT: f64 = f64::MAX / 4.0;

/// A linear axis range covering the finite values (clamped to ±[`LINEAR_LIMIT`]), padded by
/// `pad` of its span and at least by `least` (and a little more than round-off, so that a flat
/// line has a range); `None` if there are none.
pub(crate) fn linear_range(
    values: impl Iterator<Item = f64>,
    pad: f64,
    least: f64,
) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .map(|v| v.clamp(-LINEAR_LIMIT, LINEAR_LIMIT))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    let margin = ((hi - lo) * pad)
        .max(least)
        .max(1e-9 * hi.abs().max(lo.abs()).max(1.0))
        .min(LINEAR_LIMIT);
    Some((lo - margin, hi + margin))
}

/// Labels of a logarithmic axis: 1, 2 and 5 times the powers of ten, others left blank.
pub(crate) fn log_label(y: &f64) -> String {
    let exponent = y.log10().floor();
    let mantissa = y / 10f64.powf(exponent);
    match [1.0, 2.0, 5.0, 10.0]
        .iter()
        .find(|m| (mantissa - **m).abs() < 1e-6 * **m)
    {
        Some(10.0) => format!("1e{}", exponent + 1.0),
        Some(m) => format!("{m}e{exponent}"),
        None => String::new(),
    }
}

pub(crate) fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
}

/// The legend box, in the same style on every figure.
pub(crate) fn legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    size: u32,
    position: SeriesLabelPosition,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .label_font((FONT, size))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(position)
        .draw()
        .map_err(fail)
}

/// Draws `figure` into `stem`.svg and `stem`.png, `size` pixels.
pub(crate) fn write_both(
    figure: &impl Drawing,
    stem: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>> {
    let svg = stem.with_extension("svg");
    let png = stem.with_extension("png");
    let wrap =
        |path: &Path, e: String| Error::Numerical(format!("drawing {}: {e}", path.display()));
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| wrap(&svg, fail(e)))?;
        figure.draw(&root).map_err(|e| wrap(&svg, e))?;
        root.present().map_err(|e| wrap(&svg, fail(e)))?;
    }
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| wrap(&png, fail(e)))?;
        figure.draw(&root).map_err(|e| wrap(&png, e))?;
        root.present().map_err(|e| wrap(&png, fail(e)))?;
    }
    Ok(vec![svg, png])
}

/// Curves y(x), one per labelled series, on one chart: a logarithmic y axis when no value is
/// negative and the positive ones span more than two decades (zeros are then left out), a
/// linear one otherwise. Points that are not finite are left out.
pub(crate) struct Curves<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

impl Curves<'_> {
    fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.series
            .iter()
            .flat_map(|(_, p)| p.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    }

    fn draw_on<DB: DrawingBackend, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: (f64, f64),
        (y, y_range): (Y, (f64, f64)),
        log: bool,
    ) -> DrawResult
    where
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let within = onto(y_range);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, (FONT, 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(x.0..x.1, y)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc(self.x_desc)
            .y_desc(self.y_desc)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 18))
            .draw()
            .map_err(fail)?;
        let count = self.series.len();
        for (i, (label, points)) in self.series.iter().enumerate() {
            let kept: Vec<(f64, f64)> = points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite() && !(log && *y <= 0.0))
                .map(|(x, y)| (x, if log { y } else { within(y) }))
                .collect();
            chart
                .draw_series(LineSeries::new(kept, color(i, count).stroke_width(2)))
                .map_err(fail)?
                .label(label.clone())
                .legend(legend_line(color(i, count)));
        }
        legend(&mut chart, 15, SeriesLabelPosition::UpperLeft)
    }
}

impl Drawing for Curves<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let Some(x) = linear_range(self.points().map(|p| p.0), 0.0, 1e-9) else {
            return Ok(());
        };
        let ys: Vec<f64> = self.points().map(|p| p.1).collect();
        let signed = ys.iter().any(|y| *y < 0.0);
        let wide = positive_range(ys.iter().copied()).is_some_and(|(lo, hi)| hi / lo > 400.0);
        if !signed && wide {
            let (lo, hi) = positive_range(ys.into_iter()).expect("positive values");
            self.draw_on(root, x, ((lo..hi).log_scale(), (lo, hi)), true)
        } else {
            let (lo, hi) = linear_range(ys.into_iter(), 0.05, 0.0).expect("finite values");
            self.draw_on(root, x, (lo..hi, (lo, hi)), false)
        }
    }
}
