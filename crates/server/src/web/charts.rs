//! Charts drawn on the server as SVG (plotters), put straight into the page: no script, no
//! inline style (the console's CSP allows none), readable without colour (each chart sits beside
//! its table), and named for screen readers.
//!
//! Labels come from recoup itself (vintages, bucket and stage names), never from what a user
//! typed, because plotters writes text into the SVG as it is given.

use plotters::coord::Shift;
use plotters::prelude::*;

const WIDTH: u32 = 960;
const HEIGHT: u32 = 360;

/// Okabe and Ito's palette: told apart by people with any common colour blindness.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

fn font() -> TextStyle<'static> {
    ("sans-serif", 13).into_font().color(&BLACK)
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Draws with `f` on a white canvas and returns the SVG, labelled `title` for assistive
/// technology; a chart that cannot be drawn becomes a line of text saying so.
fn render(title: &str, f: impl FnOnce(&Area) -> Drawn) -> String {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(Into::into).and_then(|_| f(&root)).and_then(|_| root.present().map_err(Into::into))
    };
    if let Err(e) = drawn {
        tracing::warn!(error = %e, chart = title, "chart not drawn");
        return format!("<p class=\"muted\">The chart \u{201c}{}\u{201d} could not be drawn.</p>", escape(title));
    }
    let named = format!("<svg class=\"chart\" role=\"img\" aria-label=\"{}\" ", escape(title));
    svg.replacen("<svg ", &named, 1)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A rate as a percentage, with a decimal place when the axis only reaches a few percent.
fn percent(v: f64, top: f64) -> String {
    if top < 0.1 { format!("{:.1}%", v * 100.0) } else { format!("{:.0}%", v * 100.0) }
}

/// The top of a rate axis: a little above the highest value, at least 1%, at most 100%.
fn rate_top(values: impl Iterator<Item = f64>) -> f64 {
    let top = values.filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    (top * 1.15).clamp(0.01, 1.0)
}

/// One line per series over months 0, 1, 2...; values are rates (0.25 = 25%).
pub fn rate_lines(title: &str, x_desc: &str, y_desc: &str, series: &[(String, Vec<f64>)]) -> String {
    let top = rate_top(series.iter().flat_map(|(_, v)| v.iter().copied()));
    lines(title, x_desc, y_desc, &[], series, top, &|v| percent(*v, top))
}

/// One line per series over the labelled points `x` (month-ends, say), with `format` on the
/// value axis; values start at zero.
pub fn amount_lines(title: &str, y_desc: &str, x: &[String], series: &[(String, Vec<f64>)], format: fn(&f64) -> String) -> String {
    let top = series.iter().flat_map(|(_, v)| v.iter().copied()).filter(|v| v.is_finite()).fold(0.0_f64, f64::max).max(1.0) * 1.1;
    lines(title, "", y_desc, x, series, top, &format)
}

fn lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x: &[String],
    series: &[(String, Vec<f64>)],
    top: f64,
    format: &dyn Fn(&f64) -> String,
) -> String {
    let points = series.iter().map(|(_, v)| v.len()).max().unwrap_or(0).max(x.len()).max(2) as u32;
    let x_label = |i: &u32| x.get(*i as usize).cloned().unwrap_or_else(|| i.to_string());
    render(title, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(0u32..points - 1, 0f64..top)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(points as usize)
            .x_label_formatter(&x_label)
            .y_label_formatter(format)
            .label_style(font())
            .axis_desc_style(font())
            .draw()?;
        for (i, (name, values)) in series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let points = values.iter().enumerate().map(|(m, v)| (m as u32, *v));
            // Marked points, so a vintage in its first month (one point) still shows.
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)).point_size(3))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
        }
        if !series.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE)
                .border_style(BLACK)
                .label_font(font())
                .draw()?;
        }
        Ok(())
    })
}

/// Upright bars, one per labelled category, with `format` on the value axis.
pub fn bars(title: &str, y_desc: &str, bars: &[(String, f64)], format: fn(&f64) -> String) -> String {
    let n = bars.len().max(1) as u32;
    let top = bars.iter().map(|b| b.1).filter(|v| v.is_finite()).fold(0.0_f64, f64::max).max(1.0) * 1.1;
    render(title, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(72)
            .build_cartesian_2d((0u32..n).into_segmented(), 0f64..top)?;
        let label = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => bars.get(*i as usize).map(|b| b.0.clone()).unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(n as usize)
            .x_label_formatter(&label)
            .y_desc(y_desc)
            .y_label_formatter(&format)
            .label_style(font())
            .axis_desc_style(font())
            .draw()?;
        let data = bars.iter().enumerate().map(|(i, b)| (i as u32, b.1));
        chart.draw_series(Histogram::vertical(&chart).style(PALETTE[0].filled()).margin(10).data(data))?;
        Ok(())
    })
}

