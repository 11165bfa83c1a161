//! The embedded font: DejaVu Sans, registered with plotters under the family every figure asks for.

use std::sync::OnceLock;

use plotters::style::{FontStyle, IntoFont, TextStyle};

/// DejaVu Sans (Bitstream Vera license, `assets/DejaVuSans-LICENSE.txt`). Embedded so that the
/// plots look the same everywhere and need no system fonts.
pub static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The family [`register_font`] registers [`FONT`] under. Plotters' own defaults (axis labels,
/// [`plotters::style::FontFamily::SansSerif`]) ask for it too, so they get the embedded font.
pub const FAMILY: &str = "sans-serif";

/// Registers [`FONT`] under [`FAMILY`], once per process; later calls return the first outcome.
///
/// Text drawn before the font is registered fails, as plotters' ab_glyph backend knows no font of
/// its own. [`write_png`](crate::write_png) calls this itself.
///
/// # Errors
///
/// A message if the embedded font cannot be parsed (it can, unless the binary is corrupt).
///
/// # Examples
///
/// ```
/// softkit_plot::register_font()?;
/// softkit_plot::register_font()?; // A second call does nothing.
/// # Ok::<(), String>(())
/// ```
pub fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
                .map_err(|_| "the embedded font DejaVuSans.ttf could not be parsed".to_string())
        })
        .clone()
}

/// Black text in the embedded font, `size` pixels high: the same style as plotters' `(FAMILY,
/// size)`, usable wherever a caption, label or [`plotters::element::Text`] takes a style.
///
/// # Examples
///
/// ```
/// use plotters::style::text_anchor::{HPos, Pos, VPos};
///
/// let left = softkit_plot::text(12).pos(Pos::new(HPos::Left, VPos::Center));
/// assert_eq!(left.font.get_size(), 12.0);
/// ```
pub fn text(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_registers_and_is_a_truetype_file() {
        assert_eq!(&FONT[..4], b"\x00\x01\x00\x00", "a TrueType font starts with version 1.0");
        assert_eq!(register_font(), Ok(()));
        assert_eq!(register_font(), Ok(()));
        assert_eq!(text(18).font.get_name(), FAMILY);
    }
}
