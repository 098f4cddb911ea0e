//! The HTML of the river and sources pages (maud: checked at compile time,
//! every interpolated value escaped).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::i18n::{Lang, Text, exact};
use crate::config::ChannelConfig;
use crate::entries::EntryView;
use crate::sources::Source;

/// Characters of plain text shown under a headline.
const EXCERPT_CHARS: usize = 280;

/// What every page shares: the channel it is about (for the switcher and the
/// feed links) and the language it speaks.
pub struct Frame<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub channels: &'a [ChannelConfig],
    /// The channel shown (or whose feeds the page links), `all` elsewhere.
    pub current: &'a ChannelConfig,
    /// Whether the page is the channel's river (marks it in the switcher).
    pub on_river: bool,
}

fn river_path(channel: &str) -> String {
    if channel == "all" {
        "/".to_owned()
    } else {
        format!("/c/{channel}")
    }
}

fn layout(f: &Frame<'_>, body: Markup) -> Markup {
    let t = |k| f.lang.t(k);
    let ch = &f.current.name;
    html! {
        (DOCTYPE)
        html lang=(f.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (f.title) " · Tributary" }
                link rel="stylesheet" href=(assets::STYLE.path());
                link rel="icon" type="image/svg+xml" href=(assets::ICON.path());
                link rel="alternate" type="application/rss+xml" title={ (f.current.title) " (RSS)" } href={ "/feeds/" (ch) ".rss" };
                link rel="alternate" type="application/atom+xml" title={ (f.current.title) " (Atom)" } href={ "/feeds/" (ch) ".atom" };
                link rel="alternate" type="application/feed+json" title={ (f.current.title) " (JSON Feed)" } href={ "/feeds/" (ch) ".json" };
                script src=(assets::TIMES.path()) defer {}
            }
            body {
                header {
                    a.brand href="/" { "Tributary" }
                    nav.channels aria-label=(t(Text::Channels)) {
                        @for c in f.channels {
                            @if f.on_river && c.name == f.current.name {
                                a href=(river_path(&c.name)) aria-current="page" { (c.title) }
                            } @else {
                                a href=(river_path(&c.name)) { (c.title) }
                            }
                        }
                        a href="/sources" { (t(Text::Sources)) }
                    }
                }
                main { (body) }
                footer {
                    p.subscribe {
                        (t(Text::Subscribe)) " "
                        a href={ "/feeds/" (ch) ".rss" } { "RSS" }
                        a href={ "/feeds/" (ch) ".atom" } { "Atom" }
                        a href={ "/feeds/" (ch) ".json" } { "JSON Feed" }
                        a href="/opml" { "OPML" }
                    }
                }
            }
        }
    }
}

/// A river: the request's filters and the page of stories found.
pub struct River<'a> {
    pub q: Option<&'a str>,
    pub source: Option<(i64, &'a str)>,
    pub items: &'a [EntryView],
    /// Source titles for the alternates ("also in").
    pub source_titles: &'a HashMap<i64, String>,
    /// The query string of the "Older" link, when there is an older page.
    pub older: Option<String>,
    pub now: DateTime<Utc>,
}

pub fn river(f: &Frame<'_>, r: &River<'_>) -> Markup {
    let t = |k| f.lang.t(k);
    let here = river_path(&f.current.name);
    let body = html! {
        form.search method="get" action=(here) role="search" {
            input type="search" name="q" value=[r.q] placeholder=(t(Text::SearchPlaceholder)) aria-label=(t(Text::Search));
            @if let Some((id, _)) = r.source {
                input type="hidden" name="source" value=(id);
            }
            button type="submit" { (t(Text::Search)) }
        }
        @if let Some(q) = r.q {
            p.filter { (t(Text::ResultsFor)) " “" (q) "” · " a href=(here) { (t(Text::ShowAll)) } }
        }
        @if let Some((_, name)) = r.source {
            p.filter { (t(Text::FromSource)) " " strong { (name) } " · " a href=(here) { (t(Text::ShowAll)) } }
        }
        @if r.items.is_empty() {
            p.empty { (if r.q.is_some() { t(Text::NoResults) } else { t(Text::NoStories) }) }
        } @else {
            ol.river {
                @for e in r.items {
                    (item(f.lang, &here, e, r.source_titles, r.now))
                }
            }
        }
        @if let Some(older) = &r.older {
            nav.pager { a rel="next" href={ (here) "?" (older) } { (t(Text::Older)) } }
        }
    };
    layout(f, body)
}

