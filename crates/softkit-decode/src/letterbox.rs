//! [`Letterbox`]: how an image was fitted into the model's input, and the way back.

use std::borrow::Cow;

use crate::resize::check_pixels;
use crate::{DecodeError, resize_bilinear};

/// Where the resized image sits in the model's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// At the top-left corner, padded right and below (YOLOX). The resized size is truncated:
    /// `(int(w * r), int(h * r))`.
    TopLeft,
    /// Centred, padded on both sides (ultralytics' `LetterBox`, CenterNet's affine): the resized
    /// size is rounded, and the left and top pads are `round(pad / 2 - 0.1)` with Python's
    /// round-half-to-even, as ultralytics computes them.
    Centred,
}

impl std::str::FromStr for Placement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "top-left" => Ok(Placement::TopLeft),
            "centre" | "center" => Ok(Placement::Centred),
            _ => Err(format!("unknown letterbox placement {s:?}: expected \"top-left\" or \"centre\"")),
        }
    }
}

/// The record of one letterbox: the scale `r = min(input_w / w, input_h / h)` and the pads that
/// fitted an image of `original` size into the model's `input`, so that decoded geometry can be
/// mapped back to the original pixels.
///
/// # Examples
///
/// ```
/// use softkit_decode::{Letterbox, Placement};
///
/// // A 640 x 426 COCO image in YOLOX's 416 x 416 input: r = 0.65, resized to 416 x 276.
/// let lb = Letterbox::new([640, 426], [416, 416], Placement::TopLeft)?;
/// assert_eq!(lb.resized(), [416, 276]);
/// assert_eq!(lb.box_to_original([13.0, 26.0, 39.0, 52.0]), [20.0, 40.0, 60.0, 80.0]);
///
/// // ultralytics centres the image: 416 x 277 with 69 rows of padding above.
/// let lb = Letterbox::new([640, 426], [416, 416], Placement::Centred)?;
/// assert_eq!((lb.resized(), lb.pad()), ([416, 277], [0, 69]));
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Letterbox {
    original: [u32; 2],
    input: [u32; 2],
    scale: f64,
    resized: [u32; 2],
    pad: [u32; 2],
}

impl Letterbox {
    /// The letterbox of an image of `original` size `[width, height]` into an input of `input`
    /// size `[width, height]`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::InvalidParameter`] if a size is zero.
    pub fn new(original: [u32; 2], input: [u32; 2], placement: Placement) -> Result<Self, DecodeError> {
        for (name, size) in [("original size", original), ("input size", input)] {
            if size.contains(&0) {
                return Err(DecodeError::InvalidParameter {
                    name,
                    value: format!("{}x{}", size[0], size[1]),
                    expected: "a width and height of at least 1 pixel",
                });
            }
        }
        let [w, h] = original.map(f64::from);
        let scale = (f64::from(input[0]) / w).min(f64::from(input[1]) / h);
        let (resized, pad) = match placement {
            Placement::TopLeft => ([(w * scale) as u32, (h * scale) as u32].map(|s| s.max(1)), [0, 0]),
            Placement::Centred => {
                let resized = [(w * scale).round_ties_even() as u32, (h * scale).round_ties_even() as u32];
                let pad = [0, 1].map(|i| {
                    let half = f64::from(input[i].saturating_sub(resized[i])) / 2.0;
                    (half - 0.1).round_ties_even().max(0.0) as u32
                });
                (resized.map(|s| s.max(1)), pad)
            }
        };
        Ok(Letterbox { original, input, scale, resized, pad })
    }

    /// The identity: an image that already is the model's input.
    pub fn identity(input: [u32; 2]) -> Result<Self, DecodeError> {
        Letterbox::new(input, input, Placement::TopLeft)
    }

    /// The original image's `[width, height]`.
    pub fn original(&self) -> [u32; 2] {
        self.original
    }

    /// The model input's `[width, height]`.
    pub fn input(&self) -> [u32; 2] {
        self.input
    }

