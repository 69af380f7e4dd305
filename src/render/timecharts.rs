//! Charts whose number depends on the inputs: for each LoadGen trace, a
//! latency/TTFT histogram and a cumulative issued/completed timeline; for
//! each GPU telemetry series, utilisation, power and temperature over time.
//!
//! Unlike the four fixed charts in [`super::charts`], these are written only
//! when their data exists, and their number is capped ([`MAX_TRACE_RUNS`],
//! [`MAX_GPU_CHARTS`]); the report says when items were left out. File
//! names are numbered (`gpu_1.svg`), never made from input text. Which items
//! get a chart is decided once, by [`trace_plan`] and [`gpu_plan`], which
//! both the chart renderer and the view call, so a figure never points at a
//! file that was not written.
//!
//! Drawing follows `charts`: explicit paths and rectangles from ordered data
//! (byte-identical output between runs), a title and axis labels on every
//! chart, labels cleaned of control characters and escaped by plotters, and
//! a gap (not a zero) where a value is missing.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::FatalError;
use crate::model::{Distribution, Report, TimeAxis};

use super::charts::{Chart, GRID, INK, MUTED, chart_err, format_tick, nice_step, style};
use super::escape::{clean_text, truncate_chars, truncate_chars_start};
use super::view::{fmt_fixed, fmt_trim};

/// Most traced runs that get charts (two each); the tables list every run.
pub const MAX_TRACE_RUNS: usize = 8;

/// Most GPU telemetry series that get a chart; the table lists every GPU.
pub const MAX_GPU_CHARTS: usize = 16;

/// Chart width, pixels (the report's chart width).
const WIDTH: u32 = 760;
/// Height of the histogram and timeline charts.
const HEIGHT: u32 = 400;
/// Height of a GPU chart (three stacked panels).
const GPU_HEIGHT: u32 = 560;

const BLUE: RGBColor = RGBColor(0, 114, 178);
const ORANGE: RGBColor = RGBColor(230, 159, 0);
const VERMILLION: RGBColor = RGBColor(213, 94, 0);

const LEFT: i32 = 84;
const RIGHT: i32 = WIDTH as i32 - 24;
const TOP: i32 = 64;
/// Space under the plot for tick labels and the x axis label.
const BOTTOM_MARGIN: i32 = 52;

/// One chart the plan decided to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// File stem (`trace_latency_1`).
    pub name: String,
}

/// The charts of one traced run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceCharts {
    /// Index into `report.loadgen_extra.runs`.
    pub run: usize,
    /// Latency (and TTFT) histogram, when the trace has a distribution.
    pub latency: Option<Planned>,
    /// Cumulative issued/completed samples, when the trace has a timeline.
    pub timeline: Option<Planned>,
}

/// One GPU telemetry chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuChart {
    /// Index into `report.gpu_probes.telemetry`.
    pub row: usize,
    /// The chart.
    pub chart: Planned,
}

/// Items that get charts, and how many could have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<T> {
    /// Charted items, in report order.
    pub items: Vec<T>,
    /// Items with chartable data, charted or not.
    pub eligible: usize,
}

fn has_buckets(d: Option<&Distribution>) -> bool {
    d.is_some_and(|d| d.buckets.iter().any(|b| b.count > 0))
}

/// The traced runs that get charts: the first [`MAX_TRACE_RUNS`] whose
/// trace has a latency or TTFT histogram or a timeline.
pub fn trace_plan(report: &Report) -> Plan<TraceCharts> {
    let mut items = Vec::new();
    let mut eligible = 0;
    for (i, r) in report.loadgen_extra.runs.iter().enumerate() {
        let Some(t) = &r.trace else { continue };
        let t = &t.value;
        let hist = has_buckets(t.latency.as_ref()) || has_buckets(t.ttft.as_ref());
        let timeline = t
            .timeline
            .as_ref()
            .is_some_and(|tl| tl.issued.iter().chain(&tl.completed).any(|n| *n > 0));
        if !(hist || timeline) {
            continue;
        }
        eligible += 1;
        if items.len() >= MAX_TRACE_RUNS {
            continue;
        }
        let k = items.len() + 1;
        items.push(TraceCharts {
            run: i,
            latency: hist.then(|| Planned {
                name: format!("trace_latency_{k}"),
            }),
            timeline: timeline.then(|| Planned {
                name: format!("trace_timeline_{k}"),
            }),
        });
    }
    Plan { items, eligible }
}

