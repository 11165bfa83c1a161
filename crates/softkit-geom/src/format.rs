//! Box encodings at the edges: `xyxy`, `xywh` (COCO) and `cxcywh` (YOLO, DETR).

use crate::aabb::widen;
use crate::{Coord, GeomError};

/// How four numbers describe a box.
///
/// # Examples
///
/// ```
/// use softkit_geom::BoxFormat;
///
/// assert_eq!("cxcywh".parse::<BoxFormat>(), Ok(BoxFormat::Cxcywh));
/// assert!("xyz".parse::<BoxFormat>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BoxFormat {
    /// `[x1, y1, x2, y2]`: two corners. The engine's native form.
    #[default]
    Xyxy,
    /// `[x, y, w, h]`: top-left corner and size, as in COCO.
    Xywh,
    /// `[cx, cy, w, h]`: centre and size, as in YOLO and DETR heads.
    Cxcywh,
}

impl std::str::FromStr for BoxFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "xyxy" => Ok(BoxFormat::Xyxy),
            "xywh" => Ok(BoxFormat::Xywh),
            "cxcywh" => Ok(BoxFormat::Cxcywh),
            other => Err(format!("unknown box format {other:?}: expected xyxy, xywh or cxcywh")),
        }
    }
}

impl BoxFormat {
    fn field_names(self) -> [&'static str; 4] {
        match self {
            BoxFormat::Xyxy => ["x1", "y1", "x2", "y2"],
            BoxFormat::Xywh => ["x", "y", "w", "h"],
            BoxFormat::Cxcywh => ["cx", "cy", "w", "h"],
        }
    }

    /// Checks boxes in this encoding: every number finite and at most 1e150 in magnitude, corners
    /// ordered (`xyxy`) or sizes non-negative (`xywh`, `cxcywh`), and the area of a box with
    /// positive sides representable (not below `f64::MIN_POSITIVE`). Within these bounds every
    /// overlap measure is computed without overflow or underflow of an area; outside them the
    /// error says to rescale. This is softkit's one box validation; readers and geometries call it.
    ///
    /// # Errors
    ///
    /// [`GeomError`] naming the first offending box, field and value.
    ///
    /// # Examples
    ///
    /// ```
    /// use softkit_geom::BoxFormat;
    ///
    /// assert!(BoxFormat::Xywh.validate(&[[5.0_f64, 5.0, 0.0, 2.0]]).is_ok());
    /// let err = BoxFormat::Xywh.validate(&[[0.0_f32, 0.0, 1.0, -2.0]]).unwrap_err();
    /// assert_eq!(err.to_string(), "boxes[0].h = -2 is negative");
    /// let err = BoxFormat::Xyxy.validate(&[[0.0, 0.0, 1e155, 1.0]]).unwrap_err();
    /// assert!(err.to_string().starts_with("boxes[0].x2 = 1e155 is invalid: a magnitude of at most 1e150"));
    /// let err = BoxFormat::Xyxy.validate(&[[0.0, 0.0, 1e-170, 1e-170]]).unwrap_err();
    /// assert!(err.to_string().starts_with("boxes[0].width = 1e-170 is invalid"));
    /// ```
    pub fn validate<T: Coord>(self, boxes: &[[T; 4]]) -> Result<(), GeomError> {
        let names = self.field_names();
        for (index, b) in boxes.iter().enumerate() {
            let b = widen(b);
            for (field, &value) in names.iter().zip(&b) {
                if !value.is_finite() {
                    return Err(GeomError::NonFinite { index, field, value });
                }
                if value.abs() > MAX_MAGNITUDE {
                    return Err(GeomError::Item { items: "boxes", index, field, value, expected: TOO_LARGE });
                }
            }
            match self {
                BoxFormat::Xyxy => {
                    for axis in 0..2 {
                        if b[axis + 2] < b[axis] {
                            return Err(GeomError::Inverted {
                                index,
                                field: names[axis + 2],
                                value: b[axis + 2],
                                lower_field: names[axis],
                                lower: b[axis],
                            });
                        }
                    }
                }
                BoxFormat::Xywh | BoxFormat::Cxcywh => {
                    for axis in 2..4 {
                        if b[axis] < 0.0 {
                            return Err(GeomError::NegativeSize { index, field: names[axis], value: b[axis] });
                        }
                    }
                }
            }
            let (width, height) = match self {
                BoxFormat::Xyxy => (b[2] - b[0], b[3] - b[1]),
                BoxFormat::Xywh | BoxFormat::Cxcywh => (b[2], b[3]),
            };
            if let Some(side) = underflowing_side(&[width, height]) {
                return Err(GeomError::Item {
                    items: "boxes",
                    index,
                    field: ["width", "height"][side],
                    value: [width, height][side],
                    expected: TOO_SMALL,
                });
            }
        }
        Ok(())
    }
}

