//! Charts drawn on the server as SVG by our own code: no script, readable on a phone (the
//! drawing scales with its box), titled for screen readers.

use maud::{Markup, html};

/// One point of a series: its label, value and 95% interval; `thin` when below the minimum
/// sample (drawn hollow, and left out of the line's judgement by the eye).
#[derive(Debug, Clone)]
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub thin: bool,
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

/// Round numbers for the axis: about five steps covering `low..high`.
fn ticks(low: f64, high: f64) -> Vec<f64> {
    let span = (high - low).max(1e-9);
    let raw = span / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(magnitude * 10.0);
    let first = (low / step).ceil() * step;
    (0..)
        .map(|i| first + step * i as f64)
        .take_while(|t| *t <= high + 1e-9)
        .collect()
}

/// A line with its interval band. `range` fixes the y axis (e.g. −100…100 for NPS), narrowed to
/// the data when `fit` is set.
pub fn line(title: &str, points: &[Point], range: (f64, f64), fit: bool, unit: &str) -> Markup {
    // Points below the minimum sample are drawn hollow and alone: they neither shape the axis
    // nor join the line, so one answer cannot make a trend.
    let values = points
        .iter()
        .filter(|p| !p.thin)
        .flat_map(|p| [p.value, p.low, p.high])
        .flatten();
    let (mut lo, mut hi) = range;
    if fit {
        let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        if min.is_finite() {
            let pad = ((max - min) * 0.15).max(1.0);
            lo = (min - pad).max(range.0);
            hi = (max + pad).min(range.1);
        }
    }
    let n = points.len().max(1);
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * (i as f64 + 0.5) / n as f64;
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo).max(1e-9));
    // The band: upper edge left to right, lower edge back.
    let band: Vec<(f64, f64, f64)> = points
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.thin)
        .filter_map(|(i, p)| Some((x(i), y(p.high?), y(p.low?))))
        .collect();
    let band_path = if band.len() > 1 {
        let mut d = String::new();
        for (k, (px, top, _)) in band.iter().enumerate() {
            d.push_str(&format!(
                "{}{px:.1},{top:.1}",
                if k == 0 { "M" } else { "L" }
            ));
        }
        for (px, _, bottom) in band.iter().rev() {
            d.push_str(&format!("L{px:.1},{bottom:.1}"));
        }
        d.push('Z');
        Some(d)
    } else {
        None
    };
    let mut line_path = String::new();
    let mut pen_down = false;
    for (i, p) in points.iter().enumerate() {
        match p.value.filter(|_| !p.thin) {
            Some(v) => {
                line_path.push_str(&format!(
                    "{}{:.1},{:.1}",
                    if pen_down { "L" } else { "M" },
                    x(i),
                    y(v)
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    // Label every k-th point so labels never overlap.
    let every = n.div_ceil(8);
    let summary: Vec<String> = points
        .iter()
        .map(|p| match p.value {
            Some(v) => format!("{}: {v:.1}{unit}", p.label),
            None => format!("{}: —", p.label),
        })
        .collect();
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-label={ (title) ". " (summary.join("; ")) }
                preserveAspectRatio="xMidYMid meet" {
                title { (title) }
                @for t in ticks(lo, hi) {
                    line.grid x1=(LEFT) x2=(W - RIGHT) y1=(format!("{:.1}", y(t))) y2=(format!("{:.1}", y(t))) {}
                    text.axis x=(LEFT - 6.0) y=(format!("{:.1}", y(t) + 4.0)) text-anchor="end" { (format!("{t:.0}")) }
                }
                @if let Some(d) = band_path { path.band d=(d) {} }
                path.line d=(line_path) {}
                @for (i, p) in points.iter().enumerate() {
                    @if let Some(v) = p.value.filter(|v| (lo..=hi).contains(v)) {
                        circle class=(if p.thin { "dot thin" } else { "dot" }) cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(v))) r="3.5" {
                            title { (p.label) ": " (format!("{v:.1}{unit}")) @if p.thin { " (n < min)" } }
                        }
                    }
                    @if i % every == 0 {
                        text.axis x=(format!("{:.1}", x(i))) y=(H - 12.0) text-anchor="middle" { (p.label) }
                    }
                }
            }
        }
    }
}