/// The GPU series that get a chart: the first [`MAX_GPU_CHARTS`] whose
/// timeline has two or more time buckets (a snapshot has nothing to plot
/// over time).
pub fn gpu_plan(report: &Report) -> Plan<GpuChart> {
    let mut items = Vec::new();
    let mut eligible = 0;
    for (i, row) in report.gpu_probes.telemetry.iter().enumerate() {
        if row.gpu.timeline.buckets.len() < 2 {
            continue;
        }
        eligible += 1;
        if items.len() >= MAX_GPU_CHARTS {
            continue;
        }
        items.push(GpuChart {
            row: i,
            chart: Planned {
                name: format!("gpu_{}", items.len() + 1),
            },
        });
    }
    Plan { items, eligible }
}

/// Draw every planned chart: per traced run its histogram then its
/// timeline, then the GPU charts.
pub fn render_planned(report: &Report) -> Result<Vec<Chart>, FatalError> {
    let mut out = Vec::new();
    for p in trace_plan(report).items {
        let Some(r) = report.loadgen_extra.runs.get(p.run) else {
            continue;
        };
        let Some(t) = &r.trace else { continue };
        let label = run_label(&r.run, r.node.as_deref());
        if let Some(c) = &p.latency {
            let mut series = Vec::new();
            if let Some(d) = t.value.latency.as_ref().filter(|d| has_buckets(Some(d))) {
                series.push(HistSeries {
                    name: "sample latency",
                    dist: d,
                    filled: true,
                    color: BLUE,
                });
            }
            if let Some(d) = t.value.ttft.as_ref().filter(|d| has_buckets(Some(d))) {
                series.push(HistSeries {
                    name: "time to first token",
                    dist: d,
                    filled: false,
                    color: VERMILLION,
                });
            }
            let total = t.value.latency.as_ref().map_or(0, |d| d.count);
            let what = if series.len() > 1 {
                "Latency and TTFT"
            } else {
                "Latency"
            };
            out.push(Chart {
                name: c.name.clone(),
                svg: draw_histogram(
                    &c.name,
                    &format!("{what}: {label}"),
                    &format!(
                        "{} samples; log-scale buckets from the trace, dashed lines at p50 and p99.",
                        fmt_fixed(total as f64, 0)
                    ),
                    &series,
                )?,
            });
        }
        if let (Some(c), Some(tl)) = (&p.timeline, &t.value.timeline) {
            let bin_s = tl.bin_us as f64 / 1e6;
            let cumulative = |v: &[u64]| {
                let mut sum = 0u64;
                let mut pts = vec![(0.0, Some(0.0))];
                for (i, n) in v.iter().enumerate() {
                    sum = sum.saturating_add(*n);
                    pts.push(((i + 1) as f64 * bin_s, Some(sum as f64)));
                }
                pts
            };
            let bins = tl.issued.len().max(tl.completed.len());
            let chart = PanelChart {
                name: c.name.clone(),
                title: format!("Issued and completed: {label}"),
                note: "Cumulative count; the gap between the lines is the samples in flight."
                    .to_string(),
                x_label: "seconds since the test started".to_string(),
                x_max: bins as f64 * bin_s,
                height: HEIGHT,
                panels: vec![Panel {
                    y_label: "samples (cumulative)".to_string(),
                    y_max: None,
                    series: vec![
                        LineSeries {
                            name: "issued".to_string(),
                            points: cumulative(&tl.issued),
                            color: BLUE,
                            dashed: false,
                        },
                        LineSeries {
                            name: "completed".to_string(),
                            points: cumulative(&tl.completed),
                            color: ORANGE,
                            dashed: true,
                        },
                    ],
                    reference: None,
                }],
            };
            out.push(Chart {
                name: c.name.clone(),
                svg: draw_panels(&chart)?,
            });
        }
    }
    for p in gpu_plan(report).items {
        let Some(row) = report.gpu_probes.telemetry.get(p.row) else {
            continue;
        };
        out.push(Chart {
            name: p.chart.name.clone(),
            svg: draw_panels(&gpu_chart(&p.chart.name, row))?,
        });
    }
    Ok(out)
}

