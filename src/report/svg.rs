//! Drawing a [`PlotData`] as an inline SVG string with plotters' SVG backend. Text is emitted as
//! `<text>` elements (plotters built without `ttf`), so the browser draws the glyphs.

use super::plots::{Line, PlotData, Style, YUnit};
use super::ReportError;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 94, 60),
];
const DOCUMENT_GREY: RGBColor = RGBColor(140, 140, 140);
const SIZE: (u32, u32) = (760, 440);

pub fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// The CSS colour and border style of a line, for the HTML legend under each plot (a legend in
/// HTML never covers the data and wraps with the page).
pub fn legend_style(line: &Line) -> String {
    let c = match line.style {
        Style::Document => DOCUMENT_GREY,
        _ => color(line.color),
    };
    let dash = match line.style {
        Style::Measured => "solid",
        Style::Derived | Style::Document => "dashed",
        Style::Baseline => "dotted",
    };
    format!("border-top: 3px {dash} rgb({},{},{})", c.0, c.1, c.2)
}

/// Axis ticks in bytes: `512 KiB`, `24 MiB`, `1.5 GiB`.
pub fn axis_bytes(b: f64) -> String {
    const KIB: f64 = 1024.0;
    match b {
        v if v >= KIB * KIB * KIB => format!("{} GiB", trim(v / (KIB * KIB * KIB))),
        v if v >= KIB * KIB => format!("{} MiB", trim(v / (KIB * KIB))),
        v if v >= KIB => format!("{} KiB", trim(v / KIB)),
        v => format!("{} B", trim(v)),
    }
}

/// `1`, `300`, `5k`, `20k`, `1.2M`.
pub fn compact(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{}M", trim(v / 1e6)),
        v if v >= 1e3 => format!("{}k", trim(v / 1e3)),
        v => trim(v),
    }
}

