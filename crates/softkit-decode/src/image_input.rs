//! Images to model inputs: reading JPEG and PNG files, and letterboxing them into a tensor.

use std::path::Path;

use image::{DynamicImage, RgbImage};

use crate::{DecodeError, InputSpec, Letterbox};

impl InputSpec {
    /// Letterboxes `image` into a `(3, H, W)` tensor, row-major, with its [`Letterbox`]: as
    /// [`letterbox_rgb`](Self::letterbox_rgb) on the image's pixels.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_decode::InputSpec;
    ///
    /// let spec = InputSpec::yolox([416, 416]);
    /// let image = image::RgbImage::from_pixel(832, 416, image::Rgb([200, 100, 50]));
    /// let (tensor, letterbox) = spec.letterbox(&image)?;
    /// assert_eq!(tensor.len(), 3 * 416 * 416);
    /// assert_eq!(letterbox.resized(), [416, 208]);
    /// // BGR: the first plane is blue; the pad (rows 208 and below) is 114.
    /// assert_eq!((tensor[0], tensor[416 * 416 - 1]), (50.0, 114.0));
    /// # Ok::<(), softkit_decode::DecodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`letterbox_rgb`](Self::letterbox_rgb).
    pub fn letterbox(&self, image: &RgbImage) -> Result<(Vec<f32>, Letterbox), DecodeError> {
        self.letterbox_rgb(image.as_raw(), [image.width(), image.height()])
    }
}

/// Reads a JPEG or PNG file as 8-bit RGB. Grayscale, 16-bit and alpha images are converted
/// (16-bit by taking the high byte, alpha dropped); the returned note says so, so that the caller
/// can tell the user.
///
/// # Errors
///
/// [`DecodeError::Image`] naming the file for a missing, truncated or corrupt image, or a format
/// other than JPEG and PNG.
pub fn read_image(path: &Path) -> Result<(RgbImage, Option<String>), DecodeError> {
    let fail = |message: String| DecodeError::Image { path: path.display().to_string(), message };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    // The JPEG decoder fills a cut-off file with grey rather than failing: check the end marker.
    if bytes.starts_with(&[0xFF, 0xD8]) && !bytes.trim_ascii_end().ends_with(&[0xFF, 0xD9]) {
        return Err(fail("the JPEG is truncated (no end-of-image marker)".into()));
    }
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes));
    let reader = reader.with_guessed_format().map_err(|e| fail(e.to_string()))?;
    let decoded = reader.decode().map_err(|e| fail(format!("cannot decode the image: {e}")))?;
    let note = match &decoded {
        DynamicImage::ImageRgb8(_) => None,
        other => Some(format!("{:?} converted to 8-bit RGB", other.color())),
    };
    Ok((decoded.into_rgb8(), note))
}