fn run_label(id: &str, node: Option<&str>) -> String {
    let id = truncate_chars_start(&clean_text(id), 30);
    match node.map(clean_text).filter(|n| !n.is_empty()) {
        Some(n) => format!("{id} @ {}", truncate_chars(&n, 16)),
        None => id,
    }
}

fn gpu_chart(name: &str, row: &crate::model::TelemetryRow) -> PanelChart {
    let g = &row.gpu;
    let t = &g.timeline;
    let width = if t.bucket_width.is_finite() && t.bucket_width > 0.0 {
        t.bucket_width
    } else {
        1.0
    };
    let series =
        |f: fn(&crate::model::TelemetryBucket) -> Option<f64>, name: &str, color| LineSeries {
            name: name.to_string(),
            points: t
                .buckets
                .iter()
                .map(|b| (b.start + width / 2.0, f(b).filter(|v| v.is_finite())))
                .collect(),
            color,
            dashed: false,
        };
    let x_max = t.buckets.last().map_or(width, |b| b.start + width);
    let index = g
        .index
        .map(|i| i.to_string())
        .unwrap_or_else(|| "?".to_string());
    let model = g
        .name
        .as_deref()
        .map(|n| format!(" ({})", truncate_chars(&clean_text(n), 26)))
        .unwrap_or_default();
    let node = truncate_chars(&clean_text(&row.node), 20);
    let span = match (t.axis, g.duration_s.filter(|d| d.is_finite())) {
        (TimeAxis::Seconds, Some(d)) => format!(" over {} s", fmt_trim(d, 1)),
        _ => String::new(),
    };
    PanelChart {
        name: name.to_string(),
        title: format!("GPU {index}{model} on {node}"),
        note: format!(
            "Mean per time bucket of {} samples{span}; a gap means no reading.",
            fmt_fixed(g.samples as f64, 0)
        ),
        x_label: match t.axis {
            TimeAxis::Seconds => "seconds since the first sample".to_string(),
            TimeAxis::Samples => "sample number (no timestamps)".to_string(),
        },
        x_max,
        height: GPU_HEIGHT,
        panels: vec![
            Panel {
                y_label: "utilisation (%)".to_string(),
                y_max: Some(100.0),
                series: vec![series(|b| b.utilization_pct, "utilisation", BLUE)],
                reference: None,
            },
            Panel {
                y_label: "power (W)".to_string(),
                y_max: None,
                series: vec![series(|b| b.power_draw_w, "power draw", ORANGE)],
                reference: g
                    .power_limit_w
                    .filter(|l| l.is_finite() && *l > 0.0)
                    .map(|l| (l, format!("limit {} W", fmt_trim(l, 0)))),
            },
            Panel {
                y_label: "temperature (°C)".to_string(),
                y_max: None,
                series: vec![series(|b| b.temperature_c, "temperature", VERMILLION)],
                reference: None,
            },
        ],
    }
}

// --------------------------------------------------------------- drawing

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// Title (first text in the file: the browser check reads it) and note.
fn draw_header(root: &Area<'_>, title: &str, note: &str) -> DrawResult {
    let t = TextStyle::from(("sans-serif", 20).into_font().style(FontStyle::Bold))
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(&truncate_chars(title, 72), &t, (WIDTH as i32 / 2, 10))?;
    if !note.is_empty() {
        let s = style(12.0, &MUTED, HPos::Left, VPos::Center);
        root.draw_text(note, &s, (LEFT, 42))?;
    }
    Ok(())
}

/// Axis maximum and step for values up to `max`, about `ticks` ticks.
fn scale(max: f64, ticks: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let step = nice_step(max / ticks);
    ((max / step).ceil().max(1.0) * step, step)
}

/// One histogram drawn over a shared log-scale x axis.
struct HistSeries<'a> {
    name: &'static str,
    dist: &'a Distribution,
    /// Filled bars; otherwise outlines, so two series stay distinguishable
    /// without colour.
    filled: bool,
    color: RGBColor,
}

