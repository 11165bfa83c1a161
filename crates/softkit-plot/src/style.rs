//! The look softkit's figures share: series colours, a light grid, fonts on the axes and a boxed
//! legend.

use plotters::chart::{ChartContext, MeshStyle, SeriesLabelPosition};
use plotters::coord::CoordTranslate;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::{BLACK, Color, DrawingBackend, RGBColor, WHITE};

use crate::font::FAMILY;
use crate::png::drawing_error;

/// Colours of the first three series of a figure, in order: blue, red and green (matplotlib's
/// `tab10`, so the figures read like the papers' own).
pub const SERIES_COLOURS: [RGBColor; 3] = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44)];

/// Colour of the light grid lines between labelled ticks.
pub const GRID: RGBColor = RGBColor(235, 235, 235);

/// Sets a mesh's fonts (the embedded family: axis descriptions `desc_size` pixels high, tick labels
/// `label_size`) and its light lines to [`GRID`]; returns the mesh for the caller's own settings.
///
/// # Examples
///
/// ```
/// use plotters::prelude::*;
/// use softkit_plot::{drawing_error, style_mesh, write_png};
///
/// let path = std::env::temp_dir().join(format!("softkit-plot-mesh-{}.png", std::process::id()));
/// write_png(&path, (300, 200), |canvas| {
///     let mut chart = ChartBuilder::on(canvas)
///         .x_label_area_size(30)
///         .y_label_area_size(30)
///         .build_cartesian_2d(0f64..1f64, 0f64..1f64)
///         .map_err(drawing_error)?;
///     style_mesh(&mut chart.configure_mesh(), 14, 11).x_desc("recall").draw().map_err(drawing_error)
/// })?;
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), String>(())
/// ```
pub fn style_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    desc_size: u32,
    label_size: u32,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.axis_desc_style((FAMILY, desc_size)).label_style((FAMILY, label_size)).light_line_style(GRID)
}

/// Draws the legend of `chart`'s labelled series at `position`: `margin` pixels from the frame,
/// text `font_size` pixels high, on a nearly opaque white box with a black border.
///
/// # Errors
///
/// Plotters' drawing error, as a message (see [`drawing_error`](crate::drawing_error)).
///
/// # Examples
///
/// ```
/// use plotters::prelude::*;
/// use softkit_plot::{SERIES_COLOURS, draw_legend, drawing_error, write_png};
///
/// let path = std::env::temp_dir().join(format!("softkit-plot-legend-{}.png", std::process::id()));
/// write_png(&path, (300, 200), |canvas| {
///     let mut chart = ChartBuilder::on(canvas).build_cartesian_2d(0f64..1f64, 0f64..1f64).map_err(drawing_error)?;
///     let style = SERIES_COLOURS[1].stroke_width(2);
///     chart
///         .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], style))
///         .map_err(drawing_error)?
///         .label("diagonal")
///         .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
///     draw_legend(&mut chart, SeriesLabelPosition::LowerRight, 8, 12)
/// })?;
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), String>(())
/// ```
pub fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    margin: u32,
    font_size: u32,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .margin(margin)
        .label_font((FAMILY, font_size))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(drawing_error)
}
