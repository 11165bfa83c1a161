//! CenterNet's heatmap peaks: a sigmoid heatmap `(1, classes, H, W)`, its 3 x 3 local maxima,
//! the top K, then the offset and size maps; and the bird's-eye variant that gives 3-D boxes.

use crate::detr::sigmoid;
use crate::top_k::top_k;
use crate::yolox::check_threshold;
use crate::{Candidates, DecodeError, HeadTensor};

/// A CenterNet head: which heatmap cells are peaks, and how many to keep.
///
/// A cell is a peak when no cell of its class within the 3 x 3 window around it (clipped at the
/// borders, as a max-pool padded with minus infinity is) is higher: `max_pool(heat) == heat`.
/// So every cell of a flat plateau's top is a peak, as in CenterNet. Peaks are ranked by score
/// and then by the flat index `(class * H + y) * W + x`, and the first `top_k` above the
/// threshold kept. (CenterNet's own top-k can pad its K with zero-score non-peaks when a map has
/// fewer than K peaks; here only peaks are ever returned.)
///
/// # Examples
///
/// ```
/// use softkit_decode::{CenterNetHead, HeadTensor};
///
/// // One class on a 3 x 3 map with a single peak in the middle.
/// let heat = [0.1_f32, 0.2, 0.1, 0.2, 0.9, 0.2, 0.1, 0.2, 0.1];
/// let offset = [0.5_f32; 18];
/// let size = [2.0_f32; 18];
/// let head = CenterNetHead { top_k: 100, score_threshold: 0.0, down_ratio: 4.0, heat_is_logits: false };
/// let c = head.decode_boxes(
///     &HeadTensor::new("heatmap", &[1, 1, 3, 3], &heat)?,
///     &HeadTensor::new("offset", &[1, 2, 3, 3], &offset)?,
///     &HeadTensor::new("size", &[1, 2, 3, 3], &size)?,
/// )?;
/// // Centre (1.5, 1.5), 2 x 2, times the output stride 4.
/// assert_eq!(c.geometry, vec![[2.0, 2.0, 10.0, 10.0]]);
/// # Ok::<(), softkit_decode::DecodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CenterNetHead {
    /// How many peaks to keep at most (CenterNet: 100).
    pub top_k: usize,
    /// Keep peaks scoring above this.
    pub score_threshold: f32,
    /// Input pixels per heatmap cell (CenterNet: 4).
    pub down_ratio: f32,
    /// Whether the heatmap holds logits (apply the sigmoid) or probabilities already.
    pub heat_is_logits: bool,
}

impl Default for CenterNetHead {
    /// CenterNet's settings: 100 peaks, no threshold, stride 4, logits.
    fn default() -> Self {
        CenterNetHead { top_k: 100, score_threshold: 0.0, down_ratio: 4.0, heat_is_logits: true }
    }
}

/// Where a bird's-eye heatmap lies in the world (CenterPoint's `pc_range` and voxel size).
///
/// Cell `(x, y)` with offset `(ox, oy)` is at `((x + ox) * stride * voxel[0] + origin[0], (y +
/// oy) * stride * voxel[1] + origin[1])`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BevGrid {
    /// The world `[x, y]` of the map's corner cell (`pc_range[0]`, `pc_range[1]`).
    pub origin: [f32; 2],
    /// The voxel size `[x, y]` in metres.
    pub voxel: [f32; 2],
    /// Voxels per heatmap cell (CenterPoint's `out_size_factor`).
    pub stride: f32,
    /// Whether the dimension map holds log sizes (CenterPoint) or sizes.
    pub log_dims: bool,
}

impl CenterNetHead {
    /// Decodes the heatmap `(1, classes, H, W)` with its `offset` and `size` maps `(1, 2, H, W)`
    /// (x first) into `[x1, y1, x2, y2]` boxes in input pixels, best first.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Shape`] if a map is not `(1, n, H, W)` on the heatmap's grid;
    /// [`DecodeError::InvalidParameter`] for a NaN threshold or a ratio that is not positive.
    pub fn decode_boxes(
        &self,
        heatmap: &HeadTensor,
        offset: &HeadTensor,
        size: &HeadTensor,
    ) -> Result<Candidates<[f32; 4]>, DecodeError> {
        let peaks = self.peaks(heatmap)?;
        let grid = peaks.grid;
        let off = Map::of(offset, 2, grid)?;
        let wh = Map::of(size, 2, grid)?;
        let r = self.down_ratio;
        let mut out = Candidates::default();
        for &(cell, score, class) in &peaks.kept {
            let (x, y) = ((cell % grid[1]) as f32, (cell / grid[1]) as f32);
            let (cx, cy) = (x + off.at(0, cell), y + off.at(1, cell));
            let (w, h) = (wh.at(0, cell), wh.at(1, cell));
            out.push([(cx - w / 2.0) * r, (cy - h / 2.0) * r, (cx + w / 2.0) * r, (cy + h / 2.0) * r], score, class);
        }
        Ok(out)
    }

