//! The ledger's figures: one per group (C_V1, C_V2, C_V12, Gronwall), one panel per bounded
//! term, and in each panel log₁₀(left/right) of every step of its chain against t, so that the
//! step that loses the most is the lowest line (t = 0 left out). Written as `STEM_GROUP.svg`
//! and `.png`.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::studies::plot::{
    color, fail, legend_line, register_font, write_both, DrawResult, Drawing, FONT,
};
use crate::{Error, Result};

/// One row of `FILE_steps.csv` as the figures read it.
struct StepRow {
    t: f64,
    group: String,
    term: String,
    label: String,
    ratio: Option<f64>,
}

/// Reads `FILE_steps.csv` (`t,group,term,step,equation,left,right,ratio`) back.
fn read_steps(path: &Path) -> Result<Vec<StepRow>> {
    let mut reader = csv::Reader::from_path(path)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let r = record?;
        let number = |i: usize| -> Result<Option<f64>> {
            let cell = r.get(i).unwrap_or("");
            if cell.is_empty() {
                return Ok(None);
            }
            cell.parse().map(Some).map_err(|_| {
                Error::invalid(
                    format!("{}", path.display()),
                    format!("'{cell}' is not a number"),
                )
            })
        };
        rows.push(StepRow {
            t: number(0)?.unwrap_or(0.0),
            group: r.get(1).unwrap_or("").to_string(),
            term: r.get(2).unwrap_or("").to_string(),
            label: format!("{} {}", r.get(4).unwrap_or(""), r.get(3).unwrap_or("")),
            ratio: number(7)?,
        });
    }
    Ok(rows)
}

/// The steps of one term: (step label, points (t, log₁₀ ratio)).
type Lines = Vec<(String, Vec<(f64, f64)>)>;

/// One group's panels: (term, its lines).
struct GroupFigure {
    title: String,
    panels: Vec<(String, Lines)>,
    t_max: f64,
}

impl Drawing for GroupFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult {
        let root = root.titled(&self.title, (FONT, 20)).map_err(fail)?;
        let columns = if self.panels.len() > 2 { 2 } else { 1 };
        let rows = self.panels.len().div_ceil(columns);
        let areas = root.split_evenly((rows, columns));
        for ((term, lines), area) in self.panels.iter().zip(areas) {
            let low = lines
                .iter()
                .flat_map(|(_, p)| p.iter().map(|q| q.1))
                .fold(0.0f64, f64::min);
            let y_low = (low - 0.3).floor().min(-1.0);
            let mut chart = ChartBuilder::on(&area)
                .caption(term, (FONT, 16))
                .margin(8)
                .x_label_area_size(30)
                .y_label_area_size(45)
                .build_cartesian_2d(0.0..self.t_max, y_low..0.3)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc("t")
                .y_desc("log10(left/right)")
                .label_style((FONT, 11))
                .axis_desc_style((FONT, 12))
                .draw()
                .map_err(fail)?;
            let count = lines.len();
            for (i, (label, points)) in lines.iter().enumerate() {
                chart
                    .draw_series(LineSeries::new(
                        points.iter().copied(),
                        color(i, count).stroke_width(2),
                    ))
                    .map_err(fail)?
                    .label(label.clone())
                    .legend(legend_line(color(i, count)));
            }
            chart
                .configure_series_labels()
                .label_font((FONT, 10))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerLeft)
                .draw()
                .map_err(fail)?;
        }
        Ok(())
    }
}

/// Draws the figures of the ledger in `steps_csv` into `STEM_GROUP.svg/.png` (STEM the CSV's
/// stem), with `title` naming the model. Points where a step has no ratio (both sides
/// round-off) are left out. Returns the files written.
pub fn write_ledger_figures(steps_csv: &Path, title: &str) -> Result<Vec<PathBuf>> {
    register_font();
    let steps = read_steps(steps_csv)?;
    let stem = steps_csv.with_extension("");
    let t_max = steps.iter().map(|s| s.t).fold(0.0f64, f64::max);
    let mut written = Vec::new();
    if !(t_max > 0.0 && t_max.is_finite()) {
        return Ok(written);
    }
    let mut groups: Vec<&str> = Vec::new();
    for s in &steps {
        if !groups.contains(&s.group.as_str()) {
            groups.push(&s.group);
        }
    }
    for group in groups {
        let mut panels: Vec<(String, Lines)> = Vec::new();
        for s in steps.iter().filter(|s| s.group == group) {
            let index = match panels.iter().position(|(term, _)| *term == s.term) {
                Some(i) => i,
                None => {
                    panels.push((s.term.clone(), Vec::new()));
                    panels.len() - 1
                }
            };
            let lines = &mut panels[index].1;
            let line = match lines.iter().position(|(l, _)| *l == s.label) {
                Some(i) => i,
                None => {
                    lines.push((s.label.clone(), Vec::new()));
                    lines.len() - 1
                }
            };
            // t = 0 is left out: from a product state α^(1,1)(0) is round-off, and so are the
            // steps that carry it.
            if let Some(ratio) = s.ratio.filter(|r| *r > 0.0 && r.is_finite() && s.t > 0.0) {
                lines[line].1.push((s.t, ratio.log10()));
            }
        }
        let figure = GroupFigure {
            title: format!("{title}: {group}, what each step of the proof loses"),
            panels,
            t_max,
        };
        let rows = figure.panels.len().div_ceil(2) as u32;
        let name = format!(
            "{}_{}",
            stem.file_name().unwrap_or_default().to_string_lossy(),
            group
        );
        written.extend(write_both(
            &figure,
            &stem.with_file_name(name),
            (1500, 120 + 520 * rows.max(1)),
        )?);
    }
    Ok(written)
}
