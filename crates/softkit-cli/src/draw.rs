//! `softkit detect --draw`: an image with its detections drawn, as PNG.

use std::path::Path;

use image::ImageEncoder;
use plotters::prelude::*;
use softkit_geom::rotated_corners;
use softkit_io::{Detections, write_atomic};
use softkit_plot::{SERIES_COLOURS, drawing_error, register_font, text};

/// Draws the `shown` `(row, score)` detections of `dets` on `image` (boxes in its pixels; the
/// rotated boxes `rboxes`, when given, as their outlines) with their class name (from `names`,
/// else the category id) and score, and writes a PNG to `target`.
pub(crate) fn draw_detections(
    image: &image::RgbImage,
    dets: &Detections,
    rboxes: Option<&[[f64; 5]]>,
    shown: &[(usize, f64)],
    names: Option<&[String]>,
    target: &Path,
) -> Result<(), String> {
    register_font()?;
    let (w, h) = image.dimensions();
    let mut pixels = image.as_raw().clone();
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        for &(row, score) in shown {
            let category = dets.category_ids[row];
            let colour = SERIES_COLOURS[category.unsigned_abs() as usize % SERIES_COLOURS.len()];
            let [x1, y1, x2, y2] = dets.boxes[row].map(|v| v.round() as i32);
            match rboxes {
                Some(rboxes) => {
                    let corners = rotated_corners(&rboxes[row]).map(|[x, y]| (x.round() as i32, y.round() as i32));
                    let outline: Vec<(i32, i32)> = corners.iter().chain(&corners[..1]).copied().collect();
                    root.draw(&PathElement::new(outline, colour.stroke_width(2))).map_err(drawing_error)?;
                }
                None => {
                    root.draw(&Rectangle::new([(x1, y1), (x2, y2)], colour.stroke_width(2))).map_err(drawing_error)?;
                }
            }
            let name = names
                .and_then(|n| usize::try_from(category).ok().and_then(|c| n.get(c)))
                .cloned()
                .unwrap_or_else(|| category.to_string());
            let label = format!("{name} {score:.2}");
            let (tw, th) = root.estimate_text_size(&label, &text(14)).map_err(drawing_error)?;
            let top = (y1 - th as i32 - 2).max(0);
            root.draw(&Rectangle::new([(x1, top), (x1 + tw as i32 + 4, top + th as i32 + 2)], colour.filled()))
                .map_err(drawing_error)?;
            root.draw(&Text::new(label, (x1 + 2, top + 1), text(14).color(&WHITE))).map_err(drawing_error)?;
        }
        root.present().map_err(drawing_error)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| format!("{}: {e}", target.display()))?;
    write_atomic(target, &png).map_err(|e| e.to_string())
}
