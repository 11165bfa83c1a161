//! PNG files: a white canvas of a given size, drawn by the caller and saved; plotters' errors as
//! messages.

use std::error::Error;
use std::path::Path;

use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea, WHITE};

use crate::font::register_font;

/// The whole canvas of a PNG being drawn by [`write_png`], in pixels from the top left corner.
pub type Canvas<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws a PNG of `size` (width, height) pixels at `path`: registers the embedded font, fills the
/// canvas white, lets `draw` draw on it, then encodes and writes the file.
///
/// # Errors
///
/// The first error of `draw`, or a message (see [`drawing_error`]) if the canvas cannot be filled
/// or the file cannot be written. Messages do not name `path`; callers that have several files to
/// write add it.
///
/// # Examples
///
/// ```
/// use plotters::prelude::*;
/// use softkit_plot::{drawing_error, text, write_png};
///
/// let path = std::env::temp_dir().join(format!("softkit-plot-png-{}.png", std::process::id()));
/// write_png(&path, (200, 100), |canvas| {
///     canvas.draw(&Text::new("hello", (20, 40), text(24))).map_err(drawing_error)
/// })?;
/// let bytes = std::fs::read(&path).unwrap();
/// // Width and height are the first fields of the IHDR chunk.
/// assert_eq!(&bytes[16..24], &[0, 0, 0, 200, 0, 0, 0, 100]);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), String>(())
/// ```
pub fn write_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Canvas<'_>) -> Result<(), String>,
) -> Result<(), String> {
    register_font()?;
    // Drawn beside the target under a hidden name, then renamed over it: a reader (or a crash)
    // never meets half a picture. The name keeps `.png`, which picks plotters' encoder.
    let name = path.file_name().map_or_else(|| "plot".into(), |n| n.to_string_lossy().into_owned());
    let partial = path.with_file_name(format!(".{name}.{}.partial.png", std::process::id()));
    let drawn = (|| {
        let canvas = BitMapBackend::new(&partial, size).into_drawing_area();
        canvas.fill(&WHITE).map_err(drawing_error)?;
        draw(&canvas)?;
        canvas.present().map_err(drawing_error)?;
        drop(canvas);
        std::fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))
    })();
    if drawn.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    drawn
}

/// Plotters' error of any drawing call (a chart, a mesh, a series, the final `present`) as the
/// message it displays, for `map_err`.
///
/// # Examples
///
/// ```
/// use plotters::drawing::DrawingAreaErrorKind;
///
/// let error: DrawingAreaErrorKind<std::io::Error> = DrawingAreaErrorKind::LayoutError;
/// assert_eq!(softkit_plot::drawing_error(error), "Bad layout");
/// ```
pub fn drawing_error<E: Error + Send + Sync>(error: DrawingAreaErrorKind<E>) -> String {
    error.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_cannot_be_written_is_an_error_and_draw_errors_pass_through() {
        let dir = std::env::temp_dir().join(format!("softkit-plot-png-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let blocker = dir.join("file");
        std::fs::write(&blocker, b"x").unwrap();
        assert!(write_png(&blocker.join("a.png"), (10, 10), |_| Ok(())).is_err());
        assert_eq!(write_png(&dir.join("b.png"), (10, 10), |_| Err("mine".to_string())), Err("mine".to_string()));
        assert!(write_png(&dir.join("c.png"), (10, 10), |_| Ok(())).is_ok());
        assert!(std::fs::read(dir.join("c.png")).unwrap().starts_with(b"\x89PNG"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
