//! Trend charts for the archive index: one line per series over runs,
//! oldest left, drawn with plotters as explicit paths and markers (like
//! `render::charts`, so the bytes are identical between runs).
//!
//! Series differ by colour (Okabe–Ito, distinguishable with colour-vision
//! deficiency) and by marker shape, so colour is never the only signal. The
//! x axis has one step per run, not a time scale: campaigns are irregular
//! and a step per run keeps every run visible; the dates are the tick
//! labels. A missing value breaks the line rather than drawing a zero.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::FatalError;
use crate::render::charts::{GRID, INK, MUTED, chart_err, format_tick, nice_step, style};
use crate::render::escape::{clean_text, truncate_chars};

/// Width and height, pixels (the report's chart size).
pub const SIZE: (u32, u32) = (760, 400);

/// Most series in one chart (one per palette colour).
pub const MAX_SERIES: usize = 7;

const PALETTE: [RGBColor; MAX_SERIES] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

const LEFT: i32 = 70;
const RIGHT: i32 = 500;
const TOP: i32 = 62;
const BOTTOM: i32 = SIZE.1 as i32 - 70;
const LEGEND_X: i32 = 520;
/// Most x tick labels drawn; the rest of the runs are still plotted.
const MAX_TICKS: usize = 6;
/// Above this many runs markers are left out (lines only), except for
/// isolated points, which would otherwise vanish.
const MAX_MARKED: usize = 60;

/// One line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// One value per run, oldest first.
    pub values: Vec<Option<f64>>,
}

/// Everything needed to draw one trend chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChartData {
    /// Id (`scores`).
    pub name: &'static str,
    /// Title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label (with unit).
    pub y_label: String,
    /// One label per run, oldest first.
    pub x_labels: Vec<String>,
    /// Lines (at most [`MAX_SERIES`] are drawn; the note says so).
    pub series: Vec<Series>,
    /// Fixed y maximum (100 for scores).
    pub y_max: Option<f64>,
    /// Note under the title.
    pub note: String,
    /// Why there is nothing to draw.
    pub empty_reason: String,
}

/// The y axis maximum and tick step.
pub fn y_scale(d: &LineChartData) -> (f64, f64) {
    if let Some(m) = d.y_max.filter(|m| m.is_finite() && *m > 0.0) {
        return (m, nice_step(m / 5.0));
    }
    let max = d
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let target = (max * 1.1).max(1.0);
    let step = nice_step(target / 5.0);
    ((target / step).ceil() * step, step)
}

