//! Plotting helpers and the embedded font shared by `softkit eval --plot` and the experiments.
//!
//! Every figure softkit draws is a PNG made with plotters' bitmap backend, its text set in an
//! embedded font, so that the pictures look the same on every machine and need no system fonts.
//!
//! - `font`: the embedded DejaVu Sans ([`FONT`]), registered under [`FAMILY`] by [`register_font`]; [`text`] styles.
//! - `png`: [`write_png`] draws on a white [`Canvas`] and saves it; [`drawing_error`] for plotters' errors.
//! - `style`: the shared look: [`SERIES_COLOURS`], the [`GRID`] of [`style_mesh`], the boxed [`draw_legend`].
//!
//! # Examples
//!
//! ```
//! use plotters::prelude::*;
//! use softkit_plot::{SERIES_COLOURS, draw_legend, drawing_error, style_mesh, text, write_png};
//!
//! let path = std::env::temp_dir().join(format!("softkit-plot-example-{}.png", std::process::id()));
//! write_png(&path, (400, 300), |root| {
//!     let mut chart = ChartBuilder::on(root)
//!         .caption("y = x^2", text(20))
//!         .margin(10)
//!         .x_label_area_size(30)
//!         .y_label_area_size(40)
//!         .build_cartesian_2d(0f64..1f64, 0f64..1f64)
//!         .map_err(drawing_error)?;
//!     style_mesh(&mut chart.configure_mesh(), 14, 12).x_desc("x").draw().map_err(drawing_error)?;
//!     let points = (0..=10).map(|i| (f64::from(i) / 10.0, (f64::from(i) / 10.0).powi(2)));
//!     chart.draw_series(LineSeries::new(points, SERIES_COLOURS[0].stroke_width(2))).map_err(drawing_error)?.label("x^2");
//!     draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 8, 12)
//! })?;
//! assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), String>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod font;
mod png;
mod style;

pub use font::{FAMILY, FONT, register_font, text};
pub use png::{Canvas, drawing_error, write_png};
pub use style::{GRID, SERIES_COLOURS, draw_legend, style_mesh};
