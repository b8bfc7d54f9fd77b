//! Policy bodies from Markdown to HTML that cannot run script, and to plain text for the
//! search index.
//!
//! Raw HTML (blocks and inline) is shown as text, never passed through. Links keep only
//! `http`, `https`, `mailto` and relative targets; any other link becomes its plain text.
//! Images load only from relative paths, since the site makes no request to any other host:
//! an image on another host becomes a link to it. Headings start at `h2` whatever level the
//! body starts at, so a body's `#` never competes with the page's own title and a body's
//! `##` never skips a level after it. Nothing here touches files.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Markdown features a body may use (CommonMark plus tables, strikethrough and task lists).
fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// Renders a body to HTML that is safe to put in a page as is.
pub fn to_html(source: &str) -> String {
    if let Some(html) = prose(source) {
        return html;
    }
    if plain(source) {
        // Nothing below would change an event: written as the parser reads it.
        let mut html = String::with_capacity(source.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut html, Parser::new_ext(source, options()));
        return html;
    }
    rewritten(source)
}

/// The bytes a prose body may hold, with the options [`options`] turns on: letters,
/// digits, the space, the newline, sentence punctuation, `&` (checked on its own), and every
/// byte of a character beyond ASCII. Left out: whatever may start emphasis, code, a link
/// or an image, an autolink or raw HTML, a character escape, a table cell or a
/// strikethrough (`*`, `_`, a backtick, `[`, `]`, `<`, `>`, a backslash, `|`, `~`), a
/// heading or its underline (`#`, `=`), and tabs, carriage returns and the other control
/// characters.
const PROSE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x80;
    while b < 256 {
        t[b] = true;
        b += 1;
    }
    let ascii =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 \n.,;:?!'\"()%/@+-&";
    let mut i = 0;
    while i < ascii.len() {
        t[ascii[i] as usize] = true;
        i += 1;
    }
    t
};

/// A body made of prose paragraphs alone, rendered without the parser, or `None` when it
/// may hold anything else. Prose holds only [`PROSE`] bytes, an `&` only before a space or
/// a line's end (where it cannot start an entity), and no line that starts with a space
/// (indented code, nesting), ends with one (a hard break) or starts with a list's `-`,
/// `+`, `1.` or `1)`. The output is pulldown-cmark's for the same text, byte for byte (a
/// test compares the two): per run of lines between empty ones, `<p>`, the lines escaped
/// and joined by newlines, `</p>` and a newline. Revision diffs and many policy bodies
/// are such prose, and the parser costs several times this.
fn prose(source: &str) -> Option<String> {
    let bytes = source.as_bytes();
    // Checked 16 bytes at a time, without a branch per byte.
    let mut chunks = bytes.chunks_exact(16);
    let fits = |chunk: &[u8]| chunk.iter().fold(true, |ok, &b| ok & PROSE[usize::from(b)]);
    if !(chunks.all(fits) && fits(chunks.remainder())) {
        return None;
    }
    if memchr::memchr_iter(b'&', bytes)
        .any(|at| !matches!(bytes.get(at + 1), None | Some(b' ' | b'\n')))
    {
        return None;
    }
    let amp = memchr::memchr(b'&', bytes).is_some();
    let mut html = String::with_capacity(source.len() + source.len() / 16 + 16);
    let mut open = false;
    for line in source.split('\n') {
        let line_bytes = line.as_bytes();
        let (Some(&first), Some(&last)) = (line_bytes.first(), line_bytes.last()) else {
            if open {
                html.push_str("</p>\n");
                open = false;
            }
            continue;
        };
        if matches!(first, b' ' | b'-' | b'+') || last == b' ' {
            return None;
        }
        let digits = line_bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        if (1..=9).contains(&digits) && matches!(line_bytes.get(digits), Some(b'.' | b')')) {
            return None;
        }
        html.push_str(if open { "\n" } else { "<p>" });
        open = true;
        if amp {
            html.push_str(&super::words::replace_all(line, "&", "&amp;"));
        } else {
            html.push_str(line);
        }
    }
    if open {
        html.push_str("</p>\n");
    }
    Some(html)
}

