/// The COCO category ids of the 80 detection classes, in class-index order: class index `i` of
/// a COCO-trained detector (YOLOX, YOLOv8, ...) is category id `COCO80_CATEGORY_IDS[i]`.
///
/// # Examples
///
/// ```
/// use softkit_io::COCO80_CATEGORY_IDS;
///
/// assert_eq!(COCO80_CATEGORY_IDS[0], 1); // person
/// assert_eq!(COCO80_CATEGORY_IDS[79], 90); // toothbrush
/// ```
pub const COCO80_CATEGORY_IDS: [i64; 80] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35,
    36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
    67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
];
