//! [`Candidates`]: what every decoder returns.

/// Decoded detections, one row per (geometry, score, label), in the model's input pixels.
///
/// `G` is the geometry of a row: `[x1, y1, x2, y2]` boxes, `[cx, cy, w, h, angle]` rotated boxes
/// (radians) or `[x, y, z, dx, dy, dz, heading]` 3-D boxes. Rows come in the decoder's documented
/// order (anchor then class for the dense heads, rank for the top-k heads), which the suppression
/// engine uses to break score ties. Map them back to the original image with
/// [`Letterbox`](crate::Letterbox).
///
/// # Examples
///
/// ```
/// use softkit_decode::Candidates;
///
/// let mut c = Candidates::<[f32; 4]>::default();
/// c.push([0.0, 0.0, 4.0, 4.0], 0.9, 2);
/// assert_eq!((c.len(), c.labels[0]), (1, 2));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Candidates<G> {
    /// The geometry of each row.
    pub geometry: Vec<G>,
    /// The score of each row (a probability for every built-in head).
    pub scores: Vec<f32>,
    /// The class index of each row, counted from 0 in the model's class order.
    pub labels: Vec<u32>,
}

impl<G> Candidates<G> {
    /// Appends one row.
    pub fn push(&mut self, geometry: G, score: f32, label: u32) {
        self.geometry.push(geometry);
        self.scores.push(score);
        self.labels.push(label);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}