fn draw_histogram(
    name: &str,
    title: &str,
    note: &str,
    series: &[HistSeries<'_>],
) -> Result<String, FatalError> {
    let err = |e: DrawingAreaErrorKind<std::io::Error>| chart_err(name, e);
    let bottom = HEIGHT as i32 - BOTTOM_MARGIN;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw_header(&root, title, note).map_err(err)?;

        let buckets = || {
            series
                .iter()
                .flat_map(|s| s.dist.buckets.iter())
                .filter(|b| b.count > 0)
        };
        let lo = buckets().map(|b| b.lower_ns.max(1)).min().unwrap_or(1) as f64;
        let hi = buckets().map(|b| b.upper_ns).max().unwrap_or(2) as f64;
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo * 2.0) };
        let (llo, lhi) = (lo.ln(), hi.ln());
        let plot_w = f64::from(RIGHT - LEFT);
        let x_of = |ns: f64| {
            let f = ((ns.max(1.0).ln() - llo) / (lhi - llo)).clamp(0.0, 1.0);
            LEFT + (f * plot_w).round() as i32
        };
        let y_max_count = buckets().map(|b| b.count).max().unwrap_or(1) as f64;
        let (y_max, y_step) = scale(y_max_count * 1.1, 5.0);
        let plot_h = f64::from(bottom - TOP);
        let y_of = |v: f64| bottom - ((v / y_max).clamp(0.0, 1.0) * plot_h).round() as i32;

        // Grid and y ticks.
        let ts = style(11.0, &MUTED, HPos::Right, VPos::Center);
        let n_ticks = ((y_max / y_step).round() as i64).clamp(1, 20);
        for i in 0..=n_ticks {
            let v = y_step * i as f64;
            let y = y_of(v);
            root.draw(&PathElement::new(vec![(LEFT, y), (RIGHT, y)], GRID))
                .map_err(err)?;
            root.draw_text(&format_tick(v, y_step), &ts, (LEFT - 6, y))
                .map_err(err)?;
        }
        // X ticks at 1-2-5 steps in milliseconds.
        let xs = style(11.0, &MUTED, HPos::Center, VPos::Top);
        for (v_ms, text) in log_ticks(lo / 1e6, hi / 1e6) {
            let x = x_of(v_ms * 1e6);
            root.draw(&PathElement::new(vec![(x, TOP), (x, bottom)], GRID))
                .map_err(err)?;
            root.draw_text(&text, &xs, (x, bottom + 6)).map_err(err)?;
        }
        draw_axes(
            &root,
            TOP,
            bottom,
            "latency (ms, log scale)",
            "samples per bucket",
        )
        .map_err(err)?;

        for s in series {
            for b in s.dist.buckets.iter().filter(|b| b.count > 0) {
                let x0 = x_of(b.lower_ns.max(1) as f64);
                let x1 = (x_of(b.upper_ns as f64) - 1).max(x0 + 1);
                let y = y_of(b.count as f64);
                let shape = if s.filled {
                    s.color.mix(0.75).filled()
                } else {
                    s.color.stroke_width(2)
                };
                root.draw(&Rectangle::new([(x0, y), (x1, bottom)], shape))
                    .map_err(err)?;
            }
        }
        // p50 and p99 of the first series, labelled at the top.
        if let Some(first) = series.first() {
            let left_of = style(11.0, &INK, HPos::Right, VPos::Top);
            let ls = style(11.0, &INK, HPos::Left, VPos::Top);
            for (k, (label, v)) in [("p50", first.dist.p50_ns), ("p99", first.dist.p99_ns)]
                .into_iter()
                .enumerate()
            {
                if v == 0 {
                    continue;
                }
                let x = x_of(v as f64);
                root.draw(&DashedPathElement::new(
                    vec![(x, TOP), (x, bottom)],
                    5,
                    4,
                    INK.stroke_width(1),
                ))
                .map_err(err)?;
                let text = format!("{label} {}", ms_text(v as f64 / 1e6));
                let y = TOP + 2 + 14 * k as i32;
                // The naive font metric: about 0.6 em per character.
                if x + 6 + 7 * text.chars().count() as i32 > RIGHT {
                    root.draw_text(&text, &left_of, (x - 3, y)).map_err(err)?;
                } else {
                    root.draw_text(&text, &ls, (x + 3, y)).map_err(err)?;
                }
            }
        }
        // Legend, top right.
        let ls = style(12.0, &INK, HPos::Left, VPos::Center);
        let mut x = RIGHT - 170 * series.len() as i32;
        for s in series {
            let shape = if s.filled {
                s.color.mix(0.75).filled()
            } else {
                s.color.stroke_width(2)
            };
            root.draw(&Rectangle::new([(x, 50), (x + 14, 62)], shape))
                .map_err(err)?;
            root.draw_text(s.name, &ls, (x + 20, 56)).map_err(err)?;
            x += 170;
        }
        if series.is_empty() {
            let s = style(14.0, &MUTED, HPos::Center, VPos::Center);
            root.draw_text(
                "no data: the trace has no latency buckets",
                &s,
                ((LEFT + RIGHT) / 2, (TOP + bottom) / 2),
            )
            .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn ms_text(ms: f64) -> String {
    let a = ms.abs();
    let d = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    format!("{} ms", fmt_fixed(ms, d))
}

/// Tick positions (ms) and labels at 1, 2 and 5 times powers of ten inside
/// `[lo, hi]`; only powers of ten when that would be crowded, the two ends
/// when there would be fewer than two.
fn log_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    let mut all = Vec::new();
    for e in first..=last.min(first + 30) {
        for m in [1.0, 2.0, 5.0] {
            let v = m * 10f64.powi(e);
            if v >= lo * 0.999 && v <= hi * 1.001 {
                let decimals = usize::try_from(-e).unwrap_or(0);
                all.push((v, m == 1.0, fmt_trim(v, decimals)));
            }
        }
    }
    let chosen: Vec<(f64, String)> = if all.len() > 9 {
        all.into_iter()
            .filter(|(_, decade, _)| *decade)
            .map(|(v, _, t)| (v, t))
            .collect()
    } else {
        all.into_iter().map(|(v, _, t)| (v, t)).collect()
    };
    if chosen.len() >= 2 {
        chosen
    } else {
        [lo, hi]
            .into_iter()
            .map(|v| {
                let d = if v >= 10.0 {
                    0
                } else if v >= 1.0 {
                    1
                } else {
                    3
                };
                (v, fmt_trim(v, d))
            })
            .collect()
    }
}