/// One bar per score with its count above it; `class_of` colours a bar by its score's index.
pub fn bars(
    title: &str,
    labels: &[String],
    counts: &[u64],
    class_of: impl Fn(usize) -> &'static str,
) -> Markup {
    const BH: f64 = 160.0;
    let n = counts.len().max(1);
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let width = (W - LEFT - RIGHT) / n as f64;
    let summary: Vec<String> = labels
        .iter()
        .zip(counts)
        .map(|(l, c)| format!("{l}: {c}"))
        .collect();
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (W) " " (BH + 40.0) } role="img" aria-label={ (title) ". " (summary.join("; ")) } {
                title { (title) }
                @for (i, (label, &count)) in labels.iter().zip(counts).enumerate() {
                    @let h = (BH - 20.0) * count as f64 / top;
                    @let x = LEFT + width * i as f64;
                    rect class={ "bar " (class_of(i)) } x=(format!("{:.1}", x + width * 0.12)) y=(format!("{:.1}", BH - h))
                        width=(format!("{:.1}", width * 0.76)) height=(format!("{h:.1}")) {
                        title { (label) ": " (count) }
                    }
                    text.axis x=(format!("{:.1}", x + width / 2.0)) y=(format!("{:.1}", BH - h - 4.0)) text-anchor="middle" { (count) }
                    text.axis x=(format!("{:.1}", x + width / 2.0)) y=(BH + 16.0) text-anchor="middle" { (label) }
                }
            }
        }
    }
}

/// One bar split into parts by their share of the whole, each labelled with its percentage.
pub fn stacked(title: &str, parts: &[(&str, u64, &'static str)]) -> Markup {
    let total: u64 = parts.iter().map(|p| p.1).sum();
    // Each part's share and where its segment starts.
    let mut start = 0.0;
    let laid: Vec<(f64, f64)> = parts
        .iter()
        .map(|p| {
            let share = p.1 as f64 / total.max(1) as f64;
            let at = start;
            start += share;
            (share, at)
        })
        .collect();
    let summary: Vec<String> = parts
        .iter()
        .map(|(name, count, _)| {
            format!(
                "{name}: {:.1}%",
                100.0 * *count as f64 / total.max(1) as f64
            )
        })
        .collect();
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (W) " 36" } role="img" aria-label={ (title) ". " (summary.join("; ")) } {
                title { (title) }
                @for ((name, count, class), (share, at)) in parts.iter().zip(&laid) {
                    @let (x, w) = (1.0 + (W - 2.0) * at, (W - 2.0) * share);
                    rect class={ "bar " (class) } x=(format!("{x:.1}")) y="4" width=(format!("{w:.1}")) height="28" {
                        title { (name) ": " (count) " (" (format!("{:.1}%", share * 100.0)) ")" }
                    }
                }
            }
            // The legend in text, readable at any width.
            p.legend {
                @for ((name, count, class), (share, _)) in parts.iter().zip(&laid) {
                    span { span class={ "swatch " (class) } {} (name) " " (format!("{:.0}%", share * 100.0)) " (" (count) ")" }
                }
            }
        }
    }
}

/// A grid of cells coloured by value: rows × columns, each cell `Some((value, thin))`; a thin
/// cell (below the minimum sample) is grey with its value left out.
pub fn heatmap(
    title: &str,
    rows: &[String],
    columns: &[String],
    cells: &[Vec<Option<(f64, bool)>>],
    tone: impl Fn(f64) -> &'static str,
) -> Markup {
    const LABEL: f64 = 150.0;
    const CELL_H: f64 = 26.0;
    let width = (W - LABEL - RIGHT) / columns.len().max(1) as f64;
    let height = CELL_H * rows.len() as f64 + 24.0;
    let every = columns.len().div_ceil(6);
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (W) " " (height) } role="img" aria-label=(title) {
                title { (title) }
                @for (r, row) in rows.iter().enumerate() {
                    text.axis x=(LABEL - 6.0) y=(format!("{:.1}", CELL_H * r as f64 + CELL_H * 0.65)) text-anchor="end" { (row) }
                    @for (c, cell) in cells[r].iter().enumerate() {
                        @let (x, y) = (LABEL + width * c as f64, CELL_H * r as f64);
                        @let class = match cell { Some((v, false)) => tone(*v), _ => "none" };
                        rect class={ "cell " (class) } x=(format!("{:.1}", x + 1.0)) y=(format!("{:.1}", y + 1.0))
                            width=(format!("{:.1}", width - 2.0)) height=(CELL_H - 2.0) {
                            title {
                                (row) ", " (columns[c]) ": "
                                @match cell { Some((v, false)) => (format!("{v:.1}")), Some((_, true)) => "n < min", None => "—" }
                            }
                        }
                        @if let Some((v, false)) = cell {
                            @if width >= 28.0 {
                                text.cell-value x=(format!("{:.1}", x + width / 2.0)) y=(format!("{:.1}", y + CELL_H * 0.65)) text-anchor="middle" { (format!("{v:.0}")) }
                            }
                        }
                    }
                }
                @for (c, column) in columns.iter().enumerate() {
                    @if c % every == 0 {
                        text.axis x=(format!("{:.1}", LABEL + width * (c as f64 + 0.5))) y=(height - 6.0) text-anchor="middle" { (column) }
                    }
                }
            }
        }
    }
}

