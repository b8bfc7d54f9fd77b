use super::super::templates::{TEMPLATES, Templates};
use minijinja::{Value, context};
use std::collections::BTreeMap;

/// A page calling every macro on `x`, in HTML and in text.
const PAGE: &str = "{% import \"macros.html\" as m %}\
[{{ m.change_label(x.change) }}][{{ m.when(x.t) }}][{{ m.field_names(x.names) }}]\
[{{ m.field_label(x.names[0]) if x.names else '' }}][{{ m.diff(x.d) if x.d else '' }}]\
[{{ m.revision(x) }}]";

/// The built-in templates with `page.html` and `page.txt`, and (`own`) the built-in
/// `macros.html` given as an override, so that its macros run as written.
fn templates(own: bool, words: Option<&str>) -> Templates {
    templates_for(PAGE, own, words)
}

/// The same with `page` as `page.html` and `page.txt`.
fn templates_for(page: &str, own: bool, words: Option<&str>) -> Templates {
    let mut o = BTreeMap::new();
    o.insert("page.html".to_owned(), page.to_owned());
    o.insert("page.txt".to_owned(), page.to_owned());
    if own {
        let text = TEMPLATES
            .iter()
            .find(|(n, _)| *n == "macros.html")
            .unwrap()
            .1;
        o.insert("macros.html".to_owned(), text.to_owned());
    }
    if let Some(w) = words {
        o.insert("words.html".to_owned(), w.to_owned());
    }
    Templates::from_overrides(o).unwrap()
}

/// Fields of every shape a diff shows: path, old value, new value, word diff.
type FieldRow = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);
const FIELDS: [FieldRow; 6] = [
    ("id", None, Some("p"), None),
    ("summary", None, Some("S \"q\" & 'x'"), None),
    (
        "target",
        Some("a"),
        Some("b"),
        Some("<del>a</del> <ins>b</ins>"),
    ),
    ("owner", None, Some("ana/b"), None),
    ("tags", Some("x"), None, None),
    ("metric.unit", Some("1"), Some("2"), Some("")),
];

fn field(path: &str, old: Option<&str>, new: Option<&str>, words_html: Option<&str>) -> Value {
    context! { path, label => format!("L<{path}>"), old, new, words_html }
}

fn cases() -> Vec<Value> {
    let t = context! { iso => "2024-01-02T03:04:05+01:00", utc => "2024-01-02 02:04 UTC", local => "2 Jan & <3>" };
    let fields: Vec<Value> = FIELDS
        .iter()
        .map(|&(p, o, n, w)| field(p, o, n, w))
        .collect();
    let diffs = [
        context! { added => true, fields => fields.clone(), body_html => "<p>Body</p>" },
        context! { added => true, fields => fields.clone(), body_html => "" },
        context! { added => false, fields => fields.clone(), body_html => "<p>B <ins>x</ins></p>" },
        context! { added => false, fields => Vec::<Value>::new(), body_html => "<p>B</p>" },
        context! { added => false, fields => Vec::<Value>::new(), body_html => "" },
        context! { added => false, fields => fields[2..4].to_vec(), body_html => Value::from(()) },
        // Values the Rust macros leave to the template: a float, a none printed.
        context! { added => true, fields => vec![field("x", None, None, None)], body_html => "" },
        context! { added => false, fields => vec![context! { path => "n", label => 1.5, old => (), new => 2.5, words_html => () }], body_html => "" },
    ];
    let mut out = Vec::new();
    let changes = [
        "added",
        "material",
        "editorial",
        "reviewed",
        "moved",
        "uncommitted",
        "retired",
        "odd <x>",
    ];
    for (i, change) in changes.iter().enumerate() {
        for (j, d) in diffs.iter().enumerate() {
            let even = (i + j) % 2 == 0;
            out.push(context! {
                change => *change,
                anchor => format!("rev-{i}-{j}"),
                revision => if even { Value::from(i) } else { Value::from(()) },
                t => t.clone(),
                landed => if even { t.clone() } else { Value::from(()) },
                author => if j % 3 == 0 { Value::from("Ana <a@b>") } else { Value::from(()) },
                short => if j % 2 == 0 { "abc1234" } else { "" },
                commit => "abc1234def",
                subject => if j % 4 == 1 { "" } else { "Fix & \"tidy\"" },
                old_path => if j % 3 == 1 { Value::from("policies/a/x.yaml") } else { Value::from(()) },
                path => "policies/b/x.yaml",
                names => fields[j % 3..].to_vec(),
                d => if j == 7 && i == 0 { Value::from(()) } else { d.clone() },
                diff => d.clone(),
            });
        }
    }
    out
}

