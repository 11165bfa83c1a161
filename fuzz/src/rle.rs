//! The `rle` target: COCO run-length masks, made every way a file or a caller makes them
//! (compressed counts strings, raw counts, dense masks, rasterised polygons and boxes), and
//! everything computed from them.

use softkit_geom::{MaskError, Rle};

use crate::input::Input;

/// Masks up to this many pixels are also checked against their dense form.
const DENSE_MAX: u64 = 1 << 12;

/// Makes two masks (the second usually of the first's size) and checks each and the pair:
/// counts sum to `height * width`; `to_compressed` then `from_compressed` gives the mask back;
/// area, box, IoU, intersection and merge agree with each other and, for small masks, with the
/// dense mask. Invalid input (a bad counts character, counts that do not sum, a NaN polygon
/// coordinate, an image of more than `u32::MAX` pixels) must give an error, never a panic.
///
/// # Examples
///
/// ```
/// // A 3 x 2 mask from the compressed string "033".
/// softkit_fuzz::rle(&[2, 2, 1, 0, 3, 0, 3, 3]);
/// softkit_fuzz::rle(b"");
/// ```
pub fn rle(data: &[u8]) {
    let mut input = Input::new(data);
    let (height, width) = size(&mut input);
    let Some(a) = mask(&mut input, height, width) else { return };
    check(&a);
    let (h, w) = if input.below(8) == 0 { size(&mut input) } else { (height, width) };
    if let Some(b) = mask(&mut input, h, w) {
        check(&b);
        check_pair(&a, &b);
    }
}

/// Small sizes mostly; now and then empty, or any `u32` pair (most of them too large).
fn size(input: &mut Input<'_>) -> (u32, u32) {
    match input.below(8) {
        0 => (input.u32(), input.u32()),
        1 => (0, input.below(8) as u32),
        _ => (1 + input.below(16) as u32, 1 + input.below(16) as u32),
    }
}

/// One mask, made one of five ways; `None` when the input is invalid (an error, as it must be).
fn mask(input: &mut Input<'_>, height: u32, width: u32) -> Option<Rle> {
    let pixels = u64::from(height) * u64::from(width);
    match input.below(5) {
        0 => compressed(input, height, width),
        1 => {
            // Runs that sum to the pixel count, unless `exact` is off.
            let (k, exact) = (input.below(12), input.bool());
            let largest = pixels.min(u64::from(u32::MAX));
            let mut counts: Vec<u32> = (0..k).map(|_| (u64::from(input.u32()) % (largest + 1)) as u32).collect();
            let sum: u64 = counts.iter().map(|&c| u64::from(c)).sum();
            let valid = exact && pixels <= u64::from(u32::MAX) && sum <= pixels;
            if valid {
                counts.push((pixels - sum) as u32);
            }
            expect_error_unless(Rle::new(height, width, counts), valid)
        }
        2 if pixels <= DENSE_MAX => {
            let dense: Vec<u8> = (0..pixels).map(|_| input.byte() % 3).collect();
            Some(Rle::from_mask(height, width, &dense).expect("a dense mask of its own size"))
        }
        3 => {
            let parts = 1 + input.below(2);
            let polygons: Vec<Vec<f64>> =
                (0..parts).map(|_| (0..input.below(14)).map(|_| coordinate(input)).collect()).collect();
            if parts == 1 {
                Rle::from_polygon(&polygons[0], height, width).ok()
            } else {
                Rle::from_polygons(&polygons, height, width).ok()
            }
        }
        _ => {
            Rle::from_bbox([coordinate(input), coordinate(input), coordinate(input), coordinate(input)], height, width)
                .ok()
        }
    }
}

/// A polygon coordinate: special values pass through (the rasteriser must refuse them), finite
/// ones are brought within a few hundred pixels, since the rasteriser walks the perimeter pixel
/// by pixel and a perimeter of `1e8` pixels is slow by design, not a bug.
fn coordinate(input: &mut Input<'_>) -> f64 {
    let v = input.float();
    if v.is_finite() && v.abs() > 512.0 && v.abs() <= 1e8 { v % 512.0 } else { v }
}

/// A compressed counts string: mostly COCO's alphabet, with any character now and then. When the
/// counts decode but do not sum to the size, they are decoded again as one column of their sum.
fn compressed(input: &mut Input<'_>, height: u32, width: u32) -> Option<Rle> {
    let len = input.below(48);
    let raw: Vec<u8> = (0..len).map(|_| input.byte()).collect();
    let text: String = if input.below(8) == 0 {
        String::from_utf8_lossy(&raw).into_owned()
    } else {
        raw.iter().map(|&b| char::from(b'0' + b % 64)).collect()
    };
    match Rle::from_compressed(height, width, &text) {
        Ok(rle) => Some(rle),
        Err(MaskError::CountsSum { sum, .. }) => {
            let rle = Rle::from_compressed(1, u32::try_from(sum).ok()?, &text);
            Some(rle.unwrap_or_else(|e| panic!("{text:?} sums to {sum}, yet one column of {sum} fails: {e}")))
        }
        Err(_) => None,
    }
}