    /// The scale `r` from original to input pixels.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The resized image's `[width, height]` inside the input.
    pub fn resized(&self) -> [u32; 2] {
        self.resized
    }

    /// The left and top padding, `[x, y]`, in input pixels.
    pub fn pad(&self) -> [u32; 2] {
        self.pad
    }

    /// An input-pixel point in original pixels.
    pub fn point_to_original(&self, x: f32, y: f32) -> [f64; 2] {
        [(f64::from(x) - f64::from(self.pad[0])) / self.scale, (f64::from(y) - f64::from(self.pad[1])) / self.scale]
    }

    /// An input-pixel `[x1, y1, x2, y2]` box in original pixels (not clipped: YOLOX's reference
    /// output is not; see [`clip_box`](Self::clip_box)).
    pub fn box_to_original(&self, b: [f32; 4]) -> [f64; 4] {
        let [x1, y1] = self.point_to_original(b[0], b[1]);
        let [x2, y2] = self.point_to_original(b[2], b[3]);
        [x1, y1, x2, y2]
    }

    /// An input-pixel rotated box `[cx, cy, w, h, angle]` in original pixels: the centre moves,
    /// the sides scale, and the angle is kept (the scale is the same on both axes).
    pub fn rotated_to_original(&self, b: [f32; 5]) -> [f64; 5] {
        let [cx, cy] = self.point_to_original(b[0], b[1]);
        [cx, cy, f64::from(b[2]) / self.scale, f64::from(b[3]) / self.scale, f64::from(b[4])]
    }

    /// A box clipped to the original image, as ultralytics' `scale_boxes` clips.
    pub fn clip_box(&self, b: [f64; 4]) -> [f64; 4] {
        let [w, h] = self.original.map(f64::from);
        [b[0].clamp(0.0, w), b[1].clamp(0.0, h), b[2].clamp(0.0, w), b[3].clamp(0.0, h)]
    }
}

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

/// The largest model input side [`InputSpec::letterbox_rgb`] makes a tensor for.
const MAX_INPUT_SIDE: u32 = 16384;

/// How an image becomes a model input: the letterbox, the padding value, the channel order and
/// the pixel scale.
///
/// # Examples
///
/// ```
/// use softkit_decode::{ChannelOrder, InputSpec, Placement};
///
/// let spec = InputSpec::yolox([416, 416]);
/// assert_eq!((spec.placement, spec.channels, spec.pad_value), (Placement::TopLeft, ChannelOrder::Bgr, 114));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InputSpec {
    /// The model input's `[width, height]`.
    pub size: [u32; 2],
    /// Where the resized image sits.
    pub placement: Placement,
    /// The value of padding pixels, before the division.
    pub pad_value: u8,
    /// The channel order.
    pub channels: ChannelOrder,
    /// Divides every pixel value (0..255): 1 for YOLOX, 255 for ultralytics (which divides, so
    /// dividing here gives its floats exactly; multiplying by 1/255 would not).
    pub divisor: f32,
}

impl InputSpec {
    /// YOLOX's input: top-left, padded with 114, BGR in 0..255.
    pub fn yolox(size: [u32; 2]) -> Self {
        InputSpec { size, placement: Placement::TopLeft, pad_value: 114, channels: ChannelOrder::Bgr, divisor: 1.0 }
    }

    /// ultralytics' input: centred, padded with 114, RGB in 0..1.
    pub fn ultralytics(size: [u32; 2]) -> Self {
        InputSpec { size, placement: Placement::Centred, pad_value: 114, channels: ChannelOrder::Rgb, divisor: 255.0 }
    }

