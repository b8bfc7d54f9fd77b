//! Which editorial changes are reviews: a commit that changed nothing in a policy but its
//! `reviewed` line (the owner read it again and changed nothing). The walk marks them
//! ([`super::Revision::review`], from digests of each text it reads anyway); `log` and the
//! site show them as reviews, never as changes to acknowledge.

/// Whether `after` differs from `before` in its top-level `reviewed:` line only (what
/// `normsctl review` changes): every other line byte for byte the same. Line by line, so
/// a whole history is judged without parsing a text.
pub fn only_reviewed(before: &str, after: &str) -> bool {
    let is_key = |l: &&str| l.starts_with("reviewed:");
    let rest = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !is_key(l))
            .map(|l| l.trim_end_matches('\r').to_owned())
            .collect()
    };
    let key = |t: &str| -> Vec<String> {
        t.lines()
            .filter(is_key)
            .map(|l| l.trim_end().to_owned())
            .collect()
    };
    let after_key = key(after);
    !after_key.is_empty() && after_key != key(before) && rest(before) == rest(after)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_changed_reviewed_date_is_a_review() {
        let a = "id: a\nrevision: 1\nreviewed: 2025-01-01\nbody: x\n";
        assert!(super::only_reviewed(
            a,
            &a.replace("2025-01-01", "2026-01-01")
        ));
        assert!(super::only_reviewed(
            "id: a\nrevision: 1\n",
            "id: a\nrevision: 1\nreviewed: 2026-01-01\n"
        ));
        assert!(!super::only_reviewed(
            a,
            &a.replace("2025-01-01", "2026-01-01").replace("x", "y")
        ));
        assert!(!super::only_reviewed(a, a));
    }

    #[test]
    fn the_walk_digests_agree_with_the_texts() {
        use super::super::classify::TextFacts;
        let a = "id: a\nrevision: 1\nreviewed: 2025-01-01\nbody: x\n";
        let cases = [
            (a.to_owned(), a.replace("2025-01-01", "2026-01-01")),
            (
                "id: a\nrevision: 1\n".to_owned(),
                "id: a\nrevision: 1\nreviewed: 2026-01-01\n".to_owned(),
            ),
            (
                a.to_owned(),
                a.replace("2025-01-01", "2026-01-01").replace('x', "y"),
            ),
            (a.to_owned(), a.to_owned()),
            (a.to_owned(), a.replace("reviewed: 2025-01-01\n", "")),
        ];
        for (x, y) in cases {
            assert_eq!(
                TextFacts::of(&x).review_of(&TextFacts::of(&y)),
                super::only_reviewed(&x, &y),
                "{x:?} -> {y:?}"
            );
        }
    }
}
