//! Detector heads to candidates: the step from a network's raw output tensors to scored
//! geometry, for every head family, with or without NMS after it.
//!
//! Each decoder reads raw outputs through a checked [`HeadTensor`] view and returns
//! [`Candidates`] (geometry, score, class) in the model's input pixels; a [`Letterbox`] record
//! maps them back to the original image.
//!
//! | head | decoder | output | NMS after |
//! |---|---|---|---|
//! | YOLOX | [`YoloxHead`] | `(1, anchors, 5 + classes)` | yes |
//! | YOLOv8 / YOLO11 | [`Yolov8Head`] | `(1, 4 + classes [+ 1], anchors)` | yes |
//! | YOLOv10 / YOLO26 | [`EndToEndHead`] | `(1, 300, 6 \| 7)` | no |
//! | DETR family | [`DetrHead`] | `(1, Q, C)` + `(1, Q, 4)` | no |
//! | CenterNet | [`CenterNetHead`] | `(1, C, H, W)` + offset + size | no |
//!
//! [`identify_head`] picks the family from a model's output shapes and ONNX metadata. With the
//! default `onnx` feature, [`OnnxModel`] runs a model on tract (pure Rust) and [`read_image`] and
//! [`InputSpec`] turn JPEG and PNG files into its inputs.
//!
//! Modules:
//!
//! - `tensor`: [`HeadTensor`]. `candidates`: [`Candidates`]. `letterbox`: [`Letterbox`], [`Placement`].
//! - `yolox`, `yolov8`, `end2end`, `detr`, `centernet`: one decoder each.
//! - `top_k`: the ranking rule of the top-k heads (by score, ties to the lower index).
//! - `head`: [`identify_head`], [`HeadKind`].
//! - `onnx`, `image_input` (feature `onnx`): the tract runner and the image reader.
//! - `error`: [`DecodeError`].
//!
//! # Examples
//!
//! ```
//! use softkit_decode::{HeadTensor, Letterbox, Placement, YoloxHead};
//!
//! // A 32 x 32 input, one stride-32 anchor, one class.
//! let output = [0.5_f32, 0.5, 0.0, 0.0, 0.8, 0.9];
//! let c = YoloxHead { input_size: [32, 32], strides: vec![32], score_threshold: 0.001 }
//!     .decode(&HeadTensor::new("output", &[1, 1, 6], &output)?)?;
//! // The image was 64 x 64, halved into the input: back to its pixels.
//! let lb = Letterbox::new([64, 64], [32, 32], Placement::TopLeft)?;
//! assert_eq!(lb.box_to_original(c.geometry[0]), [0.0, 0.0, 64.0, 64.0]);
//! # Ok::<(), softkit_decode::DecodeError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod candidates;
mod centernet;
mod detr;
mod end2end;
mod error;
mod head;
#[cfg(feature = "onnx")]
mod image_input;
mod letterbox;
#[cfg(feature = "onnx")]
mod onnx;
mod resize;
mod tensor;
mod top_k;
mod yolov8;
mod yolox;

pub use candidates::Candidates;
pub use centernet::{BevGrid, BevMaps, CenterNetHead};
pub use detr::{ClassActivation, DetrHead};
pub use end2end::EndToEndHead;
pub use error::DecodeError;
pub use head::{HeadKind, Identified, OutputInfo, identify_head};
#[cfg(feature = "onnx")]
pub use image_input::read_image;
pub use letterbox::{ChannelOrder, InputSpec, Letterbox, Placement};
#[cfg(feature = "onnx")]
pub use onnx::{OnnxModel, OpTime};
pub use resize::resize_bilinear;
pub use tensor::HeadTensor;
pub use yolov8::Yolov8Head;
pub use yolox::YoloxHead;
