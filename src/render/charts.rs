//! SVG charts drawn with plotters.
//!
//! Data preparation (`*_data`) is pure and separate from drawing
//! ([`draw_bar_chart`]). Every chart is a horizontal bar chart of one fixed
//! size and palette, drawn as explicit rectangles from ordered data: plotters'
//! `Histogram` buckets through a `HashMap` and would make the bytes differ
//! between runs. Every chart file is always produced; a chart without data
//! still has its title and axes and says `no data` and why, so the set of
//! files and the page layout do not depend on the inputs.
//!
//! Labels come from input data (node names, run ids). They are cleaned of
//! control characters here; plotters' SVG backend escapes `<`, `>`, `&` and
//! quotes in text and attributes (a test checks this), which is what makes
//! inlining the SVG into HTML safe.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::FatalError;
use crate::model::Report;

use super::escape::{clean_text, truncate_chars, truncate_chars_start};
use super::view::{fmt_fixed, fmt_trim};

/// Width and height of every chart, pixels.
pub const SIZE: (u32, u32) = (760, 400);

/// Most rows (runs, categories) in one chart; the rest are counted in the
/// chart's note so nothing is silently dropped.
pub const MAX_ROWS: usize = 16;

/// Chart stems, in the order files are emitted.
pub const CHART_NAMES: [&str; 4] = ["scores", "throughput", "latency", "findings"];

/// Series colours (Okabe–Ito, distinguishable with colour-vision deficiency).
const PALETTE: [RGBColor; 3] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(213, 94, 0),
];
/// Text, secondary text and grid lines: shared by every chart so they
/// look alike.
pub(crate) const INK: RGBColor = RGBColor(33, 37, 41);
pub(crate) const MUTED: RGBColor = RGBColor(108, 117, 125);
pub(crate) const GRID: RGBColor = RGBColor(222, 226, 230);

/// Longest category label drawn, in characters.
const LABEL_MAX: usize = 36;

/// One rendered chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// File stem (`scores`, `gpu_1`).
    pub name: String,
    /// Standalone SVG document.
    pub svg: String,
}

/// How bar values are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// Rounded integer (`72`).
    Integer,
    /// Two decimals (`190.03`).
    Rate,
    /// Milliseconds with about three significant digits.
    Millis,
}

/// Everything needed to draw one bar chart; built from the report by the
/// pure `*_data` functions.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChartData {
    /// File stem.
    pub name: &'static str,
    /// Chart title.
    pub title: String,
    /// Value axis label (with unit).
    pub x_label: String,
    /// Category axis label.
    pub y_label: String,
    /// Series names; one value per series in each row.
    pub series: Vec<&'static str>,
    /// Rows, top to bottom.
    pub rows: Vec<BarRow>,
    /// Fixed axis maximum (100 for scores); otherwise derived from the data.
    pub x_max: Option<f64>,
    /// Note under the title (rows left out, what a gap means).
    pub note: String,
    /// Why there is nothing to draw, when `rows` is empty.
    pub empty_reason: String,
    /// How values are printed.
    pub format: ValueFormat,
}

/// One category (a component, a run, an error category).
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// Label on the category axis (cleaned, truncated).
    pub label: String,
    /// One value per series; `None` is drawn as no bar.
    pub values: Vec<Option<f64>>,
    /// Printed in place of the bars when every value is `None`.
    pub gap: String,
    /// Extra words after the value (a status word, so colour is not the
    /// only signal).
    pub suffix: String,
}

/// Draw every chart for `report`: the four fixed charts in [`CHART_NAMES`]
/// order, then the charts whose number depends on the data
/// ([`super::timecharts`]).
pub fn render_charts(report: &Report) -> Result<Vec<Chart>, FatalError> {
    let mut charts = fixed_charts(report)?;
    charts.extend(super::timecharts::render_planned(report)?);
    Ok(charts)
}

