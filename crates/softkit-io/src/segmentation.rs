//! The `segmentation` field of COCO annotations and results: polygons, or a run-length mask with
//! uncompressed (`[..]`) or compressed (`"..."`) counts.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use softkit_geom::{MaskError, Rle};

/// An object's mask as a COCO file gives it.
///
/// Polygons are kept as written and rasterised on demand ([`Segmentation::to_rle`]), because
/// rasterising needs the image's size and only mask evaluation needs the pixels. Run-length masks
/// (`{"size": [h, w], "counts": [..]}` or `{"size": [h, w], "counts": "..."}`) are decoded when
/// the file is read, which also checks them.
///
/// # Examples
///
/// ```
/// use softkit_io::Segmentation;
///
/// let square = Segmentation::Polygons(vec![vec![1.0, 1.0, 3.0, 1.0, 3.0, 3.0, 1.0, 3.0]]);
/// let rle = square.to_rle(4, 4)?;
/// assert_eq!(rle.area(), 4);
/// # Ok::<(), softkit_geom::MaskError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Segmentation {
    /// One or more polygons, each a flat `[x0, y0, x1, y1, ...]` list in pixels; the object is
    /// their union.
    Polygons(Vec<Vec<f64>>),
    /// A run-length mask, with the size it was given.
    Rle(Rle),
}

impl Segmentation {
    /// The mask as pycocotools' `annToRLE` makes it: polygons are rasterised on a
    /// `height × width` image (the size of the annotation's image) and merged; a run-length mask
    /// is returned as it is, with its own size.
    pub fn to_rle(&self, height: u32, width: u32) -> Result<Rle, MaskError> {
        match self {
            Segmentation::Polygons(polygons) => Rle::from_polygons(polygons, height, width),
            Segmentation::Rle(rle) => Ok(rle.clone()),
        }
    }
}

/// The counts of a run-length mask as written.
pub(crate) enum RawCounts {
    Compressed(String),
    Uncompressed(Vec<u32>),
}

/// A `segmentation` field as written, before its counts are checked.
pub(crate) enum RawSegmentation {
    Polygons(Vec<Vec<f64>>),
    Rle { size: [u32; 2], counts: RawCounts },
}

impl RawSegmentation {
    /// Decodes run-length counts; polygons pass through unchanged.
    pub(crate) fn checked(self) -> Result<Segmentation, MaskError> {
        Ok(match self {
            RawSegmentation::Polygons(p) => Segmentation::Polygons(p),
            RawSegmentation::Rle { size: [h, w], counts: RawCounts::Compressed(s) } => {
                Segmentation::Rle(Rle::from_compressed(h, w, &s)?)
            }
            RawSegmentation::Rle { size: [h, w], counts: RawCounts::Uncompressed(c) } => {
                Segmentation::Rle(Rle::new(h, w, c)?)
            }
        })
    }
}

impl<'de> Deserialize<'de> for RawCounts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountsVisitor;
        impl<'de> Visitor<'de> for CountsVisitor {
            type Value = RawCounts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("RLE counts as a string or an array of non-negative integers")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawCounts, E> {
                Ok(RawCounts::Compressed(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RawCounts, E> {
                Ok(RawCounts::Compressed(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawCounts, A::Error> {
                let mut counts = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(c) = seq.next_element::<u32>()? {
                    counts.push(c);
                }
                Ok(RawCounts::Uncompressed(counts))
            }
        }
        deserializer.deserialize_any(CountsVisitor)
    }
}

impl<'de> Deserialize<'de> for RawSegmentation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SegmentationVisitor;
        impl<'de> Visitor<'de> for SegmentationVisitor {
            type Value = RawSegmentation;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a segmentation: a list of polygons, or {\"size\": [h, w], \"counts\": ...}")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawSegmentation, A::Error> {
                let mut polygons = Vec::with_capacity(seq.size_hint().unwrap_or(1));
                while let Some(p) = seq.next_element::<Vec<f64>>()? {
                    polygons.push(p);
                }
                Ok(RawSegmentation::Polygons(polygons))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSegmentation, A::Error> {
                let (mut size, mut counts) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "size" => size = Some(map.next_value::<[u32; 2]>()?),
                        "counts" => counts = Some(map.next_value::<RawCounts>()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let size = size.ok_or_else(|| de::Error::missing_field("size"))?;
                let counts = counts.ok_or_else(|| de::Error::missing_field("counts"))?;
                Ok(RawSegmentation::Rle { size, counts })
            }
        }
        deserializer.deserialize_any(SegmentationVisitor)
    }
}