/// The chart styles, for the page's stylesheet.
/// One horizontal bar of [`importance`]: a value with its interval; `bad` colours it as a
/// harm, `thin` fades it (too few answers).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub bad: bool,
    pub thin: bool,
}

/// Horizontal bars with interval whiskers, largest first, for driver importance.
pub fn importance(title: &str, bars: &[Bar]) -> Markup {
    const ROW: f64 = 22.0;
    const LABEL: f64 = 220.0;
    let top = bars
        .iter()
        .map(|b| b.high.max(b.value))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let scale = |v: f64| LABEL + (W - LABEL - RIGHT) * (v / top).clamp(0.0, 1.0);
    let height = ROW * bars.len() as f64 + 8.0;
    let summary: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {:.3}", b.label, b.value))
        .collect();
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (W) " " (height) } role="img" aria-label={ (title) ". " (summary.join("; ")) } {
                title { (title) }
                @for (i, b) in bars.iter().enumerate() {
                    @let y = 4.0 + ROW * i as f64;
                    @let class = format!("bar {}{}", if b.bad { "bad" } else { "good" }, if b.thin { " thin" } else { "" });
                    text.axis x=(LABEL - 6.0) y=(format!("{:.1}", y + ROW * 0.65)) text-anchor="end" { (b.label) }
                    rect class=(class) x=(LABEL) y=(format!("{:.1}", y + 3.0)) width=(format!("{:.1}", scale(b.value) - LABEL)) height=(ROW - 8.0) {
                        title { (b.label) ": " (format!("{:.3} [{:.3}; {:.3}]", b.value, b.low, b.high)) }
                    }
                    line.whisker x1=(format!("{:.1}", scale(b.low))) x2=(format!("{:.1}", scale(b.high))) y1=(format!("{:.1}", y + ROW / 2.0)) y2=(format!("{:.1}", y + ROW / 2.0)) {}
                }
            }
        }
    }
}

/// Points of a scatter that carry their name on the chart.
const LABELLED: usize = 8;

/// A scatter of labelled points (importance against performance), most important first: the
/// lower-right corner — important and scoring low — is where to act.
pub fn scatter(title: &str, x_label: &str, y_label: &str, points: &[(String, f64, f64)]) -> Markup {
    let (x_max, (y_min, y_max)) = points.iter().fold(
        (0.0f64, (f64::INFINITY, f64::NEG_INFINITY)),
        |(x, (lo, hi)), p| (x.max(p.1), (lo.min(p.2), hi.max(p.2))),
    );
    let x_max = x_max.max(1e-9);
    let (y_min, y_max) = if y_min.is_finite() {
        (y_min - 0.5, y_max + 0.5)
    } else {
        (0.0, 1.0)
    };
    let x = |v: f64| LEFT + (W - LEFT - RIGHT) * v / x_max;
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - y_min) / (y_max - y_min).max(1e-9));
    html! {
        figure.chart {
            figcaption { (title) }
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(title) {
                title { (title) }
                line.grid x1=(LEFT) x2=(W - RIGHT) y1=(H - BOTTOM) y2=(H - BOTTOM) {}
                line.grid x1=(LEFT) x2=(LEFT) y1=(TOP) y2=(H - BOTTOM) {}
                text.axis x=(W - RIGHT) y=(H - 8.0) text-anchor="end" { (x_label) " →" }
                text.axis x=(4.0) y=(TOP + 4.0) { (y_label) }
                @for (i, (label, px, py)) in points.iter().enumerate() {
                    circle.dot cx=(format!("{:.1}", x(*px))) cy=(format!("{:.1}", y(*py))) r="4" {
                        title { (label) ": " (format!("{px:.3}; {py:.2}")) }
                    }
                    // Only the most important are named on the chart (the rest in their
                    // tooltips), and names near the right edge run leftwards.
                    @if i < LABELLED {
                        @let right = x(*px) > W * 0.6;
                        text.axis x=(format!("{:.1}", x(*px) + if right { -6.0 } else { 6.0 })) y=(format!("{:.1}", y(*py) + 4.0))
                            text-anchor=(if right { "end" } else { "start" }) { (label) }
                    }
                }
            }
        }
    }
}