/// The plot frame and both axis labels.
fn draw_axes(root: &Area<'_>, top: i32, bottom: i32, x_label: &str, y_label: &str) -> DrawResult {
    root.draw(&PathElement::new(vec![(LEFT, top), (LEFT, bottom)], INK))?;
    root.draw(&PathElement::new(
        vec![(LEFT, bottom), (RIGHT, bottom)],
        INK,
    ))?;
    let axis = style(13.0, &INK, HPos::Center, VPos::Bottom);
    root.draw_text(
        x_label,
        &axis,
        ((LEFT + RIGHT) / 2, bottom + BOTTOM_MARGIN - 8),
    )?;
    let ys = style(13.0, &INK, HPos::Center, VPos::Center).transform(FontTransform::Rotate270);
    root.draw_text(y_label, &ys, (18, (top + bottom) / 2))
}

/// One line: points `(x, value)`; a missing value breaks the line.
struct LineSeries {
    name: String,
    points: Vec<(f64, Option<f64>)>,
    color: RGBColor,
    /// Dashed rather than solid, so two lines differ without colour.
    dashed: bool,
}

/// One plot area with its own y axis.
struct Panel {
    y_label: String,
    /// Fixed y maximum (100 for percentages).
    y_max: Option<f64>,
    series: Vec<LineSeries>,
    /// A horizontal reference line and its label (a power limit).
    reference: Option<(f64, String)>,
}

/// Panels stacked over one shared x axis.
struct PanelChart {
    name: String,
    title: String,
    note: String,
    x_label: String,
    x_max: f64,
    height: u32,
    panels: Vec<Panel>,
}