/// Draw `d` as a standalone SVG document.
pub fn draw_line_chart(d: &LineChartData) -> Result<String, FatalError> {
    let name = d.name;
    let err = |e: DrawingAreaErrorKind<std::io::Error>| chart_err(name, e);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let w = SIZE.0 as i32;
        let title = TextStyle::from(("sans-serif", 20).into_font().style(FontStyle::Bold))
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        root.draw_text(&d.title, &title, (w / 2, 10)).map_err(err)?;
        let mut note = d.note.clone();
        if d.series.len() > MAX_SERIES {
            if !note.is_empty() {
                note.push(' ');
            }
            note.push_str(&format!(
                "Showing {MAX_SERIES} of {} series.",
                d.series.len()
            ));
        }
        if !note.is_empty() {
            let s = style(12.0, &MUTED, HPos::Left, VPos::Center);
            root.draw_text(&note, &s, (LEFT, 44)).map_err(err)?;
        }

        let (y_max, step) = y_scale(d);
        let plot_h = f64::from(BOTTOM - TOP);
        let y_of = |v: f64| BOTTOM - ((v / y_max).clamp(0.0, 1.0) * plot_h).round() as i32;
        let n = d.x_labels.len();
        let plot_w = f64::from(RIGHT - LEFT - 20);
        let x_of = |i: usize| {
            if n <= 1 {
                (LEFT + RIGHT) / 2
            } else {
                LEFT + 10 + (plot_w * i as f64 / (n - 1) as f64).round() as i32
            }
        };
        let ticks = ((y_max / step).round() as i64).clamp(1, 20);
        let ts = style(11.0, &MUTED, HPos::Right, VPos::Center);
        for i in 0..=ticks {
            let v = step * i as f64;
            let y = y_of(v);
            root.draw(&PathElement::new(vec![(LEFT, y), (RIGHT, y)], GRID))
                .map_err(err)?;
            root.draw_text(&format_tick(v, step), &ts, (LEFT - 6, y))
                .map_err(err)?;
        }
        root.draw(&PathElement::new(vec![(LEFT, TOP), (LEFT, BOTTOM)], INK))
            .map_err(err)?;
        root.draw(&PathElement::new(
            vec![(LEFT, BOTTOM), (RIGHT, BOTTOM)],
            INK,
        ))
        .map_err(err)?;
        let every = n.div_ceil(MAX_TICKS).max(1);
        let xs = style(10.0, &MUTED, HPos::Center, VPos::Top);
        for (i, l) in d.x_labels.iter().enumerate() {
            if i % every != 0 {
                continue;
            }
            let x = x_of(i);
            root.draw(&PathElement::new(vec![(x, BOTTOM), (x, BOTTOM + 4)], INK))
                .map_err(err)?;
            let l = truncate_chars(&clean_text(l), 12);
            root.draw_text(&l, &xs, (x, BOTTOM + 7)).map_err(err)?;
        }
        let axis = style(13.0, &INK, HPos::Center, VPos::Bottom);
        root.draw_text(&d.x_label, &axis, ((LEFT + RIGHT) / 2, BOTTOM + 44))
            .map_err(err)?;
        let ys = style(13.0, &INK, HPos::Center, VPos::Center).transform(FontTransform::Rotate270);
        root.draw_text(&d.y_label, &ys, (16, (TOP + BOTTOM) / 2))
            .map_err(err)?;

        let drawn: Vec<&Series> = d.series.iter().take(MAX_SERIES).collect();
        let has_data = drawn
            .iter()
            .any(|s| s.values.iter().any(|v| v.is_some_and(f64::is_finite)));
        if n == 0 || !has_data {
            let s = style(14.0, &MUTED, HPos::Center, VPos::Center);
            let msg = format!("no data: {}", d.empty_reason);
            root.draw_text(&msg, &s, ((LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2))
                .map_err(err)?;
        }

        let ls = style(11.0, &INK, HPos::Left, VPos::Center);
        for (k, s) in drawn.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let point = |i: usize| {
                s.values
                    .get(i)
                    .copied()
                    .flatten()
                    .filter(|v| v.is_finite())
                    .map(|v| (x_of(i), y_of(v.max(0.0))))
            };
            // Lines: consecutive present values.
            let mut run: Vec<(i32, i32)> = Vec::new();
            for i in 0..=n {
                match point(i) {
                    Some(p) if i < n => run.push(p),
                    _ => {
                        if run.len() > 1 {
                            root.draw(&PathElement::new(
                                std::mem::take(&mut run),
                                color.stroke_width(2),
                            ))
                            .map_err(err)?;
                        }
                        run.clear();
                    }
                }
            }
            for i in 0..n {
                let Some(p) = point(i) else { continue };
                let isolated = (i == 0 || point(i - 1).is_none()) && point(i + 1).is_none();
                if n <= MAX_MARKED || isolated {
                    draw_marker(&root, k, p, color).map_err(err)?;
                }
            }
            // Legend entry: marker, swatch line and name.
            let y = TOP + 8 + 20 * k as i32;
            root.draw(&PathElement::new(
                vec![(LEGEND_X, y), (LEGEND_X + 22, y)],
                color.stroke_width(2),
            ))
            .map_err(err)?;
            draw_marker(&root, k, (LEGEND_X + 11, y), color).map_err(err)?;
            let label = truncate_chars(&clean_text(&s.name), 34);
            root.draw_text(&label, &ls, (LEGEND_X + 28, y))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn draw_marker(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    k: usize,
    (x, y): (i32, i32),
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    match k % 4 {
        0 => root.draw(&Circle::new((x, y), 4, color.filled())),
        1 => root.draw(&TriangleMarker::new((x, y), 5, color.filled())),
        2 => root.draw(&Rectangle::new(
            [(x - 4, y - 4), (x + 4, y + 4)],
            color.filled(),
        )),
        _ => root.draw(&Cross::new((x, y), 4, color.stroke_width(2))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(series: Vec<Series>, n: usize) -> LineChartData {
        LineChartData {
            name: "t",
            title: "T".into(),
            x_label: "run".into(),
            y_label: "y".into(),
            x_labels: (0..n).map(|i| format!("r{i}")).collect(),
            series,
            y_max: None,
            note: String::new(),
            empty_reason: "nothing".into(),
        }
    }

    #[test]
    fn empty_and_odd_values_do_not_panic() {
        let svg = draw_line_chart(&data(Vec::new(), 0)).unwrap_or_default();
        assert!(svg.contains("no data: nothing"));
        let s = Series {
            name: "<a&b>".into(),
            values: vec![
                Some(f64::NAN),
                None,
                Some(-3.0),
                Some(f64::INFINITY),
                Some(2.0),
            ],
        };
        let svg = draw_line_chart(&data(vec![s], 5)).unwrap_or_default();
        assert!(svg.contains("&lt;a&amp;b&gt;"), "{svg}");
    }

    #[test]
    fn drawing_is_deterministic_and_caps_series() {
        let series: Vec<Series> = (0..9)
            .map(|k| Series {
                name: format!("s{k}"),
                values: (0..300).map(|i| Some((i * k) as f64)).collect(),
            })
            .collect();
        let d = data(series, 300);
        let a = draw_line_chart(&d).unwrap_or_default();
        assert_eq!(a, draw_line_chart(&d).unwrap_or_default());
        assert!(a.contains("Showing 7 of 9 series."));
        assert!(!a.contains(">s8<") && !a.contains("s8\n"));
    }
}
