//! The built-in templates and assets, compiled into the binary, and a handbook's own
//! `templates/` folder, which overrides any of them by file name.
//!
//! Templates are minijinja. Values are escaped by the template's extension: HTML escaping
//! for `.html` and `.xml`, none for `.txt`. Fields named `*_html` hold HTML that
//! [`super::markdown`] already made safe. Assets (`style.css`, `site.js`) are copied as
//! they are. Reads the override folder once per load; never prints.

use crate::load::templates::read_regular;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Built-in templates: name and text.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("words.html", include_str!("../../templates/words.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("policy.html", include_str!("../../templates/policy.html")),
    (
        "changelog.html",
        include_str!("../../templates/changelog.html"),
    ),
    ("feed.xml", include_str!("../../templates/feed.xml")),
    ("llms.txt", include_str!("../../templates/llms.txt")),
    ("portal.html", include_str!("../../templates/portal.html")),
];

/// Built-in assets, copied to `assets/` as they are.
pub const ASSETS: &[(&str, &str)] = &[
    ("style.css", include_str!("../../templates/style.css")),
    ("site.js", include_str!("../../templates/site.js")),
    ("favicon.svg", include_str!("../../templates/favicon.svg")),
];

/// A problem with a template: which one and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{path}: cannot be read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Template(String),
    /// The templates folder holds links or other files a build must not read.
    #[error("{}", .0.iter().map(|f| format!("{}: {}", f.file, f.message)).collect::<Vec<_>>().join("\n"))]
    Refused(Vec<crate::diag::Finding>),
}

impl TemplateError {
    /// A minijinja error with the template and line it points at.
    pub fn from_minijinja(e: &minijinja::Error) -> TemplateError {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        TemplateError::Template(text)
    }
}

/// An environment set up as every build's: escaping by extension, the formatter, the
/// whitespace rules.
fn configured() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|name| match name.rsplit('.').next() {
        Some("html" | "htm" | "xml") => AutoEscape::Html,
        _ => AutoEscape::None,
    });
    env.set_formatter(|out, state, value| {
        // Strings in HTML: escape the five characters that matter in text and quoted
        // attributes, and leave `/` alone (minijinja's own escaping writes `&#x2f;`,
        // which is valid but makes every path unreadable in the source).
        if *state.auto_escape() == AutoEscape::Html
            && !value.is_safe()
            && let Some(s) = value.as_str()
        {
            return crate::render::markdown::write_escaped(out, s).map_err(|_| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write failed")
            });
        }
        minijinja::escape_formatter(out, state, value)
    });
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env
}

/// The templates and assets one build uses.
pub struct Templates {
    env: Environment<'static>,
    /// The words of the built-in feed, when the feeds' templates are all built in.
    feed_words: Option<Arc<super::render::FeedWords>>,
    /// The words of the built-in policy page, when its four templates are all built in,
    /// and what `base.html` writes around it for the last site asked about.
    page_words: Option<Arc<super::render::PageWords>>,
    chrome: Mutex<Option<Arc<super::render::Chrome>>>,
    assets: Vec<(&'static str, Arc<[u8]>)>,
    /// Names taken from the handbook's folder, for messages.
    pub overridden: Vec<String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("overridden", &self.overridden)
            .finish()
    }
}