fn fixed_charts(report: &Report) -> Result<Vec<Chart>, FatalError> {
    [
        scores_data(report),
        throughput_data(report),
        latency_data(report),
        findings_data(report),
    ]
    .iter()
    .map(|d| {
        Ok(Chart {
            name: d.name.to_string(),
            svg: draw_bar_chart(d)?,
        })
    })
    .collect()
}

// ------------------------------------------------------------- data prep

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite()).map(|x| x.max(0.0))
}

fn label(s: &str) -> String {
    truncate_chars(&clean_text(s), LABEL_MAX)
}

/// `…/Offline/run_1 @ node-a`: the tail of the run id says the most.
fn run_label(id: &str, node: Option<&str>) -> String {
    let node = node.map(clean_text).filter(|n| !n.is_empty());
    match node {
        Some(n) => {
            let n = truncate_chars(&n, 14);
            let room = LABEL_MAX.saturating_sub(n.chars().count() + 3).max(8);
            format!("{} @ {n}", truncate_chars_start(&clean_text(id), room))
        }
        None => truncate_chars_start(&clean_text(id), LABEL_MAX),
    }
}

fn capped_note(total: usize, what: &str) -> String {
    if total > MAX_ROWS {
        format!("Showing the first {MAX_ROWS} of {total} {what}.")
    } else {
        String::new()
    }
}

/// Component scores; a component that was not assessed is a labelled gap.
pub fn scores_data(report: &Report) -> BarChartData {
    let rows = report
        .components
        .iter()
        .take(MAX_ROWS)
        .map(|c| {
            let score = finite(c.score);
            BarRow {
                label: label(if c.name.is_empty() { &c.id } else { &c.name }),
                values: vec![score],
                gap: "not assessed".to_string(),
                suffix: match score {
                    Some(_) => c.status.as_str().replace('_', " "),
                    None => String::new(),
                },
            }
        })
        .collect();
    BarChartData {
        name: "scores",
        title: "Component scores".to_string(),
        x_label: "score (0–100)".to_string(),
        y_label: "component".to_string(),
        series: vec!["score"],
        rows,
        x_max: Some(100.0),
        note: "No bar means not assessed, never zero.".to_string(),
        empty_reason: "no components were scored".to_string(),
        format: ValueFormat::Integer,
    }
}

/// Samples per second per run.
pub fn throughput_data(report: &Report) -> BarChartData {
    let rows = report
        .runs
        .iter()
        .take(MAX_ROWS)
        .map(|r| BarRow {
            label: run_label(&r.id, r.node.as_deref()),
            values: vec![finite(r.metrics.samples_per_second)],
            gap: "no throughput reported".to_string(),
            suffix: String::new(),
        })
        .collect();
    BarChartData {
        name: "throughput",
        title: "Throughput per run".to_string(),
        x_label: "samples/s".to_string(),
        y_label: "run @ node".to_string(),
        series: vec!["samples/s"],
        rows,
        x_max: None,
        note: capped_note(report.runs.len(), "runs"),
        empty_reason: "no LoadGen runs were found".to_string(),
        format: ValueFormat::Rate,
    }
}

/// Latency p50/p90/p99 per run, in ms.
pub fn latency_data(report: &Report) -> BarChartData {
    let ms = |ns: Option<f64>| finite(ns).map(|v| v / 1e6);
    let rows = report
        .runs
        .iter()
        .take(MAX_ROWS)
        .map(|r| {
            let l = &r.metrics.latency_ns;
            BarRow {
                label: run_label(&r.id, r.node.as_deref()),
                values: vec![ms(l.p50), ms(l.p90), ms(l.p99)],
                gap: "no latency reported".to_string(),
                suffix: String::new(),
            }
        })
        .collect();
    BarChartData {
        name: "latency",
        title: "Latency percentiles per run".to_string(),
        x_label: "latency (ms)".to_string(),
        y_label: "run @ node".to_string(),
        series: vec!["p50", "p90", "p99"],
        rows,
        x_max: None,
        note: capped_note(report.runs.len(), "runs"),
        empty_reason: "no LoadGen runs were found".to_string(),
        format: ValueFormat::Millis,
    }
}

