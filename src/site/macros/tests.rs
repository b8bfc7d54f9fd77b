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
    let mut o = BTreeMap::new();
    o.insert("page.html".to_owned(), PAGE.to_owned());
    o.insert("page.txt".to_owned(), PAGE.to_owned());
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

fn field(path: &str, old: Option<&str>, new: Option<&str>, words_html: Option<&str>) -> Value {
    context! { path, label => format!("L<{path}>"), old, new, words_html }
}

fn cases() -> Vec<Value> {
    let t = context! { iso => "2024-01-02T03:04:05+01:00", utc => "2024-01-02 02:04 UTC", local => "2 Jan & <3>" };
    let fields = vec![
        field("id", None, Some("p"), None),
        field("summary", None, Some("S \"q\" & 'x'"), None),
        field(
            "target",
            Some("a"),
            Some("b"),
            Some("<del>a</del> <ins>b</ins>"),
        ),
        field("owner", None, Some("ana/b"), None),
        field("tags", Some("x"), None, None),
        field("metric.unit", Some("1"), Some("2"), Some("")),
    ];
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