/// Two series over the same bins (e.g. the treated and the comparison group), the bin where
/// something started marked with a vertical line. Values are drawn as lines through the bins
/// that have one; `names` label the two lines in the legend.
pub fn versus(
    title: &str,
    labels: &[String],
    series: [&[Option<f64>]; 2],
    names: [&str; 2],
    marker: Option<(usize, &str)>,
    unit: &str,
) -> Markup {
    let values = series.iter().flat_map(|s| s.iter().flatten().copied());
    let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (lo, hi) = if min.is_finite() {
        let pad = ((max - min) * 0.15).max(1.0);
        (min - pad, max + pad)
    } else {
        (0.0, 1.0)
    };
    let n = labels.len().max(1);
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * (i as f64 + 0.5) / n as f64;
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo).max(1e-9));
    let path = |values: &[Option<f64>]| {
        let mut d = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let pen = if pen_down { "L" } else { "M" };
                    d.push_str(&format!("{pen}{:.1},{:.1}", x(i), y(*v)));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        d
    };
    let every = n.div_ceil(8);
    let summary: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let v = |s: &[Option<f64>]| {
                s.get(i)
                    .copied()
                    .flatten()
                    .map_or("—".to_owned(), |v| format!("{v:.1}{unit}"))
            };
            format!(
                "{label}: {} {}, {} {}",
                names[0],
                v(series[0]),
                names[1],
                v(series[1])
            )
        })
        .collect();
    html! {
        figure.chart {
            figcaption { (title) }
            div.legend {
                span { span.swatch.treated {} (names[0]) }
                span { span.swatch {} (names[1]) }
            }
            svg viewBox={ "0 0 " (W) " " (H) } role="img" aria-label={ (title) ". " (summary.join("; ")) }
                preserveAspectRatio="xMidYMid meet" {
                title { (title) }
                @for t in ticks(lo, hi) {
                    line.grid x1=(LEFT) x2=(W - RIGHT) y1=(format!("{:.1}", y(t))) y2=(format!("{:.1}", y(t))) {}
                    text.axis x=(LEFT - 6.0) y=(format!("{:.1}", y(t) + 4.0)) text-anchor="end" { (format!("{t:.0}")) }
                }
                @if let Some((at, label)) = marker {
                    @let mx = LEFT + (W - LEFT - RIGHT) * at as f64 / n as f64;
                    line.marker x1=(format!("{mx:.1}")) x2=(format!("{mx:.1}")) y1=(TOP) y2=(H - BOTTOM) {}
                    text.axis x=(format!("{:.1}", mx + 4.0)) y=(TOP + 10.0) { (label) }
                }
                path.line.other d=(path(series[1])) {}
                path.line d=(path(series[0])) {}
                @for (i, label) in labels.iter().enumerate() {
                    @if i % every == 0 {
                        text.axis x=(format!("{:.1}", x(i))) y=(H - 12.0) text-anchor="middle" { (label) }
                    }
                }
            }
        }
    }
}