/// De-duplicated events per category; categories that could not be assessed
/// are gaps, categories checked and clean are zero.
pub fn findings_data(report: &Report) -> BarChartData {
    let rows = report
        .categories
        .iter()
        .take(MAX_ROWS)
        .map(|c| {
            let assessed = c.status != "not_assessed";
            BarRow {
                label: label(if c.name.is_empty() {
                    &c.category
                } else {
                    &c.name
                }),
                values: vec![assessed.then_some(c.events as f64)],
                gap: "not assessed".to_string(),
                suffix: match (assessed, c.severity) {
                    (true, Some(s)) if c.events > 0 => s.as_str().to_string(),
                    (true, _) if c.events == 0 => "not observed".to_string(),
                    _ => String::new(),
                },
            }
        })
        .collect();
    BarChartData {
        name: "findings",
        title: "Events per error category".to_string(),
        x_label: "de-duplicated events".to_string(),
        y_label: "category".to_string(),
        series: vec!["events"],
        rows,
        x_max: None,
        note: capped_note(report.categories.len(), "categories"),
        empty_reason: "no error categories were evaluated".to_string(),
        format: ValueFormat::Integer,
    }
}

/// The axis maximum and tick step: a 1–2–5 step giving about five ticks,
/// with room past the longest bar for its value label.
pub fn axis_scale(data: &BarChartData) -> (f64, f64) {
    if let Some(max) = data.x_max.filter(|m| m.is_finite() && *m > 0.0) {
        return (max, nice_step(max / 5.0));
    }
    let max = data
        .rows
        .iter()
        .flat_map(|r| r.values.iter().flatten())
        .copied()
        .fold(0.0_f64, f64::max);
    let floor = match data.format {
        ValueFormat::Integer => 5.0,
        ValueFormat::Rate | ValueFormat::Millis => 1.0,
    };
    let target = (max * 1.15).max(floor);
    let step = nice_step(target / 5.0);
    ((target / step).ceil() * step, step)
}

/// A 1–2–5 step at or above `raw`: the tick step of every chart's axes.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn format_value(v: f64, f: ValueFormat) -> String {
    match f {
        ValueFormat::Integer => fmt_fixed(v.round(), 0),
        ValueFormat::Rate => fmt_fixed(v, 2),
        ValueFormat::Millis => {
            let d = if v >= 100.0 {
                0
            } else if v >= 10.0 {
                1
            } else if v >= 1.0 {
                2
            } else {
                3
            };
            fmt_fixed(v, d)
        }
    }
}

/// A tick label with as many decimals as `step` needs.
pub(crate) fn format_tick(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    };
    fmt_trim(v, decimals)
}

// --------------------------------------------------------------- drawing

/// Plot area edges, pixels.
const LEFT: i32 = 260;
const RIGHT: i32 = SIZE.0 as i32 - 40;
const TOP: i32 = 62;
const BOTTOM: i32 = SIZE.1 as i32 - 56;

/// A drawing error of chart `name`.
pub(crate) fn chart_err(name: &str, e: impl std::fmt::Display) -> FatalError {
    FatalError::Chart {
        name: name.to_string(),
        message: e.to_string(),
    }
}

/// Text in the charts' one font, in `color`, anchored at (`h`, `v`).
pub(crate) fn style(size: f64, color: &'static RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font())
        .color(color)
        .pos(Pos::new(h, v))
}