    /// Letterboxes an image, interleaved 8-bit RGB pixels of `size` (`[width, height]`), into a
    /// `(3, H, W)` tensor, row-major, with its [`Letterbox`].
    ///
    /// The resize is [`resize_bilinear`](crate::resize_bilinear): Pillow's `Image.BILINEAR`
    /// resize, which YOLOX's reference inputs were made with, bit for bit.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_decode::InputSpec;
    ///
    /// // A 4 x 2 grey image into ultralytics' 4 x 4 input: centred, one row of pad above.
    /// let (tensor, letterbox) = InputSpec::ultralytics([4, 4]).letterbox_rgb(&[255; 3 * 4 * 2], [4, 2])?;
    /// assert_eq!(letterbox.pad(), [0, 1]);
    /// assert_eq!((tensor[0], tensor[4]), (114.0 / 255.0, 1.0));
    /// # Ok::<(), softkit_decode::DecodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`DecodeError::InvalidParameter`] for an empty image or input size, or pixels that are not
    /// `3 * width * height` bytes.
    pub fn letterbox_rgb(&self, pixels: &[u8], size: [u32; 2]) -> Result<(Vec<f32>, Letterbox), DecodeError> {
        let letterbox = Letterbox::new(size, self.size, self.placement)?;
        let resized = letterbox.resized();
        check_pixels(pixels, size)?;
        if self.size.iter().any(|&side| side > MAX_INPUT_SIDE) {
            return Err(DecodeError::InvalidParameter {
                name: "input size",
                value: format!("{}x{}", self.size[0], self.size[1]),
                expected: "at most 16384 pixels a side (a 3.2 GB tensor)",
            });
        }
        let fitted =
            if resized == size { Cow::Borrowed(pixels) } else { Cow::Owned(resize_bilinear(pixels, size, resized)?) };
        let [w, h] = self.size.map(|s| s as usize);
        let [rw, rh] = resized.map(|s| s as usize);
        let [px, py] = letterbox.pad().map(|p| p as usize);
        let pad = f32::from(self.pad_value) / self.divisor;
        let mut tensor = vec![pad; 3 * w * h];
        let planes = match self.channels {
            ChannelOrder::Rgb => [0, 1, 2],
            ChannelOrder::Bgr => [2, 1, 0],
        };
        // Pixels past the input (a resized side rounded up) are cut, as a slice assignment cuts.
        let (cols, rows) = (rw.min(w.saturating_sub(px)), rh.min(h.saturating_sub(py)));
        for (plane, &channel) in planes.iter().enumerate() {
            let out = &mut tensor[plane * w * h..][..w * h];
            for (y, src) in fitted.chunks_exact(3 * rw).take(rows).enumerate() {
                let dst = &mut out[(y + py) * w + px..][..cols];
                for (d, pixel) in dst.iter_mut().zip(src.chunks_exact(3)) {
                    *d = f32::from(pixel[channel]) / self.divisor;
                }
            }
        }
        Ok((tensor, letterbox))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ultralytics_pads_round_half_to_even_after_the_nudge() {
        // 640 x 480 into 640 x 640: 640 x 480 resized, 160 rows of pad, 80 above.
        let lb = Letterbox::new([640, 480], [640, 640], Placement::Centred).unwrap();
        assert_eq!((lb.resized(), lb.pad()), ([640, 480], [0, 80]));
        // An odd pad of 5: round(2.5 - 0.1) = 2 above, 3 below.
        let lb = Letterbox::new([100, 95], [100, 100], Placement::Centred).unwrap();
        assert_eq!((lb.resized(), lb.pad()), ([100, 95], [0, 2]));
        let back = lb.box_to_original([10.0, 2.0, 20.0, 12.0]);
        assert_eq!(back, [10.0, 0.0, 20.0, 10.0]);
    }

    #[test]
    fn yolox_truncates_the_resized_size() {
        let lb = Letterbox::new([586, 640], [416, 416], Placement::TopLeft).unwrap();
        assert_eq!(lb.resized(), [380, 416]);
        assert_eq!(lb.scale(), 0.65);
        assert!(Letterbox::new([0, 5], [416, 416], Placement::TopLeft).is_err());
    }
}