fn item(
    lang: Lang,
    here: &str,
    e: &EntryView,
    titles: &HashMap<i64, String>,
    now: DateTime<Utc>,
) -> Markup {
    let at = e.published_at.unwrap_or(e.sort_at);
    let excerpt = e
        .summary
        .as_deref()
        .map(|s| crate::text::truncate_words(s, EXCERPT_CHARS))
        .filter(|s| !s.is_empty());
    let source_link = format!("{here}?source={}", e.source.id);
    html! {
        li lang=[e.language.as_deref()] {
            article {
                h2 {
                    @match &e.url {
                        Some(url) => a href=(url) { (e.title) },
                        None => (e.title),
                    }
                }
                p.meta {
                    a href=(source_link) { (e.source.title) }
                    " · "
                    time datetime=(at.to_rfc3339()) title=(exact(at)) { (lang.relative(at, now)) }
                }
                @if let Some(text) = excerpt {
                    p.excerpt { (text) }
                }
                @if !e.alternates.is_empty() {
                    p.also {
                        (lang.t(Text::AlsoIn)) " "
                        @for (i, alt) in e.alternates.iter().enumerate() {
                            @if i > 0 { ", " }
                            @let name = titles.get(&alt.source_id).map(String::as_str).unwrap_or("?");
                            @match &alt.url {
                                Some(url) => a href=(url) { (name) },
                                None => (name),
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn sources(f: &Frame<'_>, list: &[Source], now: DateTime<Utc>) -> Markup {
    let t = |k| f.lang.t(k);
    let failing = list
        .iter()
        .filter(|s| s.enabled && s.consecutive_failures > 0)
        .count();
    let when = |at: Option<DateTime<Utc>>| -> Markup {
        match at {
            Some(at) => {
                html! { time datetime=(at.to_rfc3339()) title=(exact(at)) { (f.lang.relative(at, now)) } }
            }
            None => html! { (t(Text::Never)) },
        }
    };
    let body = html! {
        h1 { (t(Text::Sources)) }
        p.summary-line { (list.len()) " " (t(Text::SourcesSummary)) " " strong { (failing) } }
        table.sources {
            thead { tr {
                th { (t(Text::Source)) } th { (t(Text::Status)) } th { (t(Text::LastPoll)) }
                th { (t(Text::NextPoll)) } th { (t(Text::Failures)) } th { (t(Text::Entries)) }
                th { (t(Text::LastError)) }
            } }
            tbody {
                @for s in list {
                    @let class = if !s.enabled { "disabled" } else if s.consecutive_failures > 0 { "broken" } else if s.last_polled_at.is_some() { "healthy" } else { "pending" };
                    @let name = s.title.as_deref().or(s.feed_title.as_deref()).unwrap_or(&s.url);
                    tr class=(class) {
                        td data-label=(t(Text::Source)) {
                            a href={ "/?source=" (s.id) } { (name) }
                            br;
                            small { (s.url) }
                        }
                        td data-label=(t(Text::Status)) {
                            @if !s.enabled {
                                (t(Text::Disabled))
                                @if let Some(reason) = &s.disabled_reason { " (" (reason) ")" }
                            } @else if s.consecutive_failures > 0 {
                                (t(Text::Broken))
                            } @else if s.last_polled_at.is_some() {
                                (t(Text::Healthy))
                            } @else {
                                (t(Text::Pending))
                            }
                            @if let Some(code) = s.last_status { " · HTTP " (code) }
                        }
                        td data-label=(t(Text::LastPoll)) { (when(s.last_polled_at)) }
                        td data-label=(t(Text::NextPoll)) { (when(Some(s.next_poll_at))) }
                        td data-label=(t(Text::Failures)) { (s.consecutive_failures) }
                        td data-label=(t(Text::Entries)) { (s.entry_count) }
                        td.error data-label=(t(Text::LastError)) { @if let Some(e) = &s.last_error { (e) } }
                    }
                }
            }
        }
    };
    layout(f, body)
}

/// An error page: the reason in words, a way back.
pub fn error(f: &Frame<'_>, status: u16, message: &str) -> Markup {
    let body = html! {
        h1 { (status) }
        p { (message) }
        p { a href="/" { (f.lang.t(Text::Back)) } }
    };
    layout(f, body)
}