impl Templates {
    /// The phrase words of the fixed-words table (`words.html`'s `w`): the built-in
    /// English where the table cannot be read or lacks a word.
    pub fn words(&self) -> super::words::Words {
        let read = || -> Option<Vec<(String, String)>> {
            let json = self
                .env
                .render_str("{% import 'words.html' as words %}{{ words.w|tojson }}", ())
                .ok()?;
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&json).ok()?;
            Some(
                map.into_iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())))
                    .collect(),
            )
        };
        super::words::Words::from_pairs(read().unwrap_or_default())
    }

    /// The built-in set, with overrides read from `files` (name and path, as
    /// [`crate::load::templates::template_files`] lists them: regular files only, never
    /// through a link). `shown` is how the folder is named in messages. Every template is
    /// compiled here, so a syntax error in an override stops the build before anything is
    /// written.
    pub fn load(files: &[(String, PathBuf)], shown: &str) -> Result<Templates, TemplateError> {
        let mut overrides: BTreeMap<String, String> = BTreeMap::new();
        for (name, path) in files {
            let text = read_regular(path).map_err(|source| TemplateError::Read {
                path: format!("{shown}/{name}"),
                source,
            })?;
            overrides.insert(name.clone(), text);
        }
        Templates::from_overrides(overrides)
    }

    /// The built-in set with the given overrides (name to text): what tests feed.
    pub fn from_overrides(overrides: BTreeMap<String, String>) -> Result<Templates, TemplateError> {
        let assets = ASSETS
            .iter()
            .map(|(name, text)| {
                let bytes: Arc<[u8]> = match overrides.get(*name) {
                    Some(o) => Arc::from(o.as_bytes()),
                    None => Arc::from(text.as_bytes()),
                };
                (*name, bytes)
            })
            .collect();
        let overridden = overrides.keys().cloned().collect();
        let mut env = configured();
        // The built-in fixed-words table is evaluated once here, not at every import.
        let words_table = if overrides.contains_key("words.html") {
            None
        } else {
            let mut scratch = configured();
            let text = TEMPLATES
                .iter()
                .find(|(n, _)| *n == "words.html")
                .map_or("", |(_, t)| t);
            scratch
                .add_template_owned("words.html", text.to_owned())
                .map_err(|e| TemplateError::from_minijinja(&e))?;
            super::words::BuiltIn::read(&scratch).map(Arc::new)
        };
        let stub_words = words_table.is_some();
        let w = words_table.as_ref().map(|t| t.w.clone());
        if let Some(table) = words_table {
            env.add_function("_builtin_words", move |name: &str| table.get(name));
        }
        // The built-in macros are answered in Rust (see `super::macros`), a handbook's own
        // run as written.
        let own_macros = overrides.contains_key("macros.html");
        let own_feed = overrides.contains_key("feed.xml");
        let own_page = own_macros
            || ["policy.html", "base.html", "words.html"]
                .iter()
                .any(|n| overrides.contains_key(*n));
        env.set_loader(move |name| {
            if let Some(text) = overrides.get(name) {
                return Ok(Some(text.clone()));
            }
            Ok(TEMPLATES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(n, t)| match *n {
                    "macros.html" => super::macros::built_in_text(t),
                    "changelog.html" => super::render::changelog_text(t),
                    "words.html" if stub_words => super::words::BUILT_IN_STUB.to_owned(),
                    _ => (*t).to_owned(),
                }))
        });
        for (name, _) in TEMPLATES {
            env.get_template(name)
                .map_err(|e| TemplateError::from_minijinja(&e))?;
        }
        // The changelog's list and the feeds are written in Rust when the words and the
        // macros are built in (and, for the feeds, `feed.xml`).
        let mut list_words = None;
        let mut page_words = None;
        if !own_macros {
            let words = super::macros::Words::read(&env).map(Arc::new);
            if let (Some(w), Some(words)) = (&w, &words) {
                list_words = super::render::FeedWords::read(w, Arc::clone(words)).map(Arc::new);
                if !own_page {
                    page_words = super::render::PageWords::read(w, Arc::clone(words)).map(Arc::new);
                }
            }
            env.add_function(
                "_builtin_macro",
                move |name: &str, inner: minijinja::Value| {
                    super::macros::Fast::wrap(words.clone(), name, inner)
                },
            );
        }
        let feed_words = list_words.clone().filter(|_| !own_feed);
        env.add_function(
            "_builtin_changes",
            move |state: &mut minijinja::State, entries: minijinja::Value, root: &str| {
                super::render::changelog_changes(state, list_words.as_deref(), &entries, root)
            },
        );
        Ok(Templates {
            env,
            feed_words,
            page_words,
            chrome: Mutex::new(None),
            assets,
            overridden,
        })
    }

    /// Renders one template with a context.
    pub fn render(&self, name: &str, ctx: minijinja::Value) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| TemplateError::from_minijinja(&e))
    }

    /// The words of the built-in feed, when `feed.xml`, `macros.html` and `words.html` are
    /// all built in (then [`super::render`] writes the feeds itself).
    pub(crate) fn built_in_feed(&self) -> Option<&super::render::FeedWords> {
        self.feed_words.as_deref()
    }

    /// The words of the built-in policy page and what `base.html` writes around it for
    /// `info`, when `policy.html`, `base.html`, `macros.html` and `words.html` are all
    /// built in (then [`super::render`] writes the policy pages itself).
    pub(crate) fn built_in_policy(
        &self,
        info: &super::view::SiteInfo,
    ) -> Option<(&super::render::PageWords, Arc<super::render::Chrome>)> {
        let words = self.page_words.as_deref()?;
        let mut cached = self.chrome.lock().ok()?;
        if let Some(chrome) = cached.as_ref().filter(|c| c.info == *info) {
            return Some((words, Arc::clone(chrome)));
        }
        let chrome = Arc::new(super::render::Chrome::render(&self.env, info));
        *cached = Some(Arc::clone(&chrome));
        Some((words, chrome))
    }

    /// The engine, for tests that read what it renders.
    #[cfg(test)]
    pub(crate) fn env(&self) -> &Environment<'static> {
        &self.env
    }

    /// The assets: name and bytes.
    pub fn assets(&self) -> &[(&'static str, Arc<[u8]>)] {
        &self.assets
    }
}