    /// Decodes a bird's-eye heatmap with its `offset` `(1, 2, H, W)`, `height` `(1, 1, H, W)`
    /// (the box centre's z), `dims` `(1, 3, H, W)` and `rotation` `(1, 2, H, W)` (sin, cos of
    /// the heading) maps into `[x, y, z, dx, dy, dz, heading]` 3-D boxes, as CenterPoint's head
    /// does; `down_ratio` is not used (the grid says where cells lie).
    ///
    /// # Errors
    ///
    /// As [`decode_boxes`](Self::decode_boxes), and [`DecodeError::InvalidParameter`] for a grid
    /// whose voxel or stride is not finite and positive.
    pub fn decode_bev(
        &self,
        heatmap: &HeadTensor,
        maps: BevMaps,
        grid: &BevGrid,
    ) -> Result<Candidates<[f32; 7]>, DecodeError> {
        let scales = [grid.voxel[0], grid.voxel[1], grid.stride];
        if !scales.iter().all(|s| s.is_finite() && *s > 0.0) || !grid.origin.iter().all(|o| o.is_finite()) {
            return Err(DecodeError::InvalidParameter {
                name: "grid",
                value: format!("{grid:?}"),
                expected: "a finite origin, and finite, positive voxel sizes and stride",
            });
        }
        let peaks = self.peaks(heatmap)?;
        let cells = peaks.grid;
        let off = Map::of(maps.offset, 2, cells)?;
        let z = Map::of(maps.height, 1, cells)?;
        let dims = Map::of(maps.dims, 3, cells)?;
        let rot = Map::of(maps.rotation, 2, cells)?;
        let mut out = Candidates::default();
        for &(cell, score, class) in &peaks.kept {
            let (x, y) = ((cell % cells[1]) as f32, (cell / cells[1]) as f32);
            let wx = (x + off.at(0, cell)) * grid.stride * grid.voxel[0] + grid.origin[0];
            let wy = (y + off.at(1, cell)) * grid.stride * grid.voxel[1] + grid.origin[1];
            let size = [0, 1, 2].map(|i| if grid.log_dims { dims.at(i, cell).exp() } else { dims.at(i, cell) });
            let heading = rot.at(0, cell).atan2(rot.at(1, cell));
            out.push([wx, wy, z.at(0, cell), size[0], size[1], size[2], heading], score, class);
        }
        Ok(out)
    }

    /// The kept peaks: `(cell within its class map, score, class)`, best first.
    fn peaks(&self, heatmap: &HeadTensor) -> Result<Peaks, DecodeError> {
        check_threshold(self.score_threshold)?;
        if !(self.down_ratio.is_finite() && self.down_ratio > 0.0) {
            return Err(DecodeError::InvalidParameter {
                name: "down_ratio",
                value: self.down_ratio.to_string(),
                expected: "a finite number > 0",
            });
        }
        let &[_, h, w] = heatmap.unbatched(3, "(1, classes, H, W)")? else { unreachable!("rank 3") };
        let heat: Vec<f32> = if self.heat_is_logits {
            heatmap.data().iter().map(|&x| sigmoid(x)).collect()
        } else {
            heatmap.data().to_vec()
        };
        let plane = h * w;
        let is_peak = |flat: usize| {
            let (map, cell) = (&heat[flat - flat % plane..][..plane], flat % plane);
            let (x, y) = (cell % w, cell / w);
            let v = heat[flat];
            (y.saturating_sub(1)..(y + 2).min(h))
                .all(|yy| (x.saturating_sub(1)..(x + 2).min(w)).all(|xx| map[yy * w + xx] <= v))
        };
        let kept = top_k(&heat, self.top_k, |i| heat[i] > self.score_threshold && is_peak(i));
        let kept = kept.into_iter().map(|flat| (flat % plane, heat[flat], (flat / plane) as u32)).collect();
        Ok(Peaks { kept, grid: [h, w] })
    }
}

/// The regression maps of a bird's-eye head, each `(1, n, H, W)` on the heatmap's grid.
#[derive(Clone, Copy, Debug)]
pub struct BevMaps<'a> {
    /// Sub-cell offset, x then y.
    pub offset: &'a HeadTensor<'a>,
    /// The box centre's z.
    pub height: &'a HeadTensor<'a>,
    /// The box's dx, dy, dz (or their logs).
    pub dims: &'a HeadTensor<'a>,
    /// sin and cos of the heading.
    pub rotation: &'a HeadTensor<'a>,
}

struct Peaks {
    kept: Vec<(usize, f32, u32)>,
    grid: [usize; 2],
}

/// A `(1, channels, H, W)` map read at a cell.
struct Map<'a> {
    data: &'a [f32],
    plane: usize,
}

impl<'a> Map<'a> {
    fn of(map: &HeadTensor<'a>, channels: usize, grid: [usize; 2]) -> Result<Self, DecodeError> {
        let expected = format!("(1, {channels}, {}, {}), on the heatmap's grid", grid[0], grid[1]);
        if map.unbatched(3, &expected)? != [channels, grid[0], grid[1]] {
            return Err(map.shape_error(&expected));
        }
        Ok(Map { data: map.data(), plane: grid[0] * grid[1] })
    }

    fn at(&self, channel: usize, cell: usize) -> f32 {
        self.data[channel * self.plane + cell]
    }
}