/// Whether `source` can hold none of the events [`rewritten`] changes: raw HTML and
/// autolinks need a `<`, links, images and task boxes a `[`, headings a `#` or an
/// underline of `=` or `-` (most revision diffs are prose without any of them). Searched
/// for with SIMD: the rewriting costs little more than this test on the texts that fail it.
fn plain(source: &str) -> bool {
    let bytes = source.as_bytes();
    if memchr::memchr3(b'<', b'[', b'#', bytes).is_some() || memchr::memchr(b'=', bytes).is_some() {
        return false;
    }
    // A line of dashes alone may underline a heading.
    !memchr::memchr_iter(b'-', bytes).any(|at| {
        let start = bytes[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| at + i);
        source[start..end].trim().bytes().all(|b| b == b'-')
    })
}

/// [`to_html`] with the events rewritten: raw HTML as text, links and images checked,
/// headings moved down to start at `h2`.
fn rewritten(source: &str) -> String {
    // Parsed once: the heading levels are read from the events before they are rendered.
    let events: Vec<Event> = Parser::new_ext(source, options()).collect();
    let levels = heading_levels(&events);
    let lower = |level: HeadingLevel| lower(&levels, level);
    let mut skipped_ends: Vec<bool> = Vec::new();
    let events = events.into_iter().filter_map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = is_allowed_link(&dest_url);
            skipped_ends.push(!keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            if is_local_resource(&dest_url) {
                skipped_ends.push(false);
                Some(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }))
            } else if is_allowed_link(&dest_url) {
                // Shown as a link to the picture: following it is the reader's choice.
                skipped_ends.push(false);
                Some(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }))
            } else {
                skipped_ends.push(true);
                None
            }
        }
        Event::End(TagEnd::Link) => match skipped_ends.pop() {
            Some(true) => None,
            _ => Some(Event::End(TagEnd::Link)),
        },
        Event::End(TagEnd::Image) => match skipped_ends.pop() {
            Some(true) => None,
            _ => Some(Event::End(TagEnd::Image)),
        },
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Some(Event::Start(Tag::Heading {
            level: lower(level),
            id,
            classes,
            attrs,
        })),
        Event::End(TagEnd::Heading(level)) => Some(Event::End(TagEnd::Heading(lower(level)))),
        other => Some(other),
    });
    // An image turned into a link must close as a link: tracked by a second stage.
    let events = close_converted_images(events);
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// Replaces the `End(Image)` of every image that was turned into a link with `End(Link)`.
fn close_converted_images<'a>(
    events: impl Iterator<Item = Event<'a>>,
) -> impl Iterator<Item = Event<'a>> {
    let mut open: Vec<bool> = Vec::new();
    events.map(move |event| {
        let closes_a_link = match &event {
            Event::Start(Tag::Image { .. }) => {
                open.push(false);
                false
            }
            Event::Start(Tag::Link { .. }) => {
                open.push(true);
                false
            }
            Event::End(TagEnd::Image) => open.pop().unwrap_or(false),
            Event::End(TagEnd::Link) => {
                open.pop();
                false
            }
            _ => false,
        };
        if closes_a_link {
            Event::End(TagEnd::Link)
        } else {
            event
        }
    })
}

/// The heading levels a body uses, shallowest first.
fn heading_levels(events: &[Event]) -> Vec<HeadingLevel> {
    let mut levels: Vec<HeadingLevel> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(*level),
            _ => None,
        })
        .collect();
    levels.sort();
    levels.dedup();
    levels
}