fn expect_error_unless(result: Result<Rle, MaskError>, valid: bool) -> Option<Rle> {
    match (result, valid) {
        (Ok(rle), _) => Some(rle),
        (Err(e), true) => panic!("valid counts refused: {e}"),
        (Err(_), false) => None,
    }
}

/// One mask on its own.
fn check(rle: &Rle) {
    let (h, w) = (rle.height(), rle.width());
    let pixels = u64::from(h) * u64::from(w);
    let sum: u64 = rle.counts().iter().map(|&c| u64::from(c)).sum();
    assert_eq!(sum, pixels, "counts sum to {sum} in a {h} x {w} mask");
    let area = rle.area();
    let odd: u64 = rle.counts().iter().skip(1).step_by(2).map(|&c| u64::from(c)).sum();
    assert_eq!(area, odd, "area {area} is not the sum of the foreground runs");

    let [x, y, bw, bh] = rle.bbox();
    assert!([x, y, bw, bh].iter().all(|v| v.is_finite() && *v >= 0.0), "bbox {:?}", rle.bbox());
    assert!(x + bw <= f64::from(w) && y + bh <= f64::from(h), "bbox {:?} leaves the {h} x {w} image", rle.bbox());
    if area == 0 {
        assert_eq!(rle.bbox(), [0.0; 4], "an empty mask has a box");
    } else {
        assert!(bw >= 1.0 && bh >= 1.0 && bw * bh >= 1.0, "bbox {:?} of {area} pixels", rle.bbox());
    }

    let text = rle.to_compressed();
    assert!(text.bytes().all(|b| (b'0'..=b'o').contains(&b)), "{text:?} leaves COCO's alphabet");
    let back = Rle::from_compressed(h, w, &text).unwrap_or_else(|e| panic!("{text:?} does not decode: {e}"));
    assert_eq!(&back, rle, "{text:?} decodes to another mask");

    let self_iou = rle.iou(rle, false);
    assert_eq!(self_iou, if area > 0 { 1.0 } else { 0.0 }, "IoU with itself");
    assert_eq!(rle.intersection_area(rle), area);
    assert_eq!(Rle::merge(std::slice::from_ref(rle), false).as_ref(), Ok(rle), "merge of one mask");

    if pixels <= DENSE_MAX {
        let dense = rle.to_mask();
        assert_eq!(dense.len() as u64, pixels);
        assert_eq!(dense.iter().filter(|&&p| p == 1).count() as u64, area);
        let again = Rle::from_mask(h, w, &dense).expect("its own size");
        assert_eq!(again.to_mask(), dense, "dense round trip");
        assert_eq!(again.area(), area);
    }
}

/// Two masks against each other.
fn check_pair(a: &Rle, b: &Rle) {
    if (a.height(), a.width()) != (b.height(), b.width()) {
        assert_eq!(a.iou(b, false), -1.0);
        assert_eq!(a.intersection_area(b), 0);
        assert!(Rle::merge(&[a.clone(), b.clone()], false).is_err(), "merged masks of different sizes");
        return;
    }
    let inter = a.intersection_area(b);
    assert_eq!(inter, b.intersection_area(a), "intersection is not symmetric");
    assert!(inter <= a.area().min(b.area()));
    let union = Rle::merge(&[a.clone(), b.clone()], false).expect("one size").area();
    let both = Rle::merge(&[a.clone(), b.clone()], true).expect("one size");
    assert_eq!(both.area(), inter, "merge(intersect) disagrees with intersection_area");
    assert_eq!(union + inter, a.area() + b.area(), "union and intersection do not add up");
    check(&both);
    let iou = a.iou(b, false);
    let want = if inter == 0 { 0.0 } else { inter as f64 / union as f64 };
    assert_eq!(iou, want, "IoU {iou}, intersection {inter}, union {union}");
    assert_eq!(iou, b.iou(a, false), "IoU is not symmetric");
    let crowd = a.iou(b, true);
    assert!((0.0..=1.0).contains(&crowd), "crowd IoU {crowd}");
    if u64::from(a.height()) * u64::from(a.width()) <= DENSE_MAX {
        let (da, db) = (a.to_mask(), b.to_mask());
        let dense_inter = da.iter().zip(&db).filter(|(p, q)| **p == 1 && **q == 1).count() as u64;
        assert_eq!(inter, dense_inter, "run-length and dense intersections differ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_of_making_a_mask() {
        for way in 0..5u8 {
            let mut data = vec![2, 3, 4, way];
            data.extend((0..64u8).map(|b| b.wrapping_mul(29)));
            rle(&data);
        }
    }
}