/// The largest coordinate magnitude a shape may have: sides, areas, unions, enclosing boxes and
/// squared diagonals of such shapes all stay finite in `f64`.
pub(crate) const MAX_MAGNITUDE: f64 = 1e150;

/// What a coordinate beyond [`MAX_MAGNITUDE`] is told.
pub(crate) const TOO_LARGE: &str =
    "a magnitude of at most 1e150, beyond which areas and distances overflow float64 (rescale the coordinates)";

/// What a shape whose side, area (or volume) underflows is told.
pub(crate) const TOO_SMALL: &str = "a size of at least 2.2e-308 whose area (or volume) with the others stays above \
                                    2.2e-308, below which float64 loses it (rescale the coordinates)";

/// Whether a shape with positive sides has an area (or volume) too small for `f64` to hold.
pub(crate) fn area_underflows(area: f64, positive_sides: bool) -> bool {
    positive_sides && area < f64::MIN_POSITIVE
}

/// For a shape whose sides are all positive, the side to blame when one is subnormal (it has lost
/// digits, and half of the smallest is 0) or their product underflows: the subnormal side, else
/// the first. `None` when the shape is representable, or has a side of 0.
pub(crate) fn underflowing_side(sides: &[f64]) -> Option<usize> {
    if !sides.iter().all(|&s| s > 0.0) {
        return None;
    }
    let subnormal = sides.iter().position(|&s| s < f64::MIN_POSITIVE);
    subnormal.or_else(|| area_underflows(sides.iter().product(), true).then_some(0))
}

/// Converts boxes between encodings, in `f64`.
///
/// Every input is checked: coordinates must be finite and at most 1e150 in magnitude (so no
/// output overflows), sizes non-negative, `xyxy` corners ordered, and a box with positive sides
/// must have an area that `f64` can hold.
///
/// # Errors
///
/// [`GeomError`] naming the first offending box, field and value.
///
/// # Examples
///
/// ```
/// use softkit_geom::{convert_boxes, BoxFormat};
///
/// let xyxy = convert_boxes(&[[10.0_f32, 20.0, 4.0, 6.0]], BoxFormat::Cxcywh, BoxFormat::Xyxy)?;
/// assert_eq!(xyxy, vec![[8.0, 17.0, 12.0, 23.0]]);
/// let back = convert_boxes(&xyxy, BoxFormat::Xyxy, BoxFormat::Xywh)?;
/// assert_eq!(back, vec![[8.0, 17.0, 4.0, 6.0]]);
/// # Ok::<(), softkit_geom::GeomError>(())
/// ```
pub fn convert_boxes<T: Coord>(boxes: &[[T; 4]], from: BoxFormat, to: BoxFormat) -> Result<Vec<[f64; 4]>, GeomError> {
    from.validate(boxes)?;
    Ok(boxes
        .iter()
        .map(|b| {
            let b = widen(b);
            let xyxy = match from {
                BoxFormat::Xyxy => b,
                BoxFormat::Xywh => [b[0], b[1], b[0] + b[2], b[1] + b[3]],
                BoxFormat::Cxcywh => {
                    let (hw, hh) = (b[2] * 0.5, b[3] * 0.5);
                    [b[0] - hw, b[1] - hh, b[0] + hw, b[1] + hh]
                }
            };
            encode(xyxy, to)
        })
        .collect())
}

fn encode(b: [f64; 4], to: BoxFormat) -> [f64; 4] {
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    match to {
        BoxFormat::Xyxy => b,
        BoxFormat::Xywh => [b[0], b[1], w, h],
        BoxFormat::Cxcywh => [b[0] + w * 0.5, b[1] + h * 0.5, w, h],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_width_is_named() {
        let err = convert_boxes(&[[0.0_f64, 0.0, 1.0, 1.0], [0.0, 0.0, -2.0, 1.0]], BoxFormat::Xywh, BoxFormat::Xyxy)
            .unwrap_err();
        assert_eq!(err.to_string(), "boxes[1].w = -2 is negative");
    }

    #[test]
    fn inverted_xyxy_keeps_its_index() {
        let err = convert_boxes(&[[0.0_f64, 0.0, 1.0, 1.0], [3.0, 0.0, 2.0, 1.0]], BoxFormat::Xyxy, BoxFormat::Xywh)
            .unwrap_err();
        assert_eq!(err.to_string(), "boxes[1].x2 = 2 is less than x1 = 3");
    }

    #[test]
    fn round_trips() {
        let boxes = [[1.0_f64, 2.0, 5.0, 9.0]];
        for fmt in [BoxFormat::Xywh, BoxFormat::Cxcywh] {
            let there = convert_boxes(&boxes, BoxFormat::Xyxy, fmt).unwrap();
            let back = convert_boxes(&there, fmt, BoxFormat::Xyxy).unwrap();
            assert_eq!(back, boxes.to_vec());
        }
    }
}
