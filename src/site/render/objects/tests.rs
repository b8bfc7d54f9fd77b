//! The objects show what serialising showed.

use super::*;

/// Every field a serialised value has, and no other, in the same order.
fn same_keys<T: Shown + serde::Serialize>(value: &T) {
    let json = serde_json::to_value(value).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, T::KEYS);
    for k in T::KEYS {
        let shown = value.field(k).unwrap();
        let serialised = Value::from(Serde(&json[*k]));
        if !matches!(
            shown.kind(),
            minijinja::value::ValueKind::Map | minijinja::value::ValueKind::Seq
        ) {
            assert_eq!(shown, serialised, "{k}");
        }
    }
}

/// A revision's view with a few fields set.
fn revision(change: &'static str, diff: Option<Arc<DiffView>>) -> RevisionView {
    RevisionView {
        id: "p".into(),
        change,
        revision: Some(2),
        effective: None,
        commit: Some("c".into()),
        short: None,
        landed: None,
        author: None,
        subject: Some("s".into()),
        changed: Vec::new(),
        takes_effect: None,
        path: "x".into(),
        old_path: None,
        anchor: "a".into(),
        diff,
    }
}

#[test]
fn change_keys_are_the_revision_s_and_sorted() {
    for keys in [CHANGE_KEYS, FEED_KEYS, RevisionView::KEYS] {
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }
    let mut keys = RevisionView::KEYS.to_vec();
    keys.extend(["label", "title"]);
    keys.sort_unstable();
    assert_eq!(keys, CHANGE_KEYS);
    keys.push("uid");
    assert_eq!(keys, FEED_KEYS);
}

#[test]
fn objects_show_what_serialising_shows() {
    let time = TimeView::from(Moment {
        iso: "i".into(),
        local: "l".into(),
        date: "d".into(),
        utc: "u".into(),
        unix: 5,
    });
    same_keys(&time);
    same_keys(&Named {
        id: "a".into(),
        name: "A".into(),
    });
    same_keys(&Link {
        id: "a".into(),
        title: "T".into(),
        href: None,
        retired: true,
    });
    same_keys(&FieldName {
        path: "p".into(),
        label: "P".into(),
    });
    same_keys(&FieldView {
        path: "p".into(),
        label: "P".into(),
        old: Some("o".into()),
        new: None,
        words_html: None,
    });
    same_keys(&ChunkView {
        op: "equal",
        text: "t".into(),
    });
    same_keys(&DiffView::default());
    let rev = RevisionView {
        landed: Some(time),
        ..revision("added", None)
    };
    same_keys(&rev);
    let card = MetricCard {
        level: "team",
        measures: "m".into(),
        source: "s".into(),
        unit: "u".into(),
        statistic: "median".into(),
        target: "t".into(),
        target_data: TargetData::Compare {
            op: "<=",
            value: 3.0,
        },
        rule: "r".into(),
        statistic_words: "w".into(),
        window: "week".into(),
        controllable: None,
        visibility: "team",
        gaming_risk: None,
        guardrails: Vec::new(),
        waived: Vec::new(),
    };
    same_keys(&card);
    same_keys(&UpcomingText {
        revision: Some(3),
        from: "f".into(),
        from_date: "d".into(),
        until: None,
        effective: None,
        title: "t".into(),
        summary: "s".into(),
        body: "b".into(),
        body_html: "h".into(),
        metric: Some(card.clone()),
        diff: None,
        anchor: "a".into(),
    });
    same_keys(&PolicyPage {
        id: "p".into(),
        kind: "metric",
        title: "t".into(),
        summary: "s".into(),
        body: "b".into(),
        body_html: "h".into(),
        owner: None,
        applies_to: Vec::new(),
        revision: Some(1),
        effective: None,
        upcoming: false,
        in_force_since: None,
        in_force_from: None,
        next: Vec::new(),
        ack_required: true,
        ack_due_days: Some(3),
        tags: vec!["x".into()],
        related: Vec::new(),
        replaces: Vec::new(),
        replaced_by: Vec::new(),
        metric: Some(card),
        path: "f".into(),
        status: "current",
        uncommitted: None,
        last_changed: Some(rev),
        retired: None,
        history: Arc::new(Vec::new()),
    });
}

/// A change of the changelog refers to its policy's view, which has the diff the policy
/// page shows; the changelog shows the change without it.
#[test]
fn a_change_is_its_view_without_the_diff() {
    let diff = Arc::new(DiffView {
        body_html: "<ins>new</ins>".into(),
        ..DiffView::default()
    });
    let views = Arc::new(vec![
        revision("material", Some(diff)),
        revision("added", None),
    ]);
    let list = Arc::new(ChangeList::new(
        vec![Arc::clone(&views)],
        vec![(0, 1), (0, 0)],
    ));
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].change, "added");
    assert_eq!(
        list.iter().map(|r| r.change).collect::<Vec<_>>(),
        ["added", "material"]
    );
    let change = Value::from_object(Change {
        item: Listed {
            list: Arc::clone(&list),
            i: 1,
        },
        title: "T".into(),
        label: "Material change",
        uid: None,
    });
    assert_eq!(change.get_attr("change").unwrap(), Value::from("material"));
    assert!(
        views[0].field("diff").unwrap().is_true(),
        "the page's view has it"
    );
    assert!(
        change.get_attr("diff").unwrap().is_none(),
        "the change has none"
    );
    let keys: Vec<String> = change.try_iter().unwrap().map(|k| k.to_string()).collect();
    assert_eq!(keys, CHANGE_KEYS);
    // The same changes in the same order are equal; another order is not.
    let again = ChangeList::new(vec![Arc::clone(&views)], vec![(0, 1), (0, 0)]);
    assert!(*list == again);
    assert!(*list != ChangeList::new(vec![views], vec![(0, 0), (0, 1)]));
}