/// A body heading's level on the page: the body's shallowest level becomes `h2` (the page's
/// title is the only `h1`) and each deeper level used the next one, so a body that starts
/// at `###` or skips a level still gives an outline without gaps.
fn lower(levels: &[HeadingLevel], level: HeadingLevel) -> HeadingLevel {
    match levels.iter().position(|l| *l == level).unwrap_or(0) {
        0 => HeadingLevel::H2,
        1 => HeadingLevel::H3,
        2 => HeadingLevel::H4,
        3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The words of a body without markup, for the search index.
pub fn to_text(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for event in Parser::new_ext(source, options()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_)
                if !out.ends_with(' ') && !out.is_empty() =>
            {
                out.push(' ');
            }
            _ => {}
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// Whether a link target may appear in a page: `http`, `https`, `mailto` or relative.
pub fn is_allowed_link(url: &CowStr<'_>) -> bool {
    match scheme(url) {
        Scheme::None => true,
        Scheme::Named(s) => matches!(s.as_str(), "http" | "https" | "mailto"),
        Scheme::Malformed => false,
    }
}

/// Whether a resource (an image) loads from the site itself: relative, and not `//host/...`.
fn is_local_resource(url: &str) -> bool {
    let cleaned = clean(url);
    matches!(scheme(url), Scheme::None) && !cleaned.starts_with("//") && !cleaned.starts_with("\\")
}

enum Scheme {
    None,
    Named(String),
    Malformed,
}

/// What a browser would do to a URL before reading its scheme: drop tabs and newlines
/// anywhere, and leading control characters and spaces.
fn clean(url: &str) -> String {
    url.chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .trim_start_matches(|c: char| c <= ' ')
        .to_owned()
}

fn scheme(url: &str) -> Scheme {
    let cleaned = clean(url);
    let end = cleaned.find([':', '/', '?', '#', '\\']);
    match end {
        Some(i) if cleaned[i..].starts_with(':') => {
            let name = &cleaned[..i];
            let well_formed = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if well_formed {
                Scheme::Named(name.to_ascii_lowercase())
            } else {
                // Not a scheme to a URL parser, but too odd to trust.
                Scheme::Malformed
            }
        }
        _ => Scheme::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// A plain text renders as the rewriting renders it.
        #[test]
        fn plain_texts_need_no_rewriting(
            text in "(word|Word|1\\.|-|--|\\*|_|`|>|\\||:|!|\\(|\\)|\\\\|&|  |\n|\n\n|    |\t|~~|\\]|=|#|\\[x\\]|<b>|\\[a\\]\\(b\\))*"
        ) {
            if plain(&text) {
                proptest::prop_assert_eq!(to_html(&text), rewritten(&text));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(800))]
        /// Prose renders without the parser exactly as the parser renders it, and texts
        /// made of prose characters are mostly taken as prose.
        #[test]
        fn prose_renders_as_the_parser_renders_it(
            text in r#"(Word|word|é|\u{a0}|\u{f8f0}|\u{3000}|12|1\.|3\)|7 |, |\. |'|"|\(|\)|%|/|@|:|;|\?|!|\+|-|--|& |&|&amp;|&x|\*|_|`|<|>|\||~|\\|=|#|\[|\]|\{|\}|\$|\^| | {2}| {4}|\t|\r|\u{0}|\n|\n\n|\n \n)*"#
        ) {
            if let Some(html) = prose(&text) {
                let mut parsed = String::new();
                pulldown_cmark::html::push_html(&mut parsed, Parser::new_ext(&text, options()));
                proptest::prop_assert_eq!(&html, &parsed);
                proptest::prop_assert_eq!(&html, &rewritten(&text));
            }
        }

    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        #[test]
        fn prose_of_prose_characters(
            lines in proptest::collection::vec(
                r#"(Word|word|é|\u{f8f0}|12|\(x\)|"q"|'s|50%|a/b|a@b|x:|y;|why\?|no!|a\+b|a-b|x & y)( (Word|word|é|12|\(x\)|"q"|'s|50%|a/b|x:|no!|a-b|\+|-|&|x & y|\.|,)){0,30}"#,
                1..8,
            ),
            breaks in proptest::collection::vec("\n{1,3}", 8),
        ) {
            let mut text = String::new();
            for (line, gap) in lines.iter().zip(&breaks) {
                text.push_str(line);
                text.push_str(gap);
            }
            let html = prose(&text);
            proptest::prop_assert!(html.is_some(), "{:?}", text);
            let mut parsed = String::new();
            pulldown_cmark::html::push_html(&mut parsed, Parser::new_ext(&text, options()));
            proptest::prop_assert_eq!(html.unwrap_or_default(), parsed);
        }
    }

    #[test]
    fn what_is_not_prose() {
        for text in [
            "- a",
            "+ a",
            "1. a",
            "a\n2) b",
            " a",
            "a ",
            "a  \nb",
            "a *b*",
            "a_b_",
            "`a`",
            "a & b &amp; c",
            "a\tb",
            "a\r\nb",
            "a | b",
            "~~a~~",
            "a\n===",
            "a\\b",
            "<a>",
            "a > b",
            "[a]",
            "# a",
        ] {
            assert_eq!(prose(text), None, "{text:?}");
        }
        assert_eq!(
            prose("Reply within 1 hour.\n10 minutes & more (\"soon\"), ok?\n\n\nNext: é.\n")
                .as_deref(),
            Some(
                "<p>Reply within 1 hour.\n10 minutes &amp; more (\"soon\"), ok?</p>\n<p>Next: é.</p>\n"
            )
        );
        assert_eq!(prose("").as_deref(), Some(""));
    }

    #[test]
    fn what_is_not_plain() {
        for text in [
            "a\n---",
            "a\n  -- \n",
            "-",
            "a\n===",
            "# t",
            "a <b>",
            "[a](b)",
            "![i](x.png)",
            "- [x] done",
        ] {
            assert!(!plain(text), "{text:?}");
        }
        assert!(plain(
            "Reply within an hour.\n\n- one\n- two - three\n\n> quoted *em*"
        ));
    }

    fn allowed(url: &str) -> bool {
        is_allowed_link(&CowStr::from(url))
    }

    #[test]
    fn link_schemes() {
        for ok in [
            "https://example.com/a",
            "HTTP://example.com",
            "mailto:team@example.com",
            "other.html",
            "../policies/x.html#rev",
            "#top",
            "?q=1",
            "/abs/path",
        ] {
            assert!(allowed(ok), "{ok} should be allowed");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "a b:c",
        ] {
            assert!(!allowed(bad), "{bad:?} should be refused");
        }
    }

    #[test]
    fn raw_html_is_text() {
        let html = to_html(
            "<script>alert(1)</script>\n\nHi <b onclick=\"x()\">there</b> <iframe src=\"https://evil.example\"></iframe>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("&lt;iframe"), "{html}");
    }

    #[test]
    fn bad_links_become_text() {
        let html = to_html(
            "[click](javascript:alert(1)) and [ok](https://example.com) and <javascript:alert(2)> and [d](data:text/html;base64,AAAA)",
        );
        assert_eq!(html.matches("<a ").count(), 1, "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("href=\"data"), "{html}");
        assert!(html.contains("click"), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.com">ok</a>"#),
            "{html}"
        );
    }

    #[test]
    fn entity_encoded_schemes_are_decoded_before_the_check() {
        let html = to_html("[x](jav&#x61;script:alert(1)) [y](&#106;avascript:alert(1))");
        assert!(!html.contains("<a"), "{html}");
    }

    #[test]
    fn images_load_only_from_the_site() {
        let html = to_html(
            "![chart](img/chart.png) ![remote](https://cdn.example/x.png) ![bad](javascript:x) ![pr](//cdn.example/y.png)",
        );
        assert!(
            html.contains(r#"<img src="img/chart.png" alt="chart""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="https://cdn.example/x.png">remote</a>"#),
            "{html}"
        );
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains(r#"<img src="//"#), "{html}");
        assert_eq!(html.matches("<img").count(), 1, "{html}");
    }

    #[test]
    fn headings_start_at_h2_without_gaps() {
        let html = to_html("# One\n\n## Two\n\n###### Six");
        assert!(html.contains("<h2>One</h2>"), "{html}");
        assert!(html.contains("<h3>Two</h3>"), "{html}");
        assert!(html.contains("<h4>Six</h4>"), "{html}");
        // a body that starts at `##` (right after the page's `h1`) starts at `h2`
        let html = to_html("## Shifts\n\n### Early");
        assert!(html.contains("<h2>Shifts</h2>"), "{html}");
        assert!(html.contains("<h3>Early</h3>"), "{html}");
    }

    #[test]
    fn plain_text() {
        assert_eq!(
            to_text("## Leads\n\n- Hold a **one-on-one**\n- `code` here"),
            "Leads Hold a one-on-one code here"
        );
    }
}
