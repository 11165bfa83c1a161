//! Images to model inputs: reading JPEG and PNG files, and letterboxing them into a tensor.

use std::path::Path;

use image::imageops::{self, FilterType};
use image::{DynamicImage, RgbImage};

use crate::{DecodeError, Letterbox, Placement};

/// The channel order a model expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelOrder {
    /// Red, green, blue (ultralytics, DETR).
    Rgb,
    /// Blue, green, red (YOLOX and other OpenCV-trained models).
    Bgr,
}

impl std::str::FromStr for ChannelOrder {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rgb" => Ok(ChannelOrder::Rgb),
            "bgr" => Ok(ChannelOrder::Bgr),
            _ => Err(format!("unknown channel order {s:?}: expected \"rgb\" or \"bgr\"")),
        }
    }
}

/// How an image becomes a model input: the letterbox, the padding value, the channel order and
/// the pixel scale.
///
/// # Examples
///
/// ```
/// use softkit_decode::{ChannelOrder, InputSpec, Placement};
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
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputSpec {
    /// The model input's `[width, height]`.
    pub size: [u32; 2],
    /// Where the resized image sits.
    pub placement: Placement,
    /// The value of padding pixels, before scaling.
    pub pad_value: u8,
    /// The channel order.
    pub channels: ChannelOrder,
    /// Multiplies every pixel value (0..255): 1 for YOLOX, 1/255 for ultralytics.
    pub scale: f32,
}

impl InputSpec {
    /// YOLOX's input: top-left, padded with 114, BGR in 0..255.
    pub fn yolox(size: [u32; 2]) -> Self {
        InputSpec { size, placement: Placement::TopLeft, pad_value: 114, channels: ChannelOrder::Bgr, scale: 1.0 }
    }

    /// ultralytics' input: centred, padded with 114, RGB in 0..1.
    pub fn ultralytics(size: [u32; 2]) -> Self {
        InputSpec {
            size,
            placement: Placement::Centred,
            pad_value: 114,
            channels: ChannelOrder::Rgb,
            scale: 1.0 / 255.0,
        }
    }

    /// Letterboxes `image` into a `(3, H, W)` tensor, row-major, with its [`Letterbox`].
    ///
    /// The resize is bilinear with the support widened by the scale when shrinking, as Pillow's
    /// `Image.BILINEAR` resize (which YOLOX's reference inputs were made with) does; resamplers
    /// differ by about one grey level.
    ///
    /// # Errors
    ///
    /// [`DecodeError::InvalidParameter`] for an empty image or input size.
    pub fn letterbox(&self, image: &RgbImage) -> Result<(Vec<f32>, Letterbox), DecodeError> {
        let letterbox = Letterbox::new([image.width(), image.height()], self.size, self.placement)?;
        let [rw, rh] = letterbox.resized();
        let resized;
        let fitted = if [rw, rh] == [image.width(), image.height()] {
            image
        } else {
            resized = imageops::resize(image, rw, rh, FilterType::Triangle);
            &resized
        };
        let [w, h] = self.size.map(|s| s as usize);
        let [px, py] = letterbox.pad().map(|p| p as usize);
        let pad = f32::from(self.pad_value) * self.scale;
        let mut tensor = vec![pad; 3 * w * h];
        let planes = match self.channels {
            ChannelOrder::Rgb => [0, 1, 2],
            ChannelOrder::Bgr => [2, 1, 0],
        };
        for (x, y, pixel) in fitted.enumerate_pixels() {
            let (x, y) = (x as usize + px, y as usize + py);
            if x < w && y < h {
                for (plane, &channel) in planes.iter().enumerate() {
                    tensor[(plane * h + y) * w + x] = f32::from(pixel[channel]) * self.scale;
                }
            }
        }
        Ok((tensor, letterbox))
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