/// A radar of scores on 0–100, one axis per label clockwise from the top; each series (name,
/// values, CSS class) a closed polygon, a missing value drawn at the centre.
pub fn radar(
    title: &str,
    labels: &[&str],
    series: &[(&str, Vec<Option<f64>>, &'static str)],
) -> Markup {
    const SIZE: f64 = 420.0;
    const R: f64 = 130.0;
    let (cx, cy) = (SIZE / 2.0, SIZE / 2.0 - 10.0);
    let n = labels.len().max(3);
    let at = |i: usize, value: f64| {
        let angle = std::f64::consts::TAU * i as f64 / n as f64 - std::f64::consts::FRAC_PI_2;
        let r = R * value.clamp(0.0, 100.0) / 100.0;
        (cx + r * angle.cos(), cy + r * angle.sin())
    };
    let ring = |value: f64| {
        (0..n)
            .map(|i| {
                let (x, y) = at(i, value);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let summary: Vec<String> = series
        .iter()
        .map(|(name, values, _)| {
            let parts: Vec<String> = labels
                .iter()
                .zip(values)
                .map(|(l, v)| format!("{l} {}", v.map_or("—".to_owned(), |v| format!("{v:.0}"))))
                .collect();
            format!("{name}: {}", parts.join(", "))
        })
        .collect();
    html! {
        figure.chart.radar {
            figcaption { (title) }
            svg viewBox={ "0 0 " (SIZE) " " (SIZE) } role="img" aria-label={ (title) ". " (summary.join("; ")) } {
                title { (title) }
                @for level in [25.0, 50.0, 75.0, 100.0] {
                    polygon.grid points=(ring(level)) {}
                }
                @for (i, label) in labels.iter().enumerate() {
                    @let (x, y) = at(i, 100.0);
                    @let (lx, ly) = at(i, 118.0);
                    line.grid x1=(cx) y1=(cy) x2=(format!("{x:.1}")) y2=(format!("{y:.1}")) {}
                    text.axis x=(format!("{lx:.1}")) y=(format!("{ly:.1}")) text-anchor=(if (lx - cx).abs() < 5.0 { "middle" } else if lx > cx { "start" } else { "end" }) { (label) }
                }
                @for (name, values, class) in series {
                    @let points = values.iter().enumerate().map(|(i, v)| { let (x, y) = at(i, v.unwrap_or(0.0)); format!("{x:.1},{y:.1}") }).collect::<Vec<_>>().join(" ");
                    polygon class={ "series " (class) } points=(points) { title { (name) } }
                }
                text.axis x="6" y=(SIZE - 6.0) { "0–100" }
            }
            @if series.len() > 1 {
                div.legend {
                    @for (name, _, class) in series { span { span class={ "swatch " (class) } {} (name) } }
                }
            }
        }
    }
}

pub const STYLE: &str = ".chart{margin:1rem 0}.chart figcaption{font-weight:600;margin-bottom:.25rem}\
     .chart svg{width:100%;height:auto;max-height:320px;display:block}\
     .chart .grid{stroke:#dde3ea;stroke-width:1}\
     .chart .axis{font-size:11px;fill:#4a5360}\
     .chart .band{fill:#0b57a4;opacity:.15}\
     .chart .line{fill:none;stroke:#0b57a4;stroke-width:2.5}\
     .chart .dot{fill:#0b57a4}.chart .dot.thin{fill:#fff;stroke:#0b57a4;stroke-width:1.5}\
     .chart .bar{fill:#8a96a3}.chart .bar.bad{fill:#c0392b}.chart .bar.mid{fill:#d68910}.chart .bar.good{fill:#2e7d32}\
     .chart .bar.thin{opacity:.35}.chart .whisker{stroke:#1b1f24;stroke-width:1.5}\
     .legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.85rem;margin:.3rem 0}\
     .swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px;background:#8a96a3}\
     .swatch.bad{background:#c0392b}.swatch.mid{background:#d68910}.swatch.good{background:#2e7d32}\
     .chart .cell{fill:#eef1f5}.chart .cell.bad{fill:#e6a39b}.chart .cell.mid{fill:#f3cf8e}.chart .cell.good{fill:#9fd0a3}\
     .chart .cell-value{font-size:10px;fill:#1b1f24}\
     .chart .line.other{stroke:#8a96a3;stroke-dasharray:6 4}.swatch.treated{background:#0b57a4}\
     .chart .marker{stroke:#d68910;stroke-width:2}\
     .chart.radar svg{max-height:400px}.chart polygon.grid{fill:none}.chart .series{fill:#0b57a4;fill-opacity:.18;stroke:#0b57a4;stroke-width:2}\
     .chart .series.other{fill:#8a96a3;fill-opacity:.08;stroke:#8a96a3;stroke-dasharray:6 4}.swatch.other{background:#8a96a3}\
     .chart .box{fill:#eef1f5;stroke:#8a96a3}.chart .box-label{font-size:12px;fill:#1b1f24}\
     .chart .gap{stroke:#c0392b;stroke-width:2;fill:none;stroke-dasharray:5 3}.chart .flow{stroke:#4a5360;stroke-width:1.5;fill:none}\
     .chart .gap-label{font-size:12px;fill:#c0392b;font-weight:600}.chart .divider{stroke:#4a5360;stroke-width:1;stroke-dasharray:2 3}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_are_round_numbers() {
        assert_eq!(ticks(-100.0, 100.0), vec![-100.0, -50.0, 0.0, 50.0, 100.0]);
        assert_eq!(ticks(1.0, 5.0), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn a_gap_in_the_data_breaks_the_line() {
        let point = |label: &str, value: Option<f64>| Point {
            label: label.into(),
            value,
            low: value.map(|v| v - 5.0),
            high: value.map(|v| v + 5.0),
            thin: false,
        };
        let svg = line(
            "NPS",
            &[
                point("Jan", Some(10.0)),
                point("Feb", None),
                point("Mar", Some(20.0)),
            ],
            (-100.0, 100.0),
            false,
            "",
        )
        .into_string();
        let line = svg.split(r#"class="line" d=""#).nth(1).unwrap();
        let d = line.split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(svg.contains("<title>NPS</title>"));
        assert!(svg.contains("Feb: —"));
    }
}