#[test]
fn the_rust_macros_write_what_the_template_macros_write() {
    // Maps made by a template: `revision` and `diff` hand them to the macro as written
    // (the site's own values are checked in `typed` below), the other macros answer them.
    let translated = TEMPLATES
        .iter()
        .find(|(n, _)| *n == "words.html")
        .unwrap()
        .1
        .replace("\"Added\"", "\"Ajouté & <neu>\"")
        .replace("{rev}", "{rev} / rév. {rev}");
    for words in [None, Some(translated.as_str())] {
        let (fast, slow) = (templates(false, words), templates(true, words));
        for x in cases() {
            for page in ["page.html", "page.txt"] {
                let a = fast.render(page, context! { x => x.clone() }).unwrap();
                let b = slow.render(page, context! { x => x.clone() }).unwrap();
                assert_eq!(a, b, "{page} {x:?}");
            }
        }
    }
}

#[test]
fn an_own_macros_file_is_run_as_written() {
    let mut o = BTreeMap::new();
    o.insert(
        "macros.html".to_owned(),
        "{% macro when(t) %}at {{ t.local }}{% endmacro %}".to_owned(),
    );
    o.insert(
        "page.html".to_owned(),
        "{% import \"macros.html\" as m %}{{ m.when(t) }}".to_owned(),
    );
    let t = Templates::from_overrides(o).unwrap();
    let out = t
        .render("page.html", context! { t => context! { local => "noon" } })
        .unwrap();
    assert_eq!(out, "at noon");
}

mod typed {
    use super::super::super::render::objects::{Item, Obj};
    use super::super::super::view::{DiffView, FieldView, RevisionView, TimeView};
    use super::super::Words;
    use super::{FIELDS, TEMPLATES, templates_for};
    use minijinja::{Value, context};
    use std::sync::Arc;

    fn field(path: &str, old: Option<&str>, new: Option<&str>, words: Option<&str>) -> FieldView {
        FieldView {
            path: path.to_owned(),
            label: format!("L<{path}>"),
            old: old.map(str::to_owned),
            new: new.map(str::to_owned),
            words_html: words.map(str::to_owned),
        }
    }

    fn diff(added: bool, fields: &[FieldView], body_html: &str) -> DiffView {
        DiffView {
            fields: fields.to_vec(),
            body: Vec::new(),
            body_html: body_html.to_owned(),
            added,
        }
    }