/// Axis ticks in SI seconds with few digits (`10 µs`, `1 ms`, `100 s`, `10,000 s`), so decade
/// ticks read as decades (hours would put 2.8 h where 10,000 s belongs).
pub fn axis_time(ns: f64) -> String {
    match ns {
        v if v >= 1e12 => format!(
            "{} s",
            super::seed_table::thousands((v / 1e9).round() as u64)
        ),
        v if v >= 1e9 => format!("{} s", trim(v / 1e9)),
        v if v >= 1e6 => format!("{} ms", trim(v / 1e6)),
        v if v >= 1e3 => format!("{} µs", trim(v / 1e3)),
        v => format!("{} ns", trim(v)),
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// Bounds of the drawn values, and whether they span enough decades for a log axis. Zeros do not
/// decide the scale (a resync that writes nothing takes 0 ns): on a log axis they sit on its floor
/// (see `floor_zeros`), so one zero does not flatten every other curve onto a linear axis.
fn extent(values: impl Iterator<Item = f64>, force_log: bool) -> (f64, f64, bool) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() || hi <= 0.0 {
        return (0.0, 1.0, false);
    }
    let log = force_log || hi / lo >= 100.0;
    if log {
        (lo / 1.6, hi * 1.6, true)
    } else {
        (0.0, hi * 1.08, false)
    }
}

/// `plot` with every value at or below zero moved to `floor`, the bottom of its log axis.
fn floor_zeros(plot: &PlotData, floor: f64) -> PlotData {
    let lift = |v: f64| if v > 0.0 { v } else { floor };
    let mut out = plot.clone();
    for p in out.lines.iter_mut().flat_map(|l| l.points.iter_mut()) {
        p.y = lift(p.y);
        p.whisker = p.whisker.map(|(a, b)| (lift(a), lift(b)));
    }
    out
}

fn log(lo: f64, hi: f64) -> LogCoord<f64> {
    (lo..hi).log_scale().into()
}

fn linear(lo: f64, hi: f64) -> RangedCoordf64 {
    (lo..hi).into()
}

pub fn render(plot: &PlotData) -> Result<String, ReportError> {
    let xs = plot.lines.iter().flat_map(|l| l.points.iter().map(|p| p.n));
    let ys = plot.lines.iter().flat_map(|l| {
        l.points
            .iter()
            .flat_map(|p| [Some(p.y), p.whisker.map(|w| w.0), p.whisker.map(|w| w.1)])
            .flatten()
    });
    let (x0, x1, x_log) = extent(xs, plot.log_log);
    let (y0, y1, y_log) = extent(ys, plot.log_log);
    let floored;
    let plot = if y_log {
        floored = floor_zeros(plot, y0);
        &floored
    } else {
        plot
    };
    let mut svg = String::new();
    let result = match (x_log, y_log) {
        (true, true) => draw(&mut svg, plot, log(x0, x1), log(y0, y1)),
        (true, false) => draw(&mut svg, plot, log(x0, x1), linear(y0, y1)),
        (false, true) => draw(&mut svg, plot, linear(x0, x1), log(y0, y1)),
        (false, false) => draw(&mut svg, plot, linear(x0, x1), linear(y0, y1)),
    };
    result.map_err(|detail| ReportError::Plot {
        plot: plot.id.to_string(),
        detail,
    })?;
    Ok(svg)
}

fn draw<X, Y>(out: &mut String, plot: &PlotData, x: X, y: Y) -> Result<(), String>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let mut chart = ChartBuilder::on(&root)
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(78)
        .build_cartesian_2d(x, y)
        .map_err(|x| e(&x))?;
    let y_fmt = |v: &f64| match plot.y_unit {
        YUnit::Nanos => axis_time(*v),
        YUnit::Count => compact(*v),
        YUnit::Bytes => axis_bytes(*v),
    };
    chart
        .configure_mesh()
        .x_desc("Services (N)")
        .y_desc(plot.y_label.as_str())
        .x_label_formatter(&|v| compact(*v))
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(RGBColor(238, 238, 238))
        .draw()
        .map_err(|x| e(&x))?;
    for line in plot.lines.iter().filter(|l| !l.points.is_empty()) {
        draw_line(&mut chart, line).map_err(|x| e(&x))?;
    }
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

type Chart<'a, 'b, X, Y> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<X, Y>>;

fn draw_line<X, Y>(
    chart: &mut Chart<'_, '_, X, Y>,
    line: &Line,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let c = match line.style {
        Style::Document => DOCUMENT_GREY,
        _ => color(line.color),
    };
    let points: Vec<(f64, f64)> = line.points.iter().map(|p| (p.n, p.y)).collect();
    let stroke = c.stroke_width(2);
    match line.style {
        Style::Measured => {
            chart.draw_series(LineSeries::new(points.clone(), stroke))?;
        }
        Style::Derived | Style::Document => {
            chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, stroke))?;
        }
        Style::Baseline => {
            chart.draw_series(DashedLineSeries::new(points.clone(), 2, 4, stroke))?;
        }
    }
    let marker = c.filled();
    match line.style {
        Style::Document => {
            chart.draw_series(points.iter().map(|&p| TriangleMarker::new(p, 5, marker)))?
        }
        Style::Baseline => {
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, c.stroke_width(1))))?
        }
        Style::Derived => chart.draw_series(
            points
                .iter()
                .skip(1)
                .map(|&p| Circle::new(p, 4, c.stroke_width(1))),
        )?,
        Style::Measured => chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, marker)))?,
    };
    let whiskers = line
        .points
        .iter()
        .filter_map(|p| p.whisker.map(|(lo, hi)| (p.n, lo, p.y, hi)));
    chart
        .draw_series(whiskers.map(|(n, lo, mid, hi)| {
            ErrorBar::new_vertical(n, lo, mid, hi, c.stroke_width(1), 6)
        }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::extent;

    #[test]
    fn a_zero_does_not_force_a_linear_axis() {
        // An eBPF resync that writes nothing (0 ns) beside full syncs of microseconds to minutes.
        let (lo, hi, log) = extent([0.0, 1e3, 3e9, 3e11].into_iter(), false);
        assert!(log);
        assert!(lo > 0.0 && lo < 1e3 && hi > 3e11, "{lo} {hi}");
        // Narrow spans stay linear from zero; nothing positive gives the default range.
        assert_eq!(
            extent([0.0, 5.0, 10.0].into_iter(), false),
            (0.0, 10.8, false)
        );
        assert_eq!(extent([0.0].into_iter(), false), (0.0, 1.0, false));
    }
}
