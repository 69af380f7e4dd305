//! Eval-accuracy curves of MLPerf Training runs, one SVG per benchmark
//! folder: each run's `eval_accuracy` against samples, epochs or the
//! evaluation number, with the convergence target as a dashed line.
//!
//! Drawn like [`super::charts`]: plotters' SVG backend, explicit
//! coordinates computed here (no `HashMap` anywhere, so the bytes are the
//! same on every run), one fixed size and the Okabe–Ito palette. Every
//! benchmark folder gets its chart even without data; such a chart keeps
//! its title and axes and says `no data` and why. Labels come from input
//! data and are cleaned here; plotters escapes them in the SVG.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::FatalError;
use crate::model::{Report, TrainingBenchmarkReport, TrainingRunReport};

use super::charts::{GRID, INK, MUTED, SIZE, chart_err, format_tick, nice_step, style};
use super::escape::{clean_text, truncate_chars, truncate_chars_start};
use super::view::fmt_trim;

/// Most runs drawn in one chart; the rest are named in the chart's note.
pub const MAX_RUNS: usize = 8;

/// Okabe–Ito colours, distinguishable with colour-vision deficiency.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
];
const TARGET: RGBColor = RGBColor(200, 30, 30);

/// Plot area edges, pixels; the legend sits right of the plot.
const LEFT: i32 = 78;
const RIGHT: i32 = 560;
const TOP: i32 = 62;
const BOTTOM: i32 = SIZE.1 as i32 - 56;
const LEGEND_X: i32 = RIGHT + 18;

/// One chart file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingChart {
    /// Path relative to the output directory (`charts/training-01-retinanet.svg`).
    pub file: String,
    /// Title, as drawn and as the figure caption.
    pub title: String,
    /// Standalone SVG document.
    pub svg: String,
}

/// One run's curve, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveSeries {
    /// Legend label (`result_0.txt success`).
    pub label: String,
    /// (x, eval_accuracy), in log order, finite only.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed-looking (thinner) when the run is not counted.
    pub counted: bool,
}

/// Everything needed to draw one chart; built by [`curve_data`].
#[derive(Debug, Clone, PartialEq)]
pub struct CurveChartData {
    /// Output file, relative.
    pub file: String,
    /// Title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Runs, in path order, at most [`MAX_RUNS`].
    pub series: Vec<CurveSeries>,
    /// Target value and its label (`target <= 3.3`).
    pub target: Option<(f64, String)>,
    /// Note under the title.
    pub note: String,
    /// Why nothing is drawn, when no series has points.
    pub empty_reason: String,
}

/// The file name for the `index`-th (0-based) benchmark folder: numbered,
/// so two folders of one benchmark never share a file, and limited to
/// `[a-z0-9_-]`, so input text never becomes a path.
pub fn chart_file(index: usize, benchmark: &str) -> String {
    let slug: String = benchmark
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(40)
        .collect();
    let slug = if slug.is_empty() {
        "benchmark".into()
    } else {
        slug
    };
    format!("charts/training-{:02}-{slug}.svg", index + 1)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn axis_label(axis: &str) -> &'static str {
    match axis {
        "samples" => "training samples (samples_count)",
        "epoch" => "epoch (epoch_num)",
        _ => "evaluation number",
    }
}

/// Chart data for the `index`-th benchmark folder of the report.
pub fn curve_data(report: &Report, index: usize, b: &TrainingBenchmarkReport) -> CurveChartData {
    let runs: Vec<&TrainingRunReport> = report
        .training
        .runs
        .iter()
        .filter(|r| {
            r.group == b.group && r.benchmark.as_deref().unwrap_or("unknown") == b.benchmark
        })
        .collect();
    let axes: Vec<&str> = runs.iter().map(|r| r.curve_axis.as_str()).collect();
    // Runs of one folder log the same way; if they do not, the common
    // denominator is the evaluation number.
    let axis = match axes.first() {
        Some(a) if axes.iter().all(|x| x == a) => *a,
        Some(_) => "eval",
        None => "eval",
    };
    let series: Vec<CurveSeries> = runs
        .iter()
        .take(MAX_RUNS)
        .map(|r| CurveSeries {
            label: truncate_chars(
                &format!("{} {}", clean_text(file_name(&r.path)), r.status.as_str()),
                24,
            ),
            points: r
                .curve
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    (
                        if axis == r.curve_axis {
                            p.x
                        } else {
                            (i + 1) as f64
                        },
                        p.value,
                    )
                })
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect(),
            counted: r.scored,
        })
        .collect();
    let target = runs
        .iter()
        .find_map(|r| r.target.as_ref())
        .filter(|t| t.value.is_finite())
        .map(|t| (t.value, format!("target {} {}", t.op, fmt_trim(t.value, 5))));
    let direction = match target.as_ref().map(|(_, l)| l.contains('<')) {
        Some(true) => " (lower is better)",
        Some(false) => " (higher is better)",
        None => "",
    };
    let mut note = String::new();
    if runs.len() > MAX_RUNS {
        note = format!("first {MAX_RUNS} of {} runs shown", runs.len());
    }
    if runs.iter().any(|r| !r.scored) {
        if !note.is_empty() {
            note.push_str("; ");
        }
        note.push_str("thin lines: runs not counted in the result");
    }
    let group = truncate_chars_start(&clean_text(&b.group), 40);
    CurveChartData {
        file: chart_file(index, &b.benchmark),
        title: truncate_chars(
            &format!("Eval accuracy: {} ({group})", clean_text(&b.benchmark)),
            70,
        ),
        x_label: axis_label(axis).to_string(),
        y_label: format!("eval_accuracy{direction}"),
        series,
        target,
        note,
        empty_reason: "no numeric eval_accuracy in these logs".into(),
    }
}

