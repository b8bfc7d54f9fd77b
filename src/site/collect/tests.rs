//! Unit tests of the site data: rules in words, stable feed ids.

use super::*;
use crate::model::CompareOp;

#[test]
fn targets_in_words() {
    let t = |op, value| Target::Compare { op, value };
    assert_eq!(
        target_words(&t(CompareOp::Le, 60.0), "minutes"),
        "at most 60 minutes"
    );
    assert_eq!(
        target_words(&t(CompareOp::Ge, 85.0), "percent"),
        "at least 85%"
    );
    assert_eq!(
        target_words(&t(CompareOp::Gt, 4.5), "score"),
        "more than 4.5 score"
    );
    assert_eq!(
        target_words(&Target::Range { min: 2.0, max: 4.0 }, "tickets"),
        "between 2 and 4 tickets"
    );
}

#[test]
fn rules_in_words_name_the_statistic_and_the_window() {
    let target = target_words(
        &Target::Compare {
            op: CompareOp::Le,
            value: 30.0,
        },
        "minutes",
    );
    assert_eq!(
        rule_words(&statistic_words("median"), &target, "week"),
        "median at most 30 minutes, each week"
    );
    let target = target_words(
        &Target::Compare {
            op: CompareOp::Le,
            value: 48.0,
        },
        "hours",
    );
    assert_eq!(
        rule_words(&statistic_words("p90"), &target, "month"),
        "90th percentile at most 48 hours, each month"
    );
    assert_eq!(statistic_words("mean"), "average");
}

#[test]
fn uuids_are_stable_and_well_formed() {
    // The ids published so far: the SHA-1 git gives the seed as a blob.
    for seed in ["seed", "", "normsctl change 0123abc p-1", "été\0\u{F8F0}"] {
        let oid = git2::Oid::hash_object(git2::ObjectType::Blob, seed.as_bytes()).unwrap();
        let hex = oid.to_string();
        let id = uuid_urn(seed);
        let digits: String = id["urn:uuid:".len()..].replace('-', "");
        assert_eq!(digits.len(), 32);
        assert_eq!(&digits[..12], &hex[..12], "{seed:?}");
        assert_eq!(&digits[13..16], &hex[13..16], "{seed:?}");
        assert_eq!(&digits[18..32], &hex[18..32], "{seed:?}");
        assert_eq!(&digits[12..13], "5");
    }
    let a = uuid_urn("seed");
    assert_eq!(a, uuid_urn("seed"));
    assert_ne!(a, uuid_urn("other"));
    let hex = a.strip_prefix("urn:uuid:").unwrap();
    assert_eq!(hex.len(), 36);
    assert_eq!(&hex[14..15], "5", "version 5 layout: {a}");
    assert!(
        matches!(&hex[19..20], "8" | "9" | "a" | "b"),
        "variant: {a}"
    );
}

#[test]
fn rfc3339_by_arithmetic_is_jiff_s() {
    let jiff = |s: i64| ts(s).strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut s: i64 = -62_167_219_200 - 86_400 * 3;
    while s < 253_402_300_799 + 86_400 * 3 {
        assert_eq!(rfc3339(s), jiff(s), "{s}");
        s += 86_399 * 71 + 3_601;
    }
    for s in [
        0,
        -1,
        1_796_212_800,
        951_782_400,
        -62_167_219_200,
        253_402_300_799,
        i64::MIN,
        i64::MAX,
    ] {
        assert_eq!(rfc3339(s), jiff(s), "{s}");
    }
    assert_eq!(rfc3339(1_796_212_800), "2026-12-02T12:00:00Z");
}
