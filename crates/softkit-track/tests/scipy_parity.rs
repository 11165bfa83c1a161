//! `linear_sum_assignment` against scipy's on 600 seeded matrices, most with ties: the same pairs,
//! not only the same cost (fixture: `tests/fixtures/make_lsap_fixture.py`).

use softkit_track::linear_sum_assignment;

#[test]
fn assignments_equal_scipys_tie_for_tie() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lsap_cases.json");
    let text = std::fs::read_to_string(path).expect("the fixture is in the repository");
    let fixture: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 600);
    for (k, case) in cases.iter().enumerate() {
        let rows = case["rows"].as_u64().unwrap() as usize;
        let cols = case["cols"].as_u64().unwrap() as usize;
        let cost: Vec<f64> = case["cost"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let expected: Vec<(usize, usize)> = case["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap() as usize, p[1].as_u64().unwrap() as usize))
            .collect();
        assert_eq!(linear_sum_assignment(&cost, rows, cols).unwrap(), expected, "case {k}: {rows}x{cols} {cost:?}");
    }
}