/// Draw `data` as a standalone SVG document.
pub fn draw_bar_chart(data: &BarChartData) -> Result<String, FatalError> {
    let name = data.name;
    let err = |e: DrawingAreaErrorKind<std::io::Error>| chart_err(name, e);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;

        let (w, h) = (SIZE.0 as i32, SIZE.1 as i32);
        let title = TextStyle::from(("sans-serif", 20).into_font().style(FontStyle::Bold))
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        root.draw_text(&data.title, &title, (w / 2, 10))
            .map_err(err)?;
        if !data.note.is_empty() {
            let s = style(12.0, &MUTED, HPos::Left, VPos::Center);
            root.draw_text(&data.note, &s, (LEFT, 44)).map_err(err)?;
        }
        if data.series.len() > 1 {
            draw_legend(&root, &data.series).map_err(err)?;
        }

        // Axes and their labels come first so an empty chart still has them.
        let (x_max, step) = axis_scale(data);
        let plot_w = f64::from(RIGHT - LEFT);
        let x_of = |v: f64| LEFT + ((v / x_max).clamp(0.0, 1.0) * plot_w).round() as i32;
        let ticks = ((x_max / step).round() as i64).clamp(1, 20);
        let tick_style = style(11.0, &MUTED, HPos::Center, VPos::Top);
        for i in 0..=ticks {
            let v = step * i as f64;
            let x = x_of(v);
            root.draw(&PathElement::new(vec![(x, TOP), (x, BOTTOM)], GRID))
                .map_err(err)?;
            root.draw_text(&format_tick(v, step), &tick_style, (x, BOTTOM + 6))
                .map_err(err)?;
        }
        root.draw(&PathElement::new(vec![(LEFT, TOP), (LEFT, BOTTOM)], INK))
            .map_err(err)?;
        root.draw(&PathElement::new(
            vec![(LEFT, BOTTOM), (RIGHT, BOTTOM)],
            INK,
        ))
        .map_err(err)?;
        let axis_style = style(13.0, &INK, HPos::Center, VPos::Bottom);
        root.draw_text(&data.x_label, &axis_style, ((LEFT + RIGHT) / 2, h - 8))
            .map_err(err)?;
        let y_style =
            style(13.0, &INK, HPos::Center, VPos::Center).transform(FontTransform::Rotate270);
        root.draw_text(&data.y_label, &y_style, (16, (TOP + BOTTOM) / 2))
            .map_err(err)?;

        if data.rows.is_empty() {
            let s = style(14.0, &MUTED, HPos::Center, VPos::Center);
            let msg = format!("no data: {}", data.empty_reason);
            root.draw_text(&msg, &s, ((LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2))
                .map_err(err)?;
        }

        let n = data.rows.len().max(1) as f64;
        let row_h = f64::from(BOTTOM - TOP) / n;
        let k = data.series.len().max(1) as f64;
        let group_h = row_h * 0.7;
        let bar_h = group_h / k;
        let label_style = style(11.0, &INK, HPos::Right, VPos::Center);
        let value_style = style(10.0, &INK, HPos::Left, VPos::Center);
        let inside_style = style(10.0, &WHITE, HPos::Right, VPos::Center);
        let gap_style = TextStyle::from(("sans-serif", 11).into_font().style(FontStyle::Italic))
            .color(&MUTED)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (i, row) in data.rows.iter().enumerate() {
            let top = f64::from(TOP) + row_h * i as f64;
            let center = (top + row_h / 2.0).round() as i32;
            root.draw_text(&row.label, &label_style, (LEFT - 8, center))
                .map_err(err)?;
            if row.values.iter().all(Option::is_none) {
                root.draw_text(&row.gap, &gap_style, (LEFT + 8, center))
                    .map_err(err)?;
                continue;
            }
            let group_top = top + (row_h - group_h) / 2.0;
            for (j, v) in row.values.iter().enumerate() {
                let Some(v) = *v else { continue };
                let y0 = (group_top + bar_h * j as f64).round() as i32;
                let y1 = ((group_top + bar_h * (j + 1) as f64).round() as i32 - 1).max(y0 + 1);
                let x1 = x_of(v);
                let color = PALETTE[j % PALETTE.len()];
                if x1 > LEFT {
                    root.draw(&Rectangle::new([(LEFT + 1, y0), (x1, y1)], color.filled()))
                        .map_err(err)?;
                }
                // Values are labelled only where the bar is tall enough to
                // read; the table in the report carries every number.
                if bar_h >= 9.0 {
                    let mut text = format_value(v, data.format);
                    if !row.suffix.is_empty() {
                        text.push(' ');
                        text.push_str(&row.suffix);
                    }
                    // The naive font metric: about 0.6 em per character.
                    let width = (text.chars().count() as i32) * 6;
                    if x1 + 4 + width > SIZE.0 as i32 - 4 && x1 - LEFT > width + 8 {
                        root.draw_text(&text, &inside_style, (x1 - 4, (y0 + y1) / 2))
                            .map_err(err)?;
                    } else {
                        root.draw_text(&text, &value_style, (x1 + 4, (y0 + y1) / 2))
                            .map_err(err)?;
                    }
                }
            }
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn draw_legend(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    series: &[&str],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let s = style(12.0, &INK, HPos::Left, VPos::Center);
    // Right-aligned: each entry is a swatch and a short name.
    let entry_w = 64;
    let mut x = RIGHT - entry_w * series.len() as i32;
    for (j, name) in series.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        root.draw(&Rectangle::new([(x, 38), (x + 12, 50)], color.filled()))?;
        root.draw_text(name, &s, (x + 16, 44))?;
        x += entry_w;
    }
    Ok(())
}

/// The chart as an element to inline in HTML: the `xmlns` attribute is
/// dropped (HTML parsers put `<svg>` in the SVG namespace themselves) so the
/// page holds no URL at all.
pub fn inline_svg(svg: &str) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rows: Vec<BarRow>) -> BarChartData {
        BarChartData {
            name: "t",
            title: "Title".to_string(),
            x_label: "x".to_string(),
            y_label: "y".to_string(),
            series: vec!["a"],
            rows,
            x_max: None,
            note: String::new(),
            empty_reason: "nothing".to_string(),
            format: ValueFormat::Rate,
        }
    }

    #[test]
    fn plotters_escapes_text_labels() {
        let d = data(vec![BarRow {
            label: "<script>&\"'".to_string(),
            values: vec![Some(1.0)],
            gap: String::new(),
            suffix: String::new(),
        }]);
        let svg = draw_bar_chart(&d).unwrap_or_default();
        assert!(svg.contains("&lt;script&gt;&amp;&quot;&apos;"), "{svg}");
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn empty_chart_says_no_data_and_keeps_axes() {
        let svg = draw_bar_chart(&data(Vec::new())).unwrap_or_default();
        assert!(svg.contains("no data: nothing"));
        assert!(svg.contains(">\nTitle\n<") || svg.contains("Title"));
        assert!(svg.contains("transform=\"rotate(270"));
    }

    #[test]
    fn scale_uses_nice_steps() {
        let mut d = data(vec![BarRow {
            label: "r".to_string(),
            values: vec![Some(190.03)],
            gap: String::new(),
            suffix: String::new(),
        }]);
        assert_eq!(axis_scale(&d), (250.0, 50.0));
        d.x_max = Some(100.0);
        assert_eq!(axis_scale(&d), (100.0, 20.0));
        d.rows.clear();
        d.x_max = None;
        assert_eq!(axis_scale(&d), (1.0, 0.2));
    }

    #[test]
    fn non_finite_values_do_not_panic() {
        let d = data(vec![BarRow {
            label: "r".to_string(),
            values: vec![finite(Some(f64::NAN)), finite(Some(f64::INFINITY))],
            gap: "gap".to_string(),
            suffix: String::new(),
        }]);
        assert!(draw_bar_chart(&d).is_ok());
    }

    #[test]
    fn run_labels_keep_the_tail() {
        let l = run_label(
            "results/very/long/path/to/Offline/performance/run_1",
            Some("node-a"),
        );
        assert!(l.ends_with("run_1 @ node-a"), "{l}");
        assert!(l.chars().count() <= LABEL_MAX);
    }
}