/// Bars lying down, the first stage at the top: a funnel of counts.
pub fn funnel(title: &str, stages: &[(String, u64)]) -> String {
    let n = stages.len().max(1) as u32;
    let top = stages.iter().map(|s| s.1).max().unwrap_or(0).max(1) as f64 * 1.1;
    render(title, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(170)
            .build_cartesian_2d(0f64..top, (0u32..n).into_segmented())?;
        // Segment 0 is drawn at the bottom, so the first stage takes the highest.
        let stage = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => {
                (n - 1).checked_sub(*i).and_then(|k| stages.get(k as usize)).map(|s| s.0.clone()).unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(WHITE)
            .y_labels(n as usize)
            .y_label_formatter(&stage)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .label_style(font())
            .draw()?;
        let data = stages.iter().enumerate().map(|(i, s)| (n - 1 - i as u32, s.1 as f64));
        chart.draw_series(Histogram::horizontal(&chart).style(PALETTE[2].filled()).margin(8).data(data))?;
        Ok(())
    })
}

/// A matrix of shares (0 to 1) as shaded cells with their percentages: rows top to bottom,
/// columns left to right; an empty cell (no balance to share out) is left blank.
pub fn matrix(title: &str, rows: &[String], columns: &[String], values: &[Vec<Option<f64>>]) -> String {
    let (nr, nc) = (rows.len().max(1) as u32, columns.len().max(1) as u32);
    render(title, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(80)
            .build_cartesian_2d((0u32..nc).into_segmented(), (0u32..nr).into_segmented())?;
        let column = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => columns.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        // Segment 0 is drawn at the bottom, so the first row takes the highest.
        let row = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => (nr - 1).checked_sub(*i).and_then(|k| rows.get(k as usize)).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nc as usize)
            .y_labels(nr as usize)
            .x_label_formatter(&column)
            .y_label_formatter(&row)
            .label_style(font())
            .draw()?;
        for (r, line) in values.iter().enumerate() {
            let y = nr - 1 - r as u32;
            for (c, v) in line.iter().enumerate() {
                let Some(v) = v else { continue };
                let x = c as u32;
                // White to a mid blue: black text stays readable on every shade.
                let shade = |white: u8, blue: u8| (f64::from(white) + (f64::from(blue) - f64::from(white)) * v.clamp(0.0, 1.0)) as u8;
                let fill = RGBColor(shade(255, 111), shade(255, 168), shade(255, 220));
                let cell = [(SegmentValue::Exact(x), SegmentValue::Exact(y)), (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1))];
                chart.draw_series(std::iter::once(Rectangle::new(cell, fill.filled())))?;
                let label = format!("{:.0}%", v * 100.0);
                chart.draw_series(std::iter::once(Text::new(
                    label,
                    (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                    font().pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Center,
                    )),
                )))?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_chart_is_named_svg_with_its_series_and_no_inline_style() {
        let svg = rate_lines("Recovery", "Months", "Recovered", &[("2026-05".into(), vec![0.0, 0.05, 0.11])]);
        assert!(svg.starts_with("<svg class=\"chart\" role=\"img\" aria-label=\"Recovery\" "), "{}", &svg[..80]);
        assert!(svg.contains("2026-05") && svg.contains("<polyline"), "the series and its legend are drawn");
        assert!(!svg.contains("style="), "the CSP allows no inline style");
    }

    #[test]
    fn bars_and_funnels_label_each_category() {
        let svg = bars("Aging", "Owed", &[("1-30".into(), 10.0), ("180+".into(), 90.0)], |v| format!("{v:.0}"));
        assert!(svg.contains(">\n1-30\n<") && svg.contains(">\n180+\n<"), "{svg}");
        let svg = funnel("Funnel", &[("call attempts".into(), 7), ("connects".into(), 3)]);
        assert!(svg.contains("call attempts") && svg.contains("connects"));
        assert_eq!(svg.matches("<rect").count(), 3, "the canvas and one bar per stage");
    }

    #[test]
    fn nothing_to_draw_still_draws_axes_not_nan() {
        let svg = rate_lines("Empty", "Months", "Recovered", &[]);
        assert!(svg.starts_with("<svg") && !svg.contains("NaN"));
        let svg = bars("None", "Owed", &[], |v| format!("{v:.0}"));
        assert!(svg.starts_with("<svg") && !svg.contains("NaN"));
    }

    #[test]
    fn a_low_rate_axis_keeps_a_decimal() {
        assert_eq!((percent(0.004, 0.01), percent(0.25, 0.3)), ("0.4%".to_string(), "25%".to_string()));
    }

    #[test]
    fn a_matrix_shades_each_share_and_prints_it() {
        let svg = matrix(
            "Roll rates",
            &["1-30".into(), "31-60".into()],
            &["to 1-30".into(), "to 31-60".into(), "paid off".into()],
            &[vec![Some(0.1), Some(0.6), Some(0.3)], vec![None, Some(0.9), Some(0.1)]],
        );
        assert!(svg.contains(">\n60%\n<") && svg.contains(">\n90%\n<") && svg.contains("paid off"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 1 + 5, "the canvas and a cell per share; the empty one left blank");
    }

    #[test]
    fn a_title_is_escaped_into_the_label() {
        assert!(rate_lines("A & \"B\"", "x", "y", &[]).contains("aria-label=\"A &amp; &quot;B&quot;\""));
    }
}
