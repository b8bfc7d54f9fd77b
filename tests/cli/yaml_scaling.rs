//! Files of any YAML shape within the documented limits (1 MiB, 200,000 values) load, and
//! in time linear in their size: a one-line flow list of 150,000 items used to take seconds
//! because every item's line was scanned from its start. Files over a limit are still
//! refused with the limit's own message.

use crate::harness::{Handbook, NORM};

const POLICY: &str = "policies/norms/stepping-away.yaml";

/// `n` distinct short tags: `a`, `b`, ..., `z`, `ba`, `bb`, ...
fn tags(n: usize) -> Vec<String> {
    (0..n)
        .map(|mut i| {
            let mut tag = Vec::new();
            loop {
                tag.push(b'a' + (i % 26) as u8);
                i /= 26;
                if i == 0 {
                    break;
                }
            }
            tag.reverse();
            String::from_utf8(tag).unwrap()
        })
        .collect()
}

/// The harness's norm with `tags` as a one-line flow list of `n` items.
fn norm_with_flow_tags(n: usize) -> String {
    format!("{NORM}tags: [{}]\n", tags(n).join(", "))
}

/// The findings `validate` reports for the policy file, after writing `text` there.
fn validate_policy(text: &str) -> (i32, Vec<String>, String) {
    let hb = Handbook::new();
    hb.write(POLICY, text);
    let run = hb.validate(&[]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let mine = run
        .findings()
        .into_iter()
        .filter(|f| f.starts_with(POLICY))
        .collect();
    (run.code, mine, run.stdout)
}

#[test]
fn a_150000_item_flow_list_is_accepted() {
    let items = tags(150_000);
    let one_line = format!("{NORM}tags: [{}]\n", items.join(", "));
    assert!(one_line.len() < 1024 * 1024, "{} bytes", one_line.len());
    let started = std::time::Instant::now();
    let (code, findings, out) = validate_policy(&one_line);
    let one_line_took = started.elapsed();
    assert_eq!(
        (code, findings),
        (0, vec![]),
        "{}",
        &out[..out.len().min(2000)]
    );

    // The same items one per line: every item is read, in order, and the one-line list
    // costs about the same (it took 3 to 10 times as long while each item's line was
    // scanned from its start).
    let spread = format!("{NORM}tags: [\n {}\n ]\n", items.join(",\n "));
    assert!(spread.len() < 1024 * 1024, "{} bytes", spread.len());
    let hb = Handbook::new();
    hb.write(POLICY, &spread);
    let loc = normsctl::load::Location::at(hb.path().canonicalize().unwrap());
    let started = std::time::Instant::now();
    let loaded = normsctl::load::load(&loc).expect("the handbook loads");
    let spread_took = started.elapsed();
    assert_eq!(loaded.findings.len(), 0, "{:?}", loaded.findings.first());
    let policy = loaded
        .handbook
        .policies
        .iter()
        .find(|p| p.id.value == "stepping-away")
        .expect("the policy was read");
    assert_eq!(policy.tags.len(), 150_000);
    assert_eq!(policy.tags.last().map(String::as_str), Some("inxf"));
    assert!(
        one_line_took < spread_took * 3 + std::time::Duration::from_secs(1),
        "one line: {one_line_took:?}; one item per line: {spread_took:?}"
    );
}

#[test]
fn a_file_over_a_limit_is_still_refused() {
    // More than 200,000 values, in well under 1 MiB.
    let text = format!("{NORM}tags: [{}]\n", vec!["a"; 200_000].join(", "));
    assert!(text.len() < 1024 * 1024, "{} bytes", text.len());
    let (code, findings, out) = validate_policy(&text);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].ends_with("file-limit"), "{findings:?}");
    assert!(out.contains("200000 values"), "{out}");

    // More than 1 MiB: refused before parsing.
    let mut text = format!("{NORM}tags: [");
    while text.len() <= 1024 * 1024 {
        text.push_str("abcdefghijklmnopqrstuvwxyz, ");
    }
    text.push_str("z]\n");
    let (code, findings, out) = validate_policy(&text);
    assert_eq!(
        (code, findings),
        (1, vec![format!("{POLICY}:1:1 file-limit")])
    );
    assert!(out.contains("limited to 1048576 bytes"), "{out}");
}

#[test]
fn quoted_continuations_are_still_checked_after_a_long_line() {
    // A block sequence item whose quoted continuation is not indented past the `-`: the
    // position is counted across a long first line.
    let long = norm_with_flow_tags(20_000);
    let lines = long.lines().count() as u32;
    let bad = format!("{long}related:\n- \"handover\n  x\"\n- \"working\nhours\"\n");
    let (code, findings, _) = validate_policy(&bad);
    assert_eq!(code, 1);
    assert_eq!(
        findings,
        [format!("{POLICY}:{}:1 yaml-syntax", lines + 5)],
        "the continuation `hours` at column 1 is not indented past the `-`"
    );

    // Positive control: indented continuations, and a quoted item spread over lines inside
    // a flow list, are fine.
    let good =
        format!("{long}related: [\"stepping\n  away\", x]\napplies_to:\n  - \"every\n    one\"\n");
    let (_, findings, out) = validate_policy(&good);
    assert!(
        !findings.iter().any(|f| f.ends_with("yaml-syntax")),
        "{findings:?}\n{}",
        &out[..out.len().min(2000)]
    );
}

#[test]
fn anchors_and_aliases_within_the_limits_are_accepted() {
    // An anchor on each of 60,000 values (the parser's own default stops at 50,000).
    let anchored: Vec<String> = tags(60_000)
        .into_iter()
        .map(|t| format!("&{t} {t}"))
        .collect();
    let text = format!("{NORM}tags: [{}]\n", anchored.join(", "));
    let (code, findings, out) = validate_policy(&text);
    assert_eq!(
        (code, findings),
        (0, vec![]),
        "{}",
        &out[..out.len().min(2000)]
    );

    // 100 aliases of one anchor are "at most 100 aliases"; the 101st is refused.
    let aliases = |n: usize| {
        format!(
            "{NORM}tags: &t [a, b]\nrelated: [{}]\n",
            vec!["*t"; n].join(", ")
        )
    };
    let (_, findings, out) = validate_policy(&aliases(100));
    assert!(
        !findings.iter().any(|f| f.ends_with("file-limit")),
        "{findings:?}\n{out}"
    );
    let (code, findings, out) = validate_policy(&aliases(101));
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].ends_with("file-limit"), "{findings:?}");
    assert!(out.contains("at most 100 aliases"), "{out}");
}