/// Every training chart of the report, one per benchmark folder, in the
/// report's folder order.
pub fn training_charts(report: &Report) -> Result<Vec<TrainingChart>, FatalError> {
    report
        .training
        .benchmarks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let d = curve_data(report, i, b);
            Ok(TrainingChart {
                svg: draw_curve_chart(&d)?,
                file: d.file,
                title: d.title,
            })
        })
        .collect()
}

/// Axis range and step covering `values` (padded, on tick boundaries).
fn range(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64, f64) {
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0, 0.2);
    }
    if from_zero && lo >= 0.0 {
        lo = 0.0;
    }
    if hi - lo < 1e-12 {
        let pad = if hi.abs() > 0.0 { hi.abs() * 0.05 } else { 1.0 };
        lo -= pad;
        hi += pad;
    }
    let step = nice_step((hi - lo) / 5.0);
    let lo = (lo / step).floor() * step;
    let hi = (hi / step).ceil() * step;
    (lo, hi, step)
}

/// Tick label: thousands as `k`/`M` for sample counts, else trimmed.
fn tick(v: f64, step: f64) -> String {
    let a = v.abs();
    if a >= 1e6 && step >= 1e5 {
        format!("{}M", fmt_trim(v / 1e6, 2))
    } else if a >= 1e3 && step >= 100.0 {
        format!("{}k", fmt_trim(v / 1e3, 2))
    } else {
        format_tick(v, step)
    }
}