    /// Revisions of every change kind with every shape of diff; the last diff has a value
    /// the macro prints as `none`, which the Rust leaves to the macro.
    fn revisions() -> Vec<RevisionView> {
        let fields: Vec<FieldView> = FIELDS
            .iter()
            .map(|&(p, o, n, w)| field(p, o, n, w))
            .collect();
        // An added text has every field new.
        let added: Vec<FieldView> = fields.iter().filter(|f| f.new.is_some()).cloned().collect();
        let diffs = [
            Some(diff(true, &added, "<p>Body</p>")),
            Some(diff(true, &added, "")),
            Some(diff(false, &fields, "<p>B <ins>x</ins></p>")),
            Some(diff(false, &[], "<p>B</p>")),
            Some(diff(false, &[], "")),
            Some(diff(false, &fields[2..4], "")),
            None,
            Some(diff(true, &[field("x", None, None, None)], "")),
        ];
        let t = TimeView::from(crate::site::view::Moment {
            iso: "2024-01-02T03:04:05+01:00".into(),
            local: "2 Jan & <3>".into(),
            date: "2024-01-02".into(),
            utc: "2024-01-02 02:04 UTC".into(),
            unix: 1_704_161_045,
        });
        // Every change kind the words name, and one they do not.
        let changes = super::super::CHANGES.into_iter().chain(["odd <x>"]);
        let text = |yes: bool, s: &str| yes.then(|| s.to_owned());
        let mut out = Vec::new();
        for (i, change) in changes.into_iter().enumerate() {
            for (j, d) in diffs.iter().enumerate() {
                let even = (i + j) % 2 == 0;
                out.push(RevisionView {
                    id: "p".into(),
                    change,
                    revision: even.then_some(u32::try_from(i).unwrap()),
                    effective: None,
                    commit: text(j != 5, "abc1234def"),
                    short: Some(if j % 2 == 0 { "abc1234" } else { "" }.into()),
                    landed: even.then(|| t.clone()),
                    author: text(j % 3 == 0, "Ana <a@b>"),
                    subject: Some(if j % 4 == 1 { "" } else { "Fix & \"tidy\"" }.into()),
                    changed: Vec::new(),
                    takes_effect: None,
                    path: "policies/b/x'y.yaml".into(),
                    old_path: text(j % 3 == 1, "policies/a/<x>.yaml"),
                    anchor: format!("rev-{i}-{j}"),
                    diff: d.clone().map(Arc::new),
                });
            }
        }
        out
    }

    #[test]
    fn revision_and_diff_of_the_sites_own_values_write_what_the_macros_write() {
        let page = "{% import \"macros.html\" as m %}[{{ m.revision(r) }}]\
            [{{ m.diff(r.diff) if r.diff else '' }}]\
            {% for x in h %}[{{ m.revision(x) }}]{% endfor %}";
        let translated = TEMPLATES
            .iter()
            .find(|(n, _)| *n == "words.html")
            .unwrap()
            .1
            .replace("\"Added\"", "\"Ajouté & <neu>\"")
            .replace("{rev}", "{rev} / rév. {rev}")
            .replace("{old}", "« {old} »");
        let all = Arc::new(revisions());
        let mut written = 0;
        for t in [None, Some(translated.as_str())] {
            let (fast, slow) = (templates_for(page, false, t), templates_for(page, true, t));
            // The words as a build reads them.
            let w = Words::read(fast.env()).expect("the words are read");
            for (i, r) in all.iter().enumerate() {
                let one = Value::from_object(Obj(Arc::new(r.clone())));
                let item = Value::from_object(Item {
                    list: Arc::clone(&all),
                    i,
                });
                let (ctx_one, ctx_item) = (one.clone(), item.clone());
                let ctx = context! { r => one, h => vec![item] };
                let a = fast.render("page.html", ctx.clone()).unwrap();
                let b = slow.render("page.html", ctx.clone()).unwrap();
                assert_eq!(a, b, "{r:?}");
                let a = fast.render("page.txt", ctx.clone()).unwrap();
                let b_txt = slow.render("page.txt", ctx).unwrap();
                assert_eq!(a, b_txt, "{r:?}");
                // The Rust wrote it, unless a value is printed as `none`.
                let mut direct = String::new();
                if w.revision_of(&mut direct, r).is_some() {
                    // And a template's call reaches it, from a list's item or a value.
                    for v in [ctx_one.clone(), ctx_item.clone()] {
                        let mut called = String::new();
                        let m = super::super::Macros { w: &w };
                        assert_eq!(m.revision(&mut called, &v), Some(()));
                        assert_eq!(called, direct);
                    }
                    assert_eq!(&b[..direct.len() + 2], format!("[{direct}]"), "{r:?}");
                    written += 1;
                }
            }
        }
        assert_eq!(
            written,
            2 * 8 * 7,
            "every revision but the `none` ones is written"
        );
    }
}