pub use crate::render::markdown::{escape_html, not_xml};

/// Writes the built-in templates and assets into `dir` for editing; never overwrites a file.
/// Returns the files written.
pub fn eject(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    for (name, text) in TEMPLATES.iter().chain(ASSETS) {
        let path = dir.join(name);
        crate::atomic::write_new(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_compile() {
        Templates::from_overrides(BTreeMap::new()).unwrap();
    }

    #[test]
    fn an_override_replaces_one_template_and_keeps_the_rest() {
        let mut o = BTreeMap::new();
        o.insert("llms.txt".to_owned(), "custom {{ site.title }}".to_owned());
        let t = Templates::from_overrides(o).unwrap();
        let ctx = minijinja::context! { site => minijinja::context! { title => "<T>" } };
        assert_eq!(t.render("llms.txt", ctx).unwrap(), "custom <T>");
        assert_eq!(t.overridden, ["llms.txt"]);
    }

    #[test]
    fn html_templates_escape_values() {
        let mut o = BTreeMap::new();
        o.insert("x.html".to_owned(), "<p>{{ v }}</p>".to_owned());
        let t = Templates::from_overrides(o).unwrap();
        let out = t
            .render(
                "x.html",
                minijinja::context! { v => "<script>alert(1)</script>" },
            )
            .unwrap();
        assert_eq!(out, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
        let out = t
            .render("x.html", minijinja::context! { v => "a/b \"q\" 'x' & y" })
            .unwrap();
        assert_eq!(out, "<p>a/b &quot;q&quot; &#39;x&#39; &amp; y</p>");
    }

    #[test]
    fn a_broken_override_names_the_template() {
        let mut o = BTreeMap::new();
        o.insert("policy.html".to_owned(), "{% if %}".to_owned());
        let e = Templates::from_overrides(o).unwrap_err().to_string();
        assert!(e.contains("policy.html"), "{e}");
    }

    #[test]
    fn an_asset_override_is_copied() {
        let mut o = BTreeMap::new();
        o.insert("style.css".to_owned(), "body{}".to_owned());
        let t = Templates::from_overrides(o).unwrap();
        let css = t.assets().iter().find(|(n, _)| *n == "style.css").unwrap();
        assert_eq!(&*css.1, b"body{}");
    }
}