/// Draw `data` as a standalone SVG document.
pub fn draw_curve_chart(data: &CurveChartData) -> Result<String, FatalError> {
    let name = data.file.as_str();
    let err = |e: DrawingAreaErrorKind<std::io::Error>| chart_err(name, e);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (w, h) = (SIZE.0 as i32, SIZE.1 as i32);
        let title = TextStyle::from(("sans-serif", 18).into_font().style(FontStyle::Bold))
            .color(&INK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        root.draw_text(&data.title, &title, (w / 2, 10))
            .map_err(err)?;
        if !data.note.is_empty() {
            let s = style(12.0, &MUTED, HPos::Left, VPos::Center);
            root.draw_text(&data.note, &s, (LEFT, 44)).map_err(err)?;
        }

        let xs = data
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0));
        let (x0, x1, xstep) = range(xs, true);
        let ys = data
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .chain(data.target.iter().map(|t| t.0));
        let (y0, y1, ystep) = range(ys, false);
        let px = |x: f64| {
            LEFT + (((x - x0) / (x1 - x0)).clamp(0.0, 1.0) * f64::from(RIGHT - LEFT)).round() as i32
        };
        let py = |y: f64| {
            BOTTOM
                - (((y - y0) / (y1 - y0)).clamp(0.0, 1.0) * f64::from(BOTTOM - TOP)).round() as i32
        };

        // Grid, ticks and axes first, so an empty chart still has them.
        let xt = style(11.0, &MUTED, HPos::Center, VPos::Top);
        let xn = (((x1 - x0) / xstep).round() as i64).clamp(1, 20);
        for i in 0..=xn {
            let v = x0 + xstep * i as f64;
            let x = px(v);
            root.draw(&PathElement::new(vec![(x, TOP), (x, BOTTOM)], GRID))
                .map_err(err)?;
            root.draw_text(&tick(v, xstep), &xt, (x, BOTTOM + 6))
                .map_err(err)?;
        }
        let yt = style(11.0, &MUTED, HPos::Right, VPos::Center);
        let yn = (((y1 - y0) / ystep).round() as i64).clamp(1, 20);
        for i in 0..=yn {
            let v = y0 + ystep * i as f64;
            let y = py(v);
            root.draw(&PathElement::new(vec![(LEFT, y), (RIGHT, y)], GRID))
                .map_err(err)?;
            root.draw_text(&tick(v, ystep), &yt, (LEFT - 6, y))
                .map_err(err)?;
        }
        root.draw(&PathElement::new(vec![(LEFT, TOP), (LEFT, BOTTOM)], INK))
            .map_err(err)?;
        root.draw(&PathElement::new(
            vec![(LEFT, BOTTOM), (RIGHT, BOTTOM)],
            INK,
        ))
        .map_err(err)?;
        let axis = style(13.0, &INK, HPos::Center, VPos::Bottom);
        root.draw_text(&data.x_label, &axis, ((LEFT + RIGHT) / 2, h - 8))
            .map_err(err)?;
        let ya = style(13.0, &INK, HPos::Center, VPos::Center).transform(FontTransform::Rotate270);
        root.draw_text(&data.y_label, &ya, (14, (TOP + BOTTOM) / 2))
            .map_err(err)?;

        if let Some((t, label)) = &data.target {
            let y = py(*t);
            // Dashes drawn as segments: the SVG backend has no dash style.
            let mut x = LEFT;
            while x < RIGHT {
                let end = (x + 8).min(RIGHT);
                root.draw(&PathElement::new(
                    vec![(x, y), (end, y)],
                    TARGET.stroke_width(2),
                ))
                .map_err(err)?;
                x += 14;
            }
            // Left end: curves approach the target at the right.
            let s = style(11.0, &INK, HPos::Left, VPos::Bottom);
            root.draw_text(label, &s, (LEFT + 6, y - 3)).map_err(err)?;
        }

        if data.series.iter().all(|s| s.points.is_empty()) {
            let s = style(14.0, &MUTED, HPos::Center, VPos::Center);
            let msg = format!("no data: {}", data.empty_reason);
            root.draw_text(&msg, &s, ((LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2))
                .map_err(err)?;
        }

        let legend = style(11.0, &INK, HPos::Left, VPos::Center);
        for (j, s) in data.series.iter().enumerate() {
            let color = PALETTE[j % PALETTE.len()];
            let width = if s.counted { 2 } else { 1 };
            let pts: Vec<(i32, i32)> = s.points.iter().map(|(x, y)| (px(*x), py(*y))).collect();
            if pts.len() > 1 {
                root.draw(&PathElement::new(pts.clone(), color.stroke_width(width)))
                    .map_err(err)?;
            }
            for p in &pts {
                root.draw(&Circle::new(*p, 3, color.filled()))
                    .map_err(err)?;
            }
            let ly = TOP + 8 + 18 * j as i32;
            root.draw(&PathElement::new(
                vec![(LEGEND_X, ly), (LEGEND_X + 16, ly)],
                color.stroke_width(width + 1),
            ))
            .map_err(err)?;
            root.draw_text(&s.label, &legend, (LEGEND_X + 22, ly))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(series: Vec<CurveSeries>) -> CurveChartData {
        CurveChartData {
            file: "charts/training-01-x.svg".into(),
            title: "Eval accuracy: x".into(),
            x_label: "epoch (epoch_num)".into(),
            y_label: "eval_accuracy".into(),
            series,
            target: Some((0.34, "target >= 0.34".into())),
            note: String::new(),
            empty_reason: "nothing".into(),
        }
    }

    #[test]
    fn draws_lines_target_and_escaped_labels_deterministically() {
        let d = data(vec![CurveSeries {
            label: "<run>&".into(),
            points: vec![(0.0, 0.1), (1.0, 0.25), (2.0, 0.35)],
            counted: true,
        }]);
        let a = draw_curve_chart(&d).unwrap_or_default();
        let b = draw_curve_chart(&d).unwrap_or_default();
        assert_eq!(a, b);
        assert!(a.contains("&lt;run&gt;&amp;"), "{a}");
        assert!(a.contains("target &gt;= 0.34"));
        assert!(a.contains("Eval accuracy: x"));
        assert!(a.contains("<polyline"));
        assert!(!a.contains("no data"));
    }

    #[test]
    fn empty_and_odd_data_do_not_panic() {
        let svg = draw_curve_chart(&data(Vec::new())).unwrap_or_default();
        assert!(svg.contains("no data: nothing"));
        let d = data(vec![CurveSeries {
            label: "r".into(),
            points: vec![(5.0, 1.0)],
            counted: false,
        }]);
        assert!(draw_curve_chart(&d).is_ok());
        assert_eq!(range(std::iter::empty(), true), (0.0, 1.0, 0.2));
        assert!(range([3.3, 3.3].into_iter(), false).0 < 3.3);
    }

    #[test]
    fn file_names_are_numbered_and_safe() {
        assert_eq!(
            chart_file(0, "llama31_8b"),
            "charts/training-01-llama31_8b.svg"
        );
        assert_eq!(
            chart_file(11, "../../etc/<x>"),
            "charts/training-12-etcx.svg"
        );
        assert_eq!(chart_file(2, "//"), "charts/training-03-benchmark.svg");
        assert_eq!(tick(1_572_864.0, 500_000.0), "1.57M");
        assert_eq!(tick(24_576.0, 10_000.0), "24.58k");
        assert_eq!(tick(0.35, 0.05), "0.35");
    }
}