fn draw_panels(c: &PanelChart) -> Result<String, FatalError> {
    let err = |e: DrawingAreaErrorKind<std::io::Error>| chart_err(&c.name, e);
    let height = c.height as i32;
    let bottom = height - BOTTOM_MARGIN;
    let gap = 22;
    let n = c.panels.len().max(1) as i32;
    let panel_h = ((bottom - TOP - gap * (n - 1)) / n).max(20);
    let x_max = if c.x_max.is_finite() && c.x_max > 0.0 {
        c.x_max
    } else {
        1.0
    };
    let (x_axis_max, x_step) = scale(x_max, 6.0);
    let plot_w = f64::from(RIGHT - LEFT);
    let x_of = |v: f64| LEFT + ((v / x_axis_max).clamp(0.0, 1.0) * plot_w).round() as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, c.height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw_header(&root, &c.title, &c.note).map_err(err)?;
        let x_ticks = ((x_axis_max / x_step).round() as i64).clamp(1, 20);
        for (p_i, panel) in c.panels.iter().enumerate() {
            let top = TOP + (panel_h + gap) * p_i as i32;
            let pb = top + panel_h;
            let values = || {
                panel
                    .series
                    .iter()
                    .flat_map(|s| s.points.iter().filter_map(|(_, v)| *v))
                    .filter(|v| v.is_finite())
            };
            let data_max = values().fold(0.0_f64, f64::max);
            let (y_max, y_step) = match panel.y_max {
                Some(m) => (m, nice_step(m / 4.0)),
                None => {
                    let r = panel.reference.as_ref().map_or(0.0, |(v, _)| *v);
                    scale(data_max.max(r) * 1.08, 4.0)
                }
            };
            let y_of = |v: f64| {
                pb - ((v.max(0.0) / y_max).clamp(0.0, 1.0) * f64::from(panel_h)).round() as i32
            };
            let ts = style(11.0, &MUTED, HPos::Right, VPos::Center);
            let y_ticks = ((y_max / y_step).round() as i64).clamp(1, 10);
            for i in 0..=y_ticks {
                let v = y_step * i as f64;
                let y = y_of(v);
                root.draw(&PathElement::new(vec![(LEFT, y), (RIGHT, y)], GRID))
                    .map_err(err)?;
                root.draw_text(&format_tick(v, y_step), &ts, (LEFT - 6, y))
                    .map_err(err)?;
            }
            for i in 0..=x_ticks {
                let x = x_of(x_step * i as f64);
                root.draw(&PathElement::new(vec![(x, top), (x, pb)], GRID))
                    .map_err(err)?;
            }
            root.draw(&PathElement::new(vec![(LEFT, top), (LEFT, pb)], INK))
                .map_err(err)?;
            root.draw(&PathElement::new(vec![(LEFT, pb), (RIGHT, pb)], INK))
                .map_err(err)?;
            let ys =
                style(12.0, &INK, HPos::Center, VPos::Center).transform(FontTransform::Rotate270);
            root.draw_text(&panel.y_label, &ys, (18, (top + pb) / 2))
                .map_err(err)?;

            if let Some((v, label)) = &panel.reference {
                let y = y_of(*v);
                root.draw(&DashedPathElement::new(
                    vec![(LEFT, y), (RIGHT, y)],
                    6,
                    4,
                    MUTED.stroke_width(1),
                ))
                .map_err(err)?;
                let ls = style(11.0, &MUTED, HPos::Right, VPos::Bottom);
                root.draw_text(label, &ls, (RIGHT - 4, y - 2))
                    .map_err(err)?;
            }

            if values().next().is_none() {
                let s = TextStyle::from(("sans-serif", 12).into_font().style(FontStyle::Italic))
                    .color(&MUTED)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                root.draw_text("not reported", &s, ((LEFT + RIGHT) / 2, (top + pb) / 2))
                    .map_err(err)?;
            }
            for s in &panel.series {
                draw_line(&root, s, &x_of, &y_of).map_err(err)?;
            }
            if panel.series.len() > 1 {
                let ls = style(12.0, &INK, HPos::Left, VPos::Center);
                let mut x = LEFT + 12;
                for s in &panel.series {
                    let y = top + 10;
                    let seg = vec![(x, y), (x + 24, y)];
                    if s.dashed {
                        root.draw(&DashedPathElement::new(seg, 5, 3, s.color.stroke_width(2)))
                            .map_err(err)?;
                    } else {
                        root.draw(&PathElement::new(seg, s.color.stroke_width(2)))
                            .map_err(err)?;
                    }
                    let name = truncate_chars(&clean_text(&s.name), 24);
                    root.draw_text(&name, &ls, (x + 30, y)).map_err(err)?;
                    x += 40 + 7 * name.chars().count() as i32;
                }
            }
        }
        let xs = style(11.0, &MUTED, HPos::Center, VPos::Top);
        for i in 0..=x_ticks {
            let v = x_step * i as f64;
            root.draw_text(&format_tick(v, x_step), &xs, (x_of(v), bottom + 6))
                .map_err(err)?;
        }
        let axis = style(13.0, &INK, HPos::Center, VPos::Bottom);
        root.draw_text(&c.x_label, &axis, ((LEFT + RIGHT) / 2, height - 8))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn draw_line(
    root: &Area<'_>,
    s: &LineSeries,
    x_of: &dyn Fn(f64) -> i32,
    y_of: &dyn Fn(f64) -> i32,
) -> DrawResult {
    let style = s.color.stroke_width(2);
    let point = |i: usize| -> Option<(i32, i32)> {
        let (x, v) = s.points.get(i)?;
        let v = v.filter(|v| v.is_finite())?;
        x.is_finite().then(|| (x_of(*x), y_of(v)))
    };
    let n = s.points.len();
    let mut run: Vec<(i32, i32)> = Vec::new();
    for i in 0..=n {
        match point(i) {
            Some(p) => run.push(p),
            None => {
                if let [only] = run.as_slice() {
                    // An isolated reading would vanish as a line of one point.
                    root.draw(&Circle::new(*only, 3, s.color.filled()))?;
                } else if run.len() > 1 {
                    let pts = std::mem::take(&mut run);
                    if s.dashed {
                        root.draw(&DashedPathElement::new(pts, 6, 4, style))?;
                    } else {
                        root.draw(&PathElement::new(pts, style))?;
                    }
                }
                run.clear();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HistogramBucket;

    fn dist(buckets: &[(u64, u64, u64)]) -> Distribution {
        Distribution {
            count: buckets.iter().map(|b| b.2).sum(),
            p50_ns: 2_000_000,
            p99_ns: 9_000_000,
            buckets: buckets
                .iter()
                .map(|&(lower_ns, upper_ns, count)| HistogramBucket {
                    lower_ns,
                    upper_ns,
                    count,
                })
                .collect(),
            ..Distribution::default()
        }
    }

    #[test]
    fn log_ticks_are_readable() {
        let t: Vec<String> = log_ticks(0.9, 130.0).into_iter().map(|t| t.1).collect();
        assert_eq!(t, ["1", "2", "5", "10", "20", "50", "100"]);
        let t: Vec<String> = log_ticks(0.01, 5000.0).into_iter().map(|t| t.1).collect();
        assert_eq!(t, ["0.01", "0.1", "1", "10", "100", "1,000"]);
        assert_eq!(log_ticks(3.0, 4.0).len(), 2);
        assert!(log_ticks(0.0, 1.0).is_empty());
    }

    #[test]
    fn histogram_has_title_axes_and_escapes() {
        let d = dist(&[
            (0, 1_000_000, 3),
            (1_000_000, 4_000_000, 9),
            (4_000_000, 10_000_000, 1),
        ]);
        let s = [HistSeries {
            name: "sample latency",
            dist: &d,
            filled: true,
            color: BLUE,
        }];
        let svg = draw_histogram("h", "Latency: <script>&", "note", &s).unwrap_or_default();
        assert!(svg.contains("Latency: &lt;script&gt;&amp;"));
        assert!(svg.contains("latency (ms, log scale)"));
        assert!(svg.contains("samples per bucket"));
        assert!(svg.contains("p99 9.00 ms"));
        let empty = draw_histogram("h", "T", "", &[]).unwrap_or_default();
        assert!(empty.contains("no data"));
    }

    #[test]
    fn panels_survive_gaps_and_odd_values() {
        let c = PanelChart {
            name: "p".into(),
            title: "GPU 0 on <b>".into(),
            note: String::new(),
            x_label: "seconds".into(),
            x_max: f64::NAN,
            height: GPU_HEIGHT,
            panels: vec![
                Panel {
                    y_label: "a".into(),
                    y_max: Some(100.0),
                    series: vec![LineSeries {
                        name: "a".into(),
                        points: vec![
                            (0.0, Some(1.0)),
                            (1.0, None),
                            (2.0, Some(f64::INFINITY)),
                            (3.0, Some(-4.0)),
                        ],
                        color: BLUE,
                        dashed: true,
                    }],
                    reference: Some((50.0, "limit".into())),
                },
                Panel {
                    y_label: "b".into(),
                    y_max: None,
                    series: Vec::new(),
                    reference: None,
                },
            ],
        };
        let svg = draw_panels(&c).unwrap_or_default();
        assert!(svg.contains("GPU 0 on &lt;b&gt;"));
        assert!(svg.contains("not reported"));
        assert!(svg.contains("<circle"));
    }
}
